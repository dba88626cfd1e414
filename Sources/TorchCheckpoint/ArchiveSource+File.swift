#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A regular file read with `pread` (position-independent, so concurrent reads are safe).
/// Each POSIX call is wrapped once here and its status converted to `CheckpointError`.
final class FileArchiveSource: ArchiveSource {
  let descriptor: Int32
  let path: String
  let size: Int

  init(path: String) throws {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      let err = errno
      let code: CheckpointError.Code = (err == ENOENT || err == ENOTDIR) ? .fileNotFound : .ioFailure
      throw CheckpointError(code, "cannot open for reading: \(String(cString: strerror(err)))", path: path)
    }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      let message = String(cString: strerror(errno))
      close(fd)
      throw CheckpointError(.ioFailure, "cannot stat: \(message)", path: path)
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      close(fd)
      throw CheckpointError(.ioFailure, "not a regular file", path: path)
    }
    descriptor = fd
    self.path = path
    size = Int(info.st_size)
  }

  deinit { close(descriptor) }

  func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
    var done = 0
    while done < buffer.count {
      // In bounds: done < buffer.count.
      let n = pread(descriptor, buffer.baseAddress! + done, min(buffer.count - done, 1 << 30), off_t(offset + done))
      if n < 0 {
        if errno == EINTR { continue }
        throw CheckpointError(.ioFailure, "read failed: \(String(cString: strerror(errno)))", path: path)
      }
      if n == 0 {
        throw CheckpointError(.ioFailure, "the file shrank while being read", path: path)
      }
      done += n
    }
  }
}
