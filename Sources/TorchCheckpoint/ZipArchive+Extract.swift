import CZlib

extension ZipArchive {
  /// Streams the data of `entry` to `sink` in chunks of at most `chunkSize` bytes and then
  /// verifies its CRC-32 — for entries too large to hold in memory (model archives hold
  /// checkpoints of hundreds of MB). The bytes handed to `sink` are only valid during the call.
  ///
  /// Sizes are enforced on the *actual* inflated byte count (reliability.md 2.4 rule 8): DEFLATE
  /// data that would produce more than the declared uncompressed size stops with
  /// `.corruptArchive` as soon as the first surplus byte appears, and data that ends early fails
  /// too. Because `sink` may already have consumed bytes when the CRC check fails at the end,
  /// callers write into a staging area they discard on any error.
  ///
  /// Throws `CheckpointError` (`.checksumMismatch`, `.corruptArchive`, `.ioFailure`) or whatever
  /// `sink` throws.
  package func stream(
    _ entry: ZipEntry, chunkSize: Int = 1 << 20, into sink: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    let chunkSize = max(chunkSize, 4096)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
    defer { buffer.deallocate() }
    let crc: UInt32
    switch entry.method {
    case .stored:
      var value: UInt32 = 0
      var at = 0
      while at < entry.uncompressedSize {
        let count = min(entry.uncompressedSize - at, chunkSize)
        let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
        try source.read(at: entry.dataOffset + at, into: chunk)
        value = Self.crc32(value, UnsafeRawBufferPointer(chunk))
        try sink(UnsafeRawBufferPointer(chunk))
        at += count
      }
      crc = value
    case .deflate:
      crc = try inflateStreaming(entry, buffer: buffer, sink: sink)
    }
    guard crc == entry.crc32 else {
      throw CheckpointError(
        .checksumMismatch,
        "CRC-32 mismatch (stored \(String(entry.crc32, radix: 16)), computed \(String(crc, radix: 16))): the archive is damaged or was altered; download it again",
        path: path, context: "entry \(entry.name.debugDescription)")
    }
  }

  /// Raw-deflate inflation of `entry` through `buffer` into `sink`; returns the CRC-32 of the
  /// inflated bytes.
  private func inflateStreaming(
    _ entry: ZipEntry, buffer: UnsafeMutableRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void
  ) throws -> UInt32 {
    let context = "entry \(entry.name.debugDescription)"
    func corrupt(_ message: String) -> CheckpointError {
      CheckpointError(.corruptArchive, message, path: path, context: context)
    }
    var stream = z_stream()
    guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw CheckpointError(.ioFailure, "zlib could not initialise", path: path, context: context)
    }
    defer { inflateEnd(&stream) }
    let input = UnsafeMutableRawBufferPointer.allocate(
      byteCount: min(max(entry.compressedSize, 1), 1 << 20), alignment: 16)
    defer { input.deallocate() }
    var consumed = 0
    var produced = 0
    var crc: UInt32 = 0
    while true {
      if stream.avail_in == 0 && consumed < entry.compressedSize {
        let count = min(entry.compressedSize - consumed, input.count)
        try source.read(
          at: entry.dataOffset + consumed, into: UnsafeMutableRawBufferPointer(rebasing: input[0..<count]))
        consumed += count
        stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_in = uInt(count)
      }
      // Ask for one byte more than may remain, so surplus data shows up as produced bytes.
      let room = min(buffer.count, entry.uncompressedSize - produced + 1)
      stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
      stream.avail_out = uInt(room)
      let status = CZlib.inflate(&stream, Z_NO_FLUSH)
      let got = room - Int(stream.avail_out)
      if got > 0 {
        guard produced + got <= entry.uncompressedSize else {
          throw corrupt("deflate data is longer than the declared \(entry.uncompressedSize) bytes (zip bomb?)")
        }
        let chunk = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<got])
        crc = Self.crc32(crc, chunk)
        try sink(chunk)
        produced += got
      }
      switch status {
      case Z_STREAM_END:
        guard produced == entry.uncompressedSize else {
          throw corrupt("deflate data ends after \(produced) of \(entry.uncompressedSize) declared bytes")
        }
        guard stream.avail_in == 0 && consumed == entry.compressedSize else {
          throw corrupt("bytes follow the end of the deflate stream")
        }
        return crc
      case Z_OK:
        continue
      case Z_BUF_ERROR:
        guard stream.avail_in == 0 && consumed < entry.compressedSize else {
          throw corrupt("deflate data is truncated")
        }
      default:
        let detail = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
        throw corrupt("corrupt deflate data (\(detail))")
      }
    }
  }
}
