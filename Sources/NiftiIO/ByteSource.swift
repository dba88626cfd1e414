/// Sequential bytes of a NIfTI file after any decompression.
protocol ByteSource: AnyObject {
  /// Fills `buffer` fully; returns fewer bytes only at the end of the data.
  func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
  /// Consumes the rest of the stream, verifying its integrity (for gzip: every member's CRC32
  /// and ISIZE). Returns the number of decompressed bytes that followed.
  func finish() throws -> Int
}

extension ByteSource {
  /// Reads exactly `count` bytes or throws `.truncated` naming what was being read.
  func readExactly(_ count: Int, what: String, path: String) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    let got = try bytes.withUnsafeMutableBytes { try read(into: $0) }
    guard got == count else {
      throw NiftiError(.truncated, "file ends inside the \(what) (\(got) of \(count) bytes)", path: path)
    }
    return bytes
  }

  /// Skips `count` bytes.
  func skip(_ count: Int, what: String, path: String) throws {
    var left = count
    var scratch = [UInt8](repeating: 0, count: min(count, 1 << 16))
    while left > 0 {
      let chunk = min(left, scratch.count)
      let got = try scratch.withUnsafeMutableBytes { try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<chunk])) }
      guard got == chunk else { throw NiftiError(.truncated, "file ends inside the \(what)", path: path) }
      left -= chunk
    }
  }
}

/// An uncompressed file.
final class PlainFileSource: ByteSource {
  let file: FileDescriptor
  init(_ file: FileDescriptor) { self.file = file }
  func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try file.read(into: buffer) }
  func finish() throws -> Int { 0 }
}
