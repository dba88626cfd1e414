import Foundation

/// Writes bytes to a path so that readers see either the old file or the complete new one: a
/// temporary file in the same folder (`.<name>.tmp-<pid>-<random>`), written fully, `fsync`ed, then
/// renamed over the destination; the folder is `fsync`ed afterwards (best effort). On any failure the
/// temporary file is removed and the destination is untouched.
enum PreviewAtomicFile {
  static func write(_ bytes: [UInt8], to url: URL) throws(PreviewError) {
    let path = url.path
    let folder = url.deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw PreviewError(.cannotCreateOutput, "the output folder \(folder) does not exist; create it first", path: path)
    }
    let temporary = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw PreviewError(
        .cannotCreateOutput, "cannot create a file in \(folder): \(String(cString: strerror(errno)))", path: path)
    }
    func fail(_ what: String) -> PreviewError {
      let reason = String(cString: strerror(errno))
      close(fd)
      unlink(temporary)
      return PreviewError(.ioFailure, "\(what): \(reason)", path: path)
    }
    var written = 0
    let failed: Bool = bytes.withUnsafeBytes { buffer in
      while written < buffer.count {
        let n = Foundation.write(fd, buffer.baseAddress! + written, buffer.count - written)
        if n < 0 {
          if errno == EINTR { continue }
          return true
        }
        written += n
      }
      return false
    }
    if failed { throw fail("cannot write the output") }
    guard fsync(fd) == 0 else { throw fail("cannot flush the output to disk") }
    close(fd)
    guard rename(temporary, path) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      throw PreviewError(.cannotCreateOutput, "cannot move the finished file into place: \(reason)", path: path)
    }
    let directory = open(folder, O_RDONLY | O_CLOEXEC)
    if directory >= 0 {
      fsync(directory)
      close(directory)
    }
  }
}

extension PreviewCanvas {
  /// Encodes the canvas as PNG (`PNGEncoder`) and writes it atomically: the complete picture or
  /// nothing appears at `url`.
  ///
  /// - Throws: `PreviewError` `.cannotCreateOutput` (missing folder, no permission, rename failed)
  ///   or `.ioFailure` (disk full, encoder failure).
  public func writePNG(to url: URL, fast: Bool = false) throws(PreviewError) {
    let bytes = try PNGEncoder.encode(self, fast: fast)
    try PreviewAtomicFile.write(bytes, to: url)
  }
}
