import Foundation

/// Writes a file under a temporary name in the destination folder, flushes it, then renames it
/// into place (reliability.md 3.2): readers see the old file or the complete new one, never half.
/// On any error the temporary file is removed.
package enum AtomicFile {
  static func write(to path: String, _ body: (FileDescriptor) throws -> Void) throws {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw NiftiError(.cannotCreateOutput, "the output folder \(folder) does not exist", path: path)
    }
    let temporary = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    do {
      let file = try FileDescriptor(creating: temporary)
      try body(file)
      try file.sync()
    } catch {
      unlink(temporary)
      throw error
    }
    guard rename(temporary, path) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      throw NiftiError(.cannotCreateOutput, "cannot move the finished file into place: \(reason)", path: path)
    }
    // Persist the rename itself (best effort: some file systems refuse fsync on folders).
    let dir = open(folder, O_RDONLY | O_CLOEXEC)
    if dir >= 0 { fsync(dir); close(dir) }
  }

  /// Writes `bytes` atomically to `url`; throws `NiftiError` (`.cannotCreateOutput` when the folder
  /// is missing or the file cannot be created or renamed, `.ioFailure` when writing fails).
  package static func write(_ bytes: [UInt8], to url: URL) throws(NiftiError) {
    do {
      try write(to: url.path) { file in try bytes.withUnsafeBytes { try file.write($0) } }
    } catch let error as NiftiError {
      throw error
    } catch {
      throw NiftiError(.ioFailure, "\(error)", path: url.path)
    }
  }
}
