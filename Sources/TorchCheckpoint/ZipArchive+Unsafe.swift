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

  /// Raw-deflate (windowBits -15) inflation of the entry into `buffer`.
  func inflate(_ entry: ZipEntry, into buffer: UnsafeMutableRawBufferPointer) throws -> UInt32 {
    let context = "entry \(entry.name.debugDescription)"
    func corrupt(_ message: String) -> CheckpointError {
      CheckpointError(.corruptArchive, message, path: path, context: context)
    }
    var stream = z_stream()
    // inflateInit2 is a macro; call the function it expands to.
    guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw CheckpointError(.ioFailure, "zlib could not initialise", path: path, context: context)
    }
    defer { inflateEnd(&stream) }
    let input = UnsafeMutableRawBufferPointer.allocate(
      byteCount: min(max(entry.compressedSize, 1), 1 << 20), alignment: 16)
    defer { input.deallocate() }
    var consumed = 0
    var produced = 0
    // One spare byte of output lets inflate reveal data beyond the declared size.
    var spare: UInt8 = 0
    while true {
      if stream.avail_in == 0 && consumed < entry.compressedSize {
        let count = min(entry.compressedSize - consumed, input.count)
        try source.read(
          at: entry.dataOffset + consumed, into: UnsafeMutableRawBufferPointer(rebasing: input[0..<count]))
        consumed += count
        stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_in = uInt(count)
      }
      let status: Int32
      if produced < buffer.count {
        let step = min(buffer.count - produced, Int(Int32.max))
        // In bounds: produced + step <= buffer.count.
        stream.next_out = (buffer.baseAddress! + produced).assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(step)
        status = CZlib.inflate(&stream, Z_NO_FLUSH)
        produced += step - Int(stream.avail_out)
      } else {
        status = withUnsafeMutablePointer(to: &spare) { pointer in
          stream.next_out = pointer
          stream.avail_out = 1
          return CZlib.inflate(&stream, Z_NO_FLUSH)
        }
        if stream.avail_out == 0 { throw corrupt("deflate data is longer than the declared size (zip bomb?)") }
      }
      switch status {
      case Z_STREAM_END:
        guard produced == buffer.count else {
          throw corrupt("deflate data ends after \(produced) of \(buffer.count) declared bytes")
        }
        guard stream.avail_in == 0 && consumed == entry.compressedSize else {
          throw corrupt("bytes follow the end of the deflate stream")
        }
        return Self.crc32(0, UnsafeRawBufferPointer(buffer))
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
