/// Random-access bytes of a zip archive: a file read with `pread`, or bytes in memory.
///
/// Implementations are immutable after creation, so concurrent reads are safe.
protocol ArchiveSource: AnyObject, Sendable {
  /// Total size in bytes.
  var size: Int { get }
  /// The file name used in errors.
  var path: String { get }
  /// Fills `buffer` with the bytes at `offset ..< offset + buffer.count`.
  ///
  /// Precondition: the range lies inside `0 ..< size` (callers check with overflow-reporting
  /// arithmetic before calling).
  func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws
}

extension ArchiveSource {
  /// Reads `count` bytes at `offset` into a new array, or throws `.corruptArchive` naming `what`
  /// when the range is not inside the file.
  func bytes(at offset: Int, count: Int, what: String) throws -> [UInt8] {
    try checkRange(offset: offset, count: count, what: what)
    var out = [UInt8](repeating: 0, count: count)
    try out.withUnsafeMutableBytes { try read(at: offset, into: $0) }
    return out
  }

  /// Throws unless `offset ..< offset + count` lies inside the archive.
  func checkRange(offset: Int, count: Int, what: String) throws {
    let (end, overflow) = offset.addingReportingOverflow(count)
    guard offset >= 0, count >= 0, !overflow, end <= size else {
      throw CheckpointError(
        .corruptArchive, "\(what) lies outside the file (bytes \(offset) + \(count), file size \(size))",
        path: path, context: what)
    }
  }
}

/// An archive held in memory (tests, fuzzing, downloads not yet written).
final class MemoryArchiveSource: ArchiveSource {
  let storage: [UInt8]
  let path: String
  var size: Int { storage.count }

  init(_ bytes: [UInt8], path: String) {
    storage = bytes
    self.path = path
  }

  func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
    guard buffer.count > 0 else { return }
    storage.withUnsafeBytes { all in
      buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[offset..<(offset + buffer.count)]))
    }
  }
}
