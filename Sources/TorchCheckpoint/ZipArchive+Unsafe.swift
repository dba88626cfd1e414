import CZlib

extension ZipArchive {
  /// Chunk size for reading and checksumming (fits in L2/L3 while the CRC runs).
  private static let chunkSize = 8 << 20

  /// CRC-32 (zlib) of `bytes`, continuing from `crc`; chunked because zlib takes 32-bit lengths.
  static func crc32(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
    var value = UInt(crc)
    var at = 0
    while at < bytes.count {
      let count = min(bytes.count - at, 1 << 30)
      // In bounds: at + count <= bytes.count.
      value = CZlib.crc32(value, (bytes.baseAddress! + at).assumingMemoryBound(to: Bytef.self), uInt(count))
      at += count
    }
    return UInt32(truncatingIfNeeded: value)
  }

  func readStored(_ entry: ZipEntry, into buffer: UnsafeMutableRawBufferPointer) throws -> UInt32 {
    var crc: UInt32 = 0
    var at = 0
    while at < buffer.count {
      let count = min(buffer.count - at, Self.chunkSize)
      let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[at..<(at + count)])
      try source.read(at: entry.dataOffset + at, into: chunk)
      crc = Self.crc32(crc, UnsafeRawBufferPointer(chunk))
      at += count
    }
    return crc
  }

  /// Raw-deflate (windowBits -15) inflation of the entry into `buffer` (exactly
  /// `entry.uncompressedSize` bytes); returns the CRC-32 of the inflated bytes.
  func inflate(_ entry: ZipEntry, into buffer: UnsafeMutableRawBufferPointer) throws -> UInt32 {
    // One spare byte of output lets inflate reveal data beyond the declared size.
    let spare = UnsafeMutableRawBufferPointer.allocate(byteCount: 1, alignment: 1)
    defer { spare.deallocate() }
    try inflateRaw(
      entry,
      window: { produced in
        guard produced < buffer.count else { return spare }
        // In bounds: produced + step <= buffer.count.
        let step = min(buffer.count - produced, Int(Int32.max))
        return UnsafeMutableRawBufferPointer(rebasing: buffer[produced..<(produced + step)])
      }, take: { _ in })
    return Self.crc32(0, UnsafeRawBufferPointer(buffer))
  }

  /// The one raw-deflate (windowBits -15) loop of the zip reader, behind `inflate(_:into:)` (the
  /// whole entry into memory) and `stream(_:chunkSize:into:)` (chunks handed to a sink).
  ///
  /// Each step inflates into `window(produced)`, where `produced` counts the bytes inflated so
  /// far; the window must be non-empty and at most `Int32.max` bytes. `take` then gets the
  /// bytes that step produced (valid during the call only). The inflated byte count is what is
  /// trusted, not the declared size (reliability.md 2.4 rule 8): a window reaching past the
  /// declared size lets surplus data show up as produced bytes, which stops the loop at once.
  ///
  /// Throws `CheckpointError.corruptArchive` when the data inflates to more or fewer bytes than
  /// declared, is truncated, has bytes after its end or is not valid DEFLATE; `.ioFailure` when
  /// zlib cannot start; and whatever `take` throws.
  func inflateRaw(
    _ entry: ZipEntry, window: (_ produced: Int) -> UnsafeMutableRawBufferPointer,
    take: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    let context = "entry \(entry.name.debugDescription)"
    func corrupt(_ message: String) -> CheckpointError {
      CheckpointError(.corruptArchive, message, path: path, context: context)
    }
    var stream = z_stream()
    guard czlib_inflate_init_raw(&stream) == Z_OK else {
      throw CheckpointError(.ioFailure, "zlib could not initialise", path: path, context: context)
    }
    defer { inflateEnd(&stream) }
    let input = UnsafeMutableRawBufferPointer.allocate(
      byteCount: min(max(entry.compressedSize, 1), 1 << 20), alignment: 16)
    defer { input.deallocate() }
    var consumed = 0
    var produced = 0
    while true {
      if stream.avail_in == 0 && consumed < entry.compressedSize {
        let count = min(entry.compressedSize - consumed, input.count)
        try source.read(
          at: entry.dataOffset + consumed, into: UnsafeMutableRawBufferPointer(rebasing: input[0..<count]))
        consumed += count
        stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_in = uInt(count)
      }
      let output = window(produced)
      stream.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
      stream.avail_out = uInt(output.count)
      let status = CZlib.inflate(&stream, Z_NO_FLUSH)
      let got = output.count - Int(stream.avail_out)
      if got > 0 {
        guard produced + got <= entry.uncompressedSize else {
          throw corrupt("deflate data is longer than the declared \(entry.uncompressedSize) bytes (zip bomb?)")
        }
        try take(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(output)[0..<got]))
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
        return
      case Z_OK:
        continue
      case Z_BUF_ERROR:
        // No progress: only more input can help.
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
