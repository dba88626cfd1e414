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

  /// Opens through `RegularFile.openForReading`: never blocks, refuses anything but a regular file.
  init(path: String) throws {
    do throws(RegularFile.Failure) {
      (descriptor, size) = try RegularFile.openForReading(path)
    } catch {
      let code: CheckpointError.Code =
        switch error.kind {
        case .missing: .fileNotFound
        case .notRegular, .tooLarge: .unsupported
        case .ioFailure: .ioFailure
        }
      throw CheckpointError(code, error.message, path: path)
    }
    self.path = path
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
