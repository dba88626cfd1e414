import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An exclusive `flock` on `<cache>/locks/Dataset{ID:03}.lock`, held while a model is downloaded,
/// extracted, installed or removed, so that two processes never work on the same model at once.
/// The kernel drops the lock when the process dies (kill -9 included), so a crashed install never
/// blocks the next one. (flock is advisory and, on some network file systems, a no-op; the
/// staging folders are process-unique, so even then two installs cannot write into one folder.)
final class InstallLock {
  private let fd: Int32

  /// Blocks until the lock is ours; calls `waiting` once first if another process holds it.
  init(path: URL, waiting: () -> Void) throws {
    let fd = open(path.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw ModelZooError(
        .ioFailure, "cannot create the lock file: \(String(cString: strerror(errno)))", path: path.path)
    }
    if flock(fd, LOCK_EX | LOCK_NB) != 0 {
      waiting()
      while flock(fd, LOCK_EX) != 0 {
        if errno == EINTR { continue }
        let message = String(cString: strerror(errno))
        close(fd)
        throw ModelZooError(.ioFailure, "cannot lock: \(message)", path: path.path)
      }
    }
    self.fd = fd
  }

  deinit {
    _ = flock(fd, LOCK_UN)
    close(fd)
  }
}
