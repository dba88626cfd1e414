import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An exclusive, non-blocking `flock` on `OUT_DIR/.vibeseg/lock-shard-I-of-N`, held for a whole
/// `vibeseg batch` run of shard I/N into that folder (the `--jobs` parent holds its shard's, each
/// worker its sub-shard's). A second run of the same shard into the same folder fails at once
/// (`BatchError.Code.locked`, exit 75) instead of deleting the first run's staging files and
/// charging its cases.
///
/// The kernel drops the lock when the holder dies (kill -9 included), so a crashed run never blocks
/// the next one. The file keeps the holder's pid for the message; it is never deleted (deleting a
/// lock file races with a process that has just opened it). Runs with different shard counts over
/// one folder are not told apart (their case sets overlap in no simple way); start one at a time.
/// flock is advisory and a no-op on some network file systems.
public final class ShardLock: @unchecked Sendable {
  public let url: URL
  private let fd: Int32

  /// The lock file of shard `index` of `count` in `outputFolder`.
  public static func url(in outputFolder: URL, shard index: Int, of count: Int) -> URL {
    Manifest.folder(in: outputFolder).appendingPathComponent("lock-shard-\(index)-of-\(count)")
  }

  /// Takes the lock or throws at once (never waits).
  ///
  /// - Throws: `BatchError.locked` when another process holds it (the message names its pid and the
  ///   shard); `BatchError.cannotCreateOutput` when the lock file cannot be created.
  public init(outputFolder: URL, shard index: Int, of count: Int) throws {
    url = Self.url(in: outputFolder, shard: index, of: count)
    let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw BatchError(
        .cannotCreateOutput, "cannot create the lock file: \(String(cString: strerror(errno)))", path: url.path)
    }
    while flock(fd, LOCK_EX | LOCK_NB) != 0 {
      if errno == EINTR { continue }
      let reason = errno
      let holder = Self.holder(fd)
      close(fd)
      guard reason == EWOULDBLOCK else {
        throw BatchError(.cannotCreateOutput, "cannot lock: \(String(cString: strerror(reason)))", path: url.path)
      }
      throw BatchError(
        .locked,
        "another vibeseg batch\(holder.map { " (pid \($0))" } ?? "") is running shard \(index)/\(count) into this "
          + "folder; wait for it to end (or stop it), then rerun to resume",
        path: outputFolder.path)
    }
    let pid = Data("\(getpid())\n".utf8)
    _ = ftruncate(fd, 0)
    _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    self.fd = fd
  }

  /// The pid the holder wrote, if readable.
  private static func holder(_ fd: Int32) -> Int? {
    var buffer = [UInt8](repeating: 0, count: 32)
    let count = pread(fd, &buffer, buffer.count, 0)
    guard count > 0 else { return nil }
    return Int(String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
  }

  deinit {
    _ = flock(fd, LOCK_UN)
    close(fd)
  }
}
