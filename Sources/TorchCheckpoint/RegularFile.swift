#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Opening input files without ever blocking on something that is not a file: the shared helper
/// of the modules above this one (checkpoints here; `plans.json`, `dataset.json` and label files
/// in NNUNetRuntime and VibeSegKit). NiftiIO, which cannot import this module, does the same in
/// its `FileDescriptor`.
///
/// `open(O_RDONLY | O_NONBLOCK)` (`openForReading`) returns at once even for a FIFO with no writer (a plain open
/// would wait forever); `fstat` then requires a regular file (`S_ISREG`), and `O_NONBLOCK` is
/// cleared before any read. Directories, FIFOs, sockets and devices are refused by name.
package enum RegularFile {
  /// Why a file could not be opened or read; each module converts it to its own error type
  /// (`kind` decides the code, `message` is the text).
  package struct Failure: Error, Sendable {
    package enum Kind: Sendable { case missing, notRegular, tooLarge, ioFailure }
    package var kind: Kind
    package var message: String
  }

  /// Largest JSON input read whole (plans.json, dataset.json, label-name files): 64 MiB, checked
  /// from `fstat` before reading. Real nnU-Net plans are 5-50 KiB and dataset.json a few KiB; the
  /// in-memory tree of a JSON file takes about 10 times its size (a 300 MB plans.json took 2.9 GB).
  package static let maxJSONBytes = 64 << 20

  /// Opens `path` for reading: a descriptor (blocking mode, close-on-exec) and the size in bytes.
  /// The caller closes the descriptor.
  package static func openForReading(_ path: String) throws(Failure) -> (descriptor: Int32, size: Int) {
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else {
      let err = errno
      throw Failure(
        kind: (err == ENOENT || err == ENOTDIR) ? .missing : .ioFailure,
        message: "cannot open for reading: \(String(cString: strerror(err)))")
    }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      let message = String(cString: strerror(errno))
      close(fd)
      throw Failure(kind: .ioFailure, message: "cannot stat: \(message)")
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      close(fd)
      throw Failure(kind: .notRegular, message: "not a regular file (\(describe(mode: info.st_mode))); only regular files are read")
    }
    let flags = fcntl(fd, F_GETFL)
    guard flags >= 0, fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
      let message = String(cString: strerror(errno))
      close(fd)
      throw Failure(kind: .ioFailure, message: "cannot clear O_NONBLOCK: \(message)")
    }
    return (fd, Int(info.st_size))
  }

  /// The whole file, refused when it is larger than `maxBytes` (checked from `fstat`, before any
  /// allocation) or grows while being read.
  package static func contents(_ path: String, maxBytes: Int) throws(Failure) -> [UInt8] {
    let (fd, size) = try openForReading(path)
    defer { close(fd) }
    guard size <= maxBytes else {
      throw Failure(kind: .tooLarge, message: "\(size) bytes exceed the limit of \(maxBytes) bytes (\(maxBytes >> 20) MiB) for this kind of file")
    }
    var bytes = [UInt8](repeating: 0, count: size + 1)
    var done = 0
    var failure: Int32 = 0
    bytes.withUnsafeMutableBytes { buffer in
      while done < buffer.count {
        // In bounds: done < buffer.count.
        let n = read(fd, buffer.baseAddress! + done, buffer.count - done)
        if n < 0 {
          if errno == EINTR { continue }
          failure = errno
          return
        }
        if n == 0 { break }
        done += n
      }
    }
    guard failure == 0 else { throw Failure(kind: .ioFailure, message: "read failed: \(String(cString: strerror(failure)))") }
    guard done <= size else { throw Failure(kind: .tooLarge, message: "the file grew while being read") }
    return Array(bytes[0..<done])
  }

  /// "a FIFO", "a directory", ... for a `st_mode`.
  package static func describe(mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFIFO: "a FIFO"
    case S_IFDIR: "a directory"
    case S_IFCHR: "a character device"
    case S_IFBLK: "a block device"
    case S_IFSOCK: "a socket"
    case S_IFLNK: "a symbolic link"
    default: "not a regular file"
    }
  }
}
