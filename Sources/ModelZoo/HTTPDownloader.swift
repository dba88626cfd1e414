import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Downloads one release asset to a `.part` file, resumably, and verifies it.
///
/// - Resume: a `.part` left by an interrupted run (or a failed attempt) is continued with
///   `Range: bytes=N-` (plus `If-Range` when the server gave a strong `ETag`). Only a `206` whose
///   `Content-Range` starts at N and names the same total as before is appended to; a `200`
///   restarts from byte 0; a `416` means the part is already complete when its size equals the
///   total, otherwise it is discarded.
/// - Stall: an attempt is abandoned when no byte (headers included) arrives for
///   `options.stallTimeout` seconds; up to `options.maxAttempts` attempts, with doubling delays.
/// - Size: the server must state the size (`Content-Length` or the `Content-Range` total); the
///   finished part must have exactly that many bytes.
/// - sha256: computed over the finished part; when `expectedSHA256` is given and differs, the part
///   (and its metadata) is deleted and `.verificationFailed` is thrown.
///
/// The part's metadata (`<part>.json`: URL, total, ETag) is kept beside it so that a resume
/// against a different asset is detected. Progress is reported on the calling thread.
struct HTTPDownloader {
  var options: ModelZooOptions

  struct Result {
    var size: Int64
    var sha256: String
  }

  /// What we remember about a `.part` between attempts and runs.
  struct PartMetadata: Codable {
    var url: String
    var total: Int64?
    var etag: String?
  }

  func download(
    from url: URL, to part: URL, expectedSHA256: String?, modelID: Int, asset: String,
    progress: (DownloadProgress) -> Void
  ) throws -> Result {
    let metaURL = part.appendingPathExtension("json")
    var meta = readMetadata(metaURL)
    if let m = meta, m.url != url.absoluteString {
      // A part from another URL (a different mirror or asset): never splice bytes from two sources.
      discard(part, metaURL)
      meta = nil
    }
    var attempt = 0
    var lastError: ModelZooError? = nil
    while true {
      attempt += 1
      let outcome = try runAttempt(
        url: url, part: part, metaURL: metaURL, meta: &meta, modelID: modelID, asset: asset, progress: progress)
      switch outcome {
      case .complete:
        lastError = nil
      case .failed(let error, let retryable):
        lastError = error
        if retryable && attempt < options.maxAttempts {
          let delay = options.retryDelay * pow(2, Double(attempt - 1))
          progress(
            DownloadProgress(
              phase: .retrying, modelID: modelID, asset: asset, bytesReceived: fileSize(part) ?? 0,
              totalBytes: meta?.total, message: "\(error.message); retrying in \(formatSeconds(delay))"))
          Thread.sleep(forTimeInterval: delay)
          continue
        }
      }
      break
    }
    if let error = lastError { throw error }
    guard let total = meta?.total else {
      throw ModelZooError(.downloadFailed, "the server did not say how large the file is", path: url.absoluteString)
    }
    progress(
      DownloadProgress(phase: .verifying, modelID: modelID, asset: asset, bytesReceived: total, totalBytes: total))
    let size = fileSize(part) ?? -1
    guard size == total else {
      discard(part, metaURL)
      throw ModelZooError(
        .verificationFailed,
        "downloaded \(size) bytes but the server announced \(total); the partial file was deleted, run the command again",
        path: url.absoluteString)
    }
    let digest = try sha256(of: part)
    if let expected = expectedSHA256, digest != expected.lowercased() {
      discard(part, metaURL)
      throw ModelZooError(
        .verificationFailed,
        "sha256 \(digest) does not match the published \(expected.lowercased()); the download was deleted. The mirror (VIBESEG_RELEASE_URL) may serve a different or damaged file",
        path: url.absoluteString)
    }
    try? FileManager.default.removeItem(at: metaURL)
    return Result(size: total, sha256: digest)
  }

  enum Outcome {
    case complete
    case failed(ModelZooError, retryable: Bool)
  }

  // MARK: files

  func readMetadata(_ url: URL) -> PartMetadata? {
    guard let data = jsonFile(url) else { return nil }
    return try? JSONDecoder().decode(PartMetadata.self, from: data)
  }

  func writeMetadata(_ meta: PartMetadata, to url: URL) {
    guard let data = try? JSONEncoder().encode(meta) else { return }
    try? data.write(to: url, options: .atomic)
  }

  func discard(_ part: URL, _ meta: URL) {
    try? FileManager.default.removeItem(at: part)
    try? FileManager.default.removeItem(at: meta)
  }
}

/// A transport error, kept as text (Foundation errors are not `Sendable` everywhere).
struct TransportFailure: Error, Sendable, CustomStringConvertible {
  var description: String
}

func fileSize(_ url: URL) -> Int64? {
  var info = stat()
  guard stat(url.path, &info) == 0 else { return nil }
  return Int64(info.st_size)
}

func formatSeconds(_ seconds: Double) -> String {
  seconds < 10 ? String(format: "%.1f s", seconds) : "\(Int(seconds.rounded())) s"
}
