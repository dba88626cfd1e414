import Crypto
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
  private struct PartMetadata: Codable {
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

  private enum Outcome {
    case complete
    case failed(ModelZooError, retryable: Bool)
  }

  private func runAttempt(
    url: URL, part: URL, metaURL: URL, meta: inout PartMetadata?, modelID: Int, asset: String,
    progress: (DownloadProgress) -> Void
  ) throws -> Outcome {
    let existing = fileSize(part) ?? 0
    if existing > 0, let total = meta?.total, existing > total {
      discard(part, metaURL)
      return try runAttempt(
        url: url, part: part, metaURL: metaURL, meta: &meta, modelID: modelID, asset: asset, progress: progress)
    }
    let fd = open(part.path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw ModelZooError(.ioFailure, "cannot open for writing: \(String(cString: strerror(errno)))", path: part.path)
    }
    defer { close(fd) }

    var request = URLRequest(url: url)
    request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
    request.setValue("vibeseg", forHTTPHeaderField: "User-Agent")
    request.timeoutInterval = options.stallTimeout + 30  // our own watchdog fires first
    if existing > 0 {
      request.setValue("bytes=\(existing)-", forHTTPHeaderField: "Range")
      if let etag = meta?.etag, !etag.hasPrefix("W/") { request.setValue(etag, forHTTPHeaderField: "If-Range") }
    }
    progress(
      DownloadProgress(
        phase: .connecting, modelID: modelID, asset: asset, bytesReceived: existing, totalBytes: meta?.total,
        message: "from \(url.absoluteString)" + (existing > 0 ? ", resuming at byte \(existing)" : "")))

    let state = TransferState(fd: fd, existing: existing, knownTotal: meta?.total)
    let delegate = TransferDelegate(state: state)
    let queue = OperationQueue()
    queue.maxConcurrentOperationCount = 1
    let configuration = URLSessionConfiguration.ephemeral
    configuration.timeoutIntervalForRequest = options.stallTimeout + 30
    configuration.timeoutIntervalForResource = 7 * 24 * 3600
    configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
    configuration.urlCache = nil
    defer { state.shutdown() }  // runs after the session is cancelled, before close(fd)
    let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
    defer { session.invalidateAndCancel() }
    let task = session.dataTask(with: request)
    let started = Date()
    task.resume()

    var lastReport = Date.distantPast
    var stalled = false
    var metadataSaved = false
    while !state.waitForCompletion(timeout: min(0.1, options.stallTimeout / 4)) {
      let snapshot = state.snapshot()
      let now = Date()
      if !metadataSaved, let total = snapshot.total, snapshot.failure == nil, snapshot.written > 0 {
        // Saved as soon as the body flows, so that a run killed mid-download resumes safely.
        metadataSaved = true
        let updated = PartMetadata(url: url.absoluteString, total: total, etag: snapshot.etag)
        meta = updated
        writeMetadata(updated, to: metaURL)
      }
      if now.timeIntervalSince(snapshot.lastActivity) > options.stallTimeout {
        stalled = true
        task.cancel()
        _ = state.waitForCompletion(timeout: 5)
        break
      }
      if now.timeIntervalSince(lastReport) >= options.progressInterval, snapshot.written > 0 {
        lastReport = now
        let elapsed = max(now.timeIntervalSince(started), 1e-3)
        let rate = Double(snapshot.written) / elapsed
        let have = snapshot.offset + snapshot.written
        let eta = snapshot.total.flatMap { total in rate > 0 ? Double(max(total - have, 0)) / rate : nil }
        progress(
          DownloadProgress(
            phase: .downloading, modelID: modelID, asset: asset, bytesReceived: have, totalBytes: snapshot.total,
            bytesPerSecond: rate, secondsRemaining: eta))
      }
    }
    state.shutdown()  // from here on the part file no longer changes
    let final = state.snapshot()
    if let total = final.total {
      let updated = PartMetadata(url: url.absoluteString, total: total, etag: final.etag ?? meta?.etag)
      var completeAlready = false
      if case .rangeComplete? = final.failure { completeAlready = true }
      if final.failure == nil || completeAlready || final.restarted {
        meta = updated
        writeMetadata(updated, to: metaURL)
      }
    }
    if final.written > 0 || final.restarted { _ = fsync(fd) }

    if stalled {
      return .failed(
        ModelZooError(
          .downloadFailed,
          "no data for \(formatSeconds(options.stallTimeout)) (stalled connection); the partial download is kept and resumed next time",
          path: url.absoluteString), retryable: true)
    }
    if let failure = final.failure {
      switch failure {
      case .http(let status):
        let retryable = status >= 500 || status == 408 || status == 429
        let hint =
          status == 404
          ? "the release has no such asset; check the model id (`vibeseg models list`) or VIBESEG_RELEASE_URL"
          : "the server refused the request"
        return .failed(
          ModelZooError(.downloadFailed, "HTTP \(status): \(hint)", path: url.absoluteString), retryable: retryable)
      case .noLength:
        return .failed(
          ModelZooError(
            .downloadFailed, "the server did not send Content-Length, so the download cannot be size-checked",
            path: url.absoluteString), retryable: false)
      case .rangeMismatch(let why):
        // The part is unusable for this resource: start over next attempt.
        discard(part, metaURL)
        meta = nil
        return .failed(ModelZooError(.downloadFailed, why, path: url.absoluteString), retryable: true)
      case .rangeComplete:
        return .complete
      case .tooLong:
        discard(part, metaURL)
        meta = nil
        return .failed(
          ModelZooError(.verificationFailed, "the server sent more bytes than it announced", path: url.absoluteString),
          retryable: false)
      case .write(let message):
        throw ModelZooError(.ioFailure, "cannot write the download: \(message)", path: part.path)
      }
    }
    if let error = final.transportError {
      return .failed(
        ModelZooError(
          .downloadFailed, "connection failed: \(error.localizedDescription)", path: url.absoluteString,
          underlying: TransportFailure(description: "\(error)")), retryable: true)
    }
    let have = fileSize(part) ?? 0
    guard let total = final.total ?? meta?.total else {
      return .failed(
        ModelZooError(.downloadFailed, "the server did not say how large the file is", path: url.absoluteString),
        retryable: false)
    }
    if have < total {
      return .failed(
        ModelZooError(
          .downloadFailed, "the connection ended after \(have) of \(total) bytes (truncated body)",
          path: url.absoluteString), retryable: true)
    }
    _ = Date().timeIntervalSince(started)
    return .complete
  }

  // MARK: files

  private func readMetadata(_ url: URL) -> PartMetadata? {
    guard let data = jsonFile(url) else { return nil }
    return try? JSONDecoder().decode(PartMetadata.self, from: data)
  }

  private func writeMetadata(_ meta: PartMetadata, to url: URL) {
    guard let data = try? JSONEncoder().encode(meta) else { return }
    try? data.write(to: url, options: .atomic)
  }

  private func discard(_ part: URL, _ meta: URL) {
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

/// Lowercase hex sha256 of a file, read in 1 MiB chunks.
func sha256(of url: URL) throws -> String {
  guard let handle = try? FileHandle(forReadingFrom: url) else {
    throw ModelZooError(.ioFailure, "cannot open for reading", path: url.path)
  }
  defer { try? handle.close() }
  var hasher = SHA256()
  while true {
    let chunk: Data
    do {
      chunk = try handle.read(upToCount: 1 << 20) ?? Data()
    } catch {
      throw ModelZooError(.ioFailure, "read failed: \(error.localizedDescription)", path: url.path)
    }
    if chunk.isEmpty { break }
    hasher.update(data: chunk)
  }
  return hasher.finalize().map { byte in
    let digits = String(byte, radix: 16)
    return digits.count == 1 ? "0" + digits : digits
  }.joined()
}

func formatSeconds(_ seconds: Double) -> String {
  seconds < 10 ? String(format: "%.1f s", seconds) : "\(Int(seconds.rounded())) s"
}

/// Shared between the delegate (URLSession's queue) and the waiting thread; every field is
/// guarded by `lock`.
final class TransferState: @unchecked Sendable {
  enum Failure {
    case http(Int)
    case noLength
    case rangeMismatch(String)
    case rangeComplete
    case tooLong
    case write(String)
  }

  struct Snapshot {
    var offset: Int64
    var written: Int64
    var total: Int64?
    var etag: String?
    var lastActivity: Date
    var restarted: Bool
    var failure: Failure?
    var transportError: (any Error)?
  }

  let fd: Int32
  private let lock = NSCondition()
  private var state: Snapshot
  private var done = false
  /// Set when the attempt is over: late callbacks of the abandoned task must not touch `fd`
  /// (which is closed next, and whose number the next attempt may reuse).
  private var closed = false
  private let existing: Int64
  private let knownTotal: Int64?

  init(fd: Int32, existing: Int64, knownTotal: Int64?) {
    self.fd = fd
    self.existing = existing
    self.knownTotal = knownTotal
    state = Snapshot(
      offset: existing, written: 0, total: knownTotal, etag: nil, lastActivity: Date(), restarted: false)
  }

  func snapshot() -> Snapshot {
    lock.lock()
    defer { lock.unlock() }
    return state
  }

  /// True once the task has completed.
  func waitForCompletion(timeout: Double) -> Bool {
    lock.lock()
    defer { lock.unlock() }
    if done { return true }
    _ = lock.wait(until: Date().addingTimeInterval(timeout))
    return done
  }

  /// Ends the attempt: no write happens after this returns.
  func shutdown() {
    lock.lock()
    closed = true
    done = true
    lock.broadcast()
    lock.unlock()
  }

  func finish(error: (any Error)?) {
    lock.lock()
    if let error, state.failure == nil { state.transportError = error }
    done = true
    lock.broadcast()
    lock.unlock()
  }

  /// Decides from the response whether to take the body; false cancels the task.
  func accept(_ response: URLResponse) -> Bool {
    lock.lock()
    defer { lock.unlock() }
    state.lastActivity = Date()
    guard !closed else { return false }
    guard let http = response as? HTTPURLResponse else {
      state.failure = .http(0)
      return false
    }
    let status = http.statusCode
    let etag = header(http, "ETag")
    switch status {
    case 200:
      let length = http.expectedContentLength
      guard length >= 0 else {
        state.failure = .noLength
        return false
      }
      // The server ignored our Range (or we sent none): start from byte 0.
      if existing > 0 || knownTotal != nil {
        guard ftruncate(fd, 0) == 0 else {
          state.failure = .write(String(cString: strerror(errno)))
          return false
        }
      }
      state.restarted = existing > 0
      state.offset = 0
      state.total = length
      state.etag = etag
      return true
    case 206:
      guard let range = header(http, "Content-Range").flatMap(ContentRange.init), let total = range.total else {
        state.failure = .rangeMismatch("a 206 response without a usable Content-Range; starting over")
        return false
      }
      guard range.first == existing, range.last == total - 1 else {
        state.failure = .rangeMismatch(
          "the server resumed at byte \(range.first) instead of \(existing); starting over")
        return false
      }
      if let known = knownTotal, known != total {
        state.failure = .rangeMismatch("the file on the server changed size (\(known) -> \(total)); starting over")
        return false
      }
      state.offset = existing
      state.total = total
      state.etag = etag
      return true
    case 416:
      if let range = header(http, "Content-Range").flatMap(ContentRange.init), let total = range.total,
        total == existing
      {
        state.total = total
        state.failure = .rangeComplete
      } else {
        state.failure = .rangeMismatch("the server cannot resume this partial download; starting over")
      }
      return false
    default:
      state.failure = .http(status)
      return false
    }
  }

  func append(_ data: Data) -> Bool {
    lock.lock()
    defer { lock.unlock() }
    state.lastActivity = Date()
    guard !closed, state.failure == nil else { return false }
    if let total = state.total, state.offset + state.written + Int64(data.count) > total {
      state.failure = .tooLong
      return false
    }
    let position = state.offset + state.written
    let ok = data.withUnsafeBytes { raw -> Bool in
      var done = 0
      while done < raw.count {
        let n = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(position) + off_t(done))
        if n < 0 {
          if errno == EINTR { continue }
          return false
        }
        done += n
      }
      return true
    }
    guard ok else {
      state.failure = .write(String(cString: strerror(errno)))
      return false
    }
    state.written += Int64(data.count)
    return true
  }

  private func header(_ response: HTTPURLResponse, _ name: String) -> String? {
    for (key, value) in response.allHeaderFields {
      if let key = key as? String, key.caseInsensitiveCompare(name) == .orderedSame { return value as? String }
    }
    return nil
  }
}

/// `Content-Range: bytes FIRST-LAST/TOTAL` or `bytes */TOTAL`.
struct ContentRange {
  var first: Int64
  var last: Int64
  var total: Int64?

  init?(_ text: String) {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    guard trimmed.lowercased().hasPrefix("bytes") else { return nil }
    let spec = trimmed.dropFirst(5).trimmingCharacters(in: .whitespaces)
    let halves = spec.split(separator: "/", maxSplits: 1).map(String.init)
    guard halves.count == 2 else { return nil }
    total = halves[1] == "*" ? nil : Int64(halves[1])
    if halves[0] == "*" {
      first = -1
      last = -1
      return
    }
    let ends = halves[0].split(separator: "-", maxSplits: 1)
    guard ends.count == 2, let a = Int64(ends[0]), let b = Int64(ends[1]), a <= b else { return nil }
    first = a
    last = b
  }
}

final class TransferDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
  let state: TransferState

  init(state: TransferState) { self.state = state }

  func urlSession(
    _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
  ) {
    completionHandler(state.accept(response) ? .allow : .cancel)
  }

  func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
    if !state.append(data) { dataTask.cancel() }
  }

  func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
    state.finish(error: error)
  }
}
