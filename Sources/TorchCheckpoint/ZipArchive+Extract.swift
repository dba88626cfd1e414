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
    var crc: UInt32 = 0
    try inflateRaw(
      entry,
      window: { produced in
        // Ask for one byte more than may remain, so surplus data shows up as produced bytes.
        UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(buffer.count, entry.uncompressedSize - produced + 1)])
      },
      take: { chunk in
        crc = Self.crc32(crc, chunk)
        try sink(chunk)
      })
    return crc
  }
}
