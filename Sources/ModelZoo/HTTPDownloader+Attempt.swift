import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One download attempt: a request (resuming the part when possible), the body written by
/// `TransferState` while a watchdog looks for stalls, then the outcome.
extension HTTPDownloader {
  func runAttempt(
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
}
