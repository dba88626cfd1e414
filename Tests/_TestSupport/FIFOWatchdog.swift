import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A named pipe (FIFO) in place of an input file, and a watchdog that unblocks a reader stuck in
/// `open` on it: after `seconds` it opens the FIFO for writing (non-blocking: this only succeeds
/// while someone is blocked reading) and closes it at once, so the reader sees end of file. A test
/// can then fail ("it blocked") instead of hanging forever on code that opens FIFOs blindly.
public final class FIFOWatchdog: @unchecked Sendable {
  public let path: String
  private let lock = NSLock()
  private var unblocked = false
  private var finished = false

  /// Creates the FIFO at `url` (which must not exist).
  public init(at url: URL) throws {
    path = url.path
    guard mkfifo(path, 0o644) == 0 else {
      throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
    }
  }

  /// Runs `body`; returns its result and whether the watchdog had to unblock it (it blocked).
  public func run<T>(seconds: Double = 3, _ body: () throws -> T) rethrows -> (value: T, blocked: Bool) {
    lock.withLock { unblocked = false; finished = false }
    let path = self.path
    let thread = Thread { [self] in
      let deadline = Date().addingTimeInterval(seconds)
      while Date() < deadline {
        if lock.withLock({ finished }) { return }
        usleep(20_000)
      }
      while !lock.withLock({ finished }) {
        let fd = open(path, O_WRONLY | O_NONBLOCK)
        if fd >= 0 {
          lock.withLock { unblocked = true }
          close(fd)
        }
        usleep(50_000)
      }
    }
    thread.start()
    defer { lock.withLock { finished = true } }
    let value = try body()
    return (value, lock.withLock { unblocked })
  }
}
