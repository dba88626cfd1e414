import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

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
