extension ZipArchive {
  /// The whole entry as bytes (small metadata entries and `data.pkl`), CRC-checked.
  func contents(of entry: ZipEntry) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: entry.uncompressedSize)
    try bytes.withUnsafeMutableBytes { try read(entry, into: $0) }
    return bytes
  }

  /// Fills `buffer` (exactly `entry.uncompressedSize` bytes) with the entry's data and verifies
  /// its CRC-32. STORED data is read straight into `buffer` in 8 MiB chunks, each checksummed
  /// while still in cache; DEFLATE data is inflated into it (raw deflate, zlib) and must end
  /// exactly at the declared size — the inflated byte count, not the declared one, is what is
  /// trusted (reliability.md 2.4 rule 8).
  ///
  /// Precondition: `buffer.count == entry.uncompressedSize`.
  func read(_ entry: ZipEntry, into buffer: UnsafeMutableRawBufferPointer) throws {
    precondition(buffer.count == entry.uncompressedSize, "buffer must hold the whole entry")
    let crc: UInt32
    switch entry.method {
    case .stored: crc = try readStored(entry, into: buffer)
    case .deflate: crc = try inflate(entry, into: buffer)
    }
    guard crc == entry.crc32 else {
      throw CheckpointError(
        .checksumMismatch,
        "CRC-32 mismatch (stored \(hex(entry.crc32)), computed \(hex(crc))): the file is damaged or was altered; download it again",
        path: path, context: "entry \(entry.name.debugDescription)")
    }
  }

  private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
  }
}
