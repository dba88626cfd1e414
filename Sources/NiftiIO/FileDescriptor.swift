#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file, closed when the value is released. Wraps each POSIX call once and converts its
/// status to `NiftiError` right there.
final class FileDescriptor {
  let raw: Int32
  let path: String

  /// Opens an input without ever blocking: `O_NONBLOCK` lets `open` return at once even for a
  /// FIFO with no writer; `fstat` then requires a regular file (a FIFO, directory, socket or device
  /// is `.notNifti`, 65), and `O_NONBLOCK` is cleared before any read. (TorchCheckpoint's
  /// `RegularFile` does the same for the modules that can import it.)
  init(readingFrom path: String) throws {
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else {
      let err = errno
      let code: NiftiError.Code = (err == ENOENT || err == ENOTDIR) ? .fileNotFound : .ioFailure
      throw NiftiError(code, "cannot open for reading: \(String(cString: strerror(err)))", path: path)
    }
    raw = fd
    self.path = path
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw NiftiError(.ioFailure, "cannot stat: \(String(cString: strerror(errno)))", path: path)
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      // A folder where a file was expected is a missing input (66); a FIFO or device is refused (65).
      let code: NiftiError.Code = (info.st_mode & S_IFMT) == S_IFDIR ? .fileNotFound : .notNifti
      throw NiftiError(code, "not a regular file (\(Self.describe(mode: info.st_mode))); only regular files are read", path: path)
    }
    let flags = fcntl(fd, F_GETFL)
    guard flags >= 0, fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
      throw NiftiError(.ioFailure, "cannot clear O_NONBLOCK: \(String(cString: strerror(errno)))", path: path)
    }
  }

  /// "a FIFO", "a directory", ... for a `st_mode`.
  static func describe(mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFIFO: "a FIFO"
    case S_IFDIR: "a directory"
    case S_IFCHR: "a character device"
    case S_IFBLK: "a block device"
    case S_IFSOCK: "a socket"
    default: "not a regular file"
    }
  }

  init(creating path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw NiftiError(.cannotCreateOutput, "cannot create: \(String(cString: strerror(errno)))", path: path)
    }
    raw = fd
    self.path = path
  }

  deinit { close(raw) }

  /// Size in bytes (fstat), or nil for something that is not a regular file.
  func size() throws -> Int {
    var info = stat()
    guard fstat(raw, &info) == 0 else {
      throw NiftiError(.ioFailure, "cannot stat: \(String(cString: strerror(errno)))", path: path)
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      throw NiftiError(.notNifti, "not a regular file (\(Self.describe(mode: info.st_mode)))", path: path)
    }
    return Int(info.st_size)
  }

  /// Reads until `buffer` is full or end of file; returns the number of bytes read.
  func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    var done = 0
    while done < buffer.count {
      // Unchecked pointer arithmetic: done < buffer.count keeps the range inside `buffer`.
      let n = Glibc.read(raw, buffer.baseAddress! + done, buffer.count - done)
      if n < 0 {
        if errno == EINTR { continue }
        throw NiftiError(.ioFailure, "read failed: \(String(cString: strerror(errno)))", path: path)
      }
      if n == 0 { break }
      done += n
    }
    return done
  }

  /// An errno every `write` fails with (fault injection for the crash tests, see
  /// `OutputTransaction.Faults`); nil in normal use.
  var injectedWriteError: Int32? = nil

  /// Writes the whole buffer.
  func write(_ buffer: UnsafeRawBufferPointer) throws {
    if let injectedWriteError {
      throw NiftiError(.ioFailure, "write failed: \(String(cString: strerror(injectedWriteError)))", path: path)
    }
    var done = 0
    while done < buffer.count {
      let n = Glibc.write(raw, buffer.baseAddress! + done, buffer.count - done)
      if n < 0 {
        if errno == EINTR { continue }
        throw NiftiError(.ioFailure, "write failed: \(String(cString: strerror(errno)))", path: path)
      }
      done += n
    }
  }

  func sync() throws {
    guard fsync(raw) == 0 else {
      throw NiftiError(.ioFailure, "fsync failed: \(String(cString: strerror(errno)))", path: path)
    }
  }
}
