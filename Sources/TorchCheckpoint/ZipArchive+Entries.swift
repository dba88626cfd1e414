extension ZipArchive {
  /// Parses `location.entryCount` central-directory headers that must fill the directory exactly.
  static func readCentralDirectory(
    _ source: any ArchiveSource, _ location: ZipDirectoryLocation, _ limits: CheckpointLimits
  ) throws -> [ZipEntry] {
    let path = source.path
    let directory = try source.bytes(at: location.offset, count: location.size, what: "central directory")
    var entries: [ZipEntry] = []
    entries.reserveCapacity(location.entryCount)
    var seen = Set<String>()
    var folded = Set<String>()
    var cursor = 0
    var total = 0
    for number in 0..<location.entryCount {
      func corrupt(_ message: String) -> CheckpointError {
        CheckpointError(.corruptArchive, message, path: path, context: "central directory entry \(number)")
      }
      guard directory.count - cursor >= 46, directory.u32(cursor) == 0x0201_4B50 else {
        throw corrupt("bad central-directory header (signature or length)")
      }
      let madeBy = directory.u16(cursor + 4)
      let flags = directory.u16(cursor + 8)
      let methodRaw = directory.u16(cursor + 10)
      let crc = directory.u32(cursor + 16)
      var compressed = UInt64(directory.u32(cursor + 20))
      var uncompressed = UInt64(directory.u32(cursor + 24))
      let nameLength = Int(directory.u16(cursor + 28))
      let extraLength = Int(directory.u16(cursor + 30))
      let commentLength = Int(directory.u16(cursor + 32))
      var disk = UInt32(directory.u16(cursor + 34))
      let external = directory.u32(cursor + 38)
      var offset = UInt64(directory.u32(cursor + 42))
      let headerLength = 46 + nameLength + extraLength + commentLength
      guard directory.count - cursor >= headerLength else { throw corrupt("header runs past the central directory") }
      let nameBytes = Array(directory[(cursor + 46)..<(cursor + 46 + nameLength)])
      let extra = Array(directory[(cursor + 46 + nameLength)..<(cursor + 46 + nameLength + extraLength)])
      guard let name = String(validating: nameBytes, as: UTF8.self) else {
        throw CheckpointError(
          .unsafeEntry, "entry name is not valid UTF-8", path: path, context: "central directory entry \(number)")
      }
      let context = "entry \(name.debugDescription)"
      try ZipEntry.validate(name: name, path: path)
      // Zip64 extended information: only the saturated fields are present, in this order.
      if uncompressed == 0xFFFF_FFFF || compressed == 0xFFFF_FFFF || offset == 0xFFFF_FFFF || disk == 0xFFFF {
        guard let field = try zip64Field(extra, path: path, context: context) else {
          throw CheckpointError(
            .corruptArchive, "saturated size or offset without a zip64 extra field", path: path, context: context)
        }
        var at = 0
        func next8() throws -> UInt64 {
          guard field.count - at >= 8 else {
            throw CheckpointError(.corruptArchive, "zip64 extra field too short", path: path, context: context)
          }
          defer { at += 8 }
          return field.u64(at)
        }
        if uncompressed == 0xFFFF_FFFF { uncompressed = try next8() }
        if compressed == 0xFFFF_FFFF { compressed = try next8() }
        if offset == 0xFFFF_FFFF { offset = try next8() }
        if disk == 0xFFFF {
          guard field.count - at >= 4 else {
            throw CheckpointError(.corruptArchive, "zip64 extra field too short", path: path, context: context)
          }
          disk = field.u32(at)
        }
      }
      guard disk == 0 else {
        throw CheckpointError(
          .unsupported, "multi-disk (split) zip archives are not supported", path: path, context: context)
      }
      if flags & 0x0001 != 0 || flags & 0x0040 != 0 || methodRaw == 99 {
        throw CheckpointError(.unsafeEntry, "encrypted zip entries are not accepted", path: path, context: context)
      }
      guard let method = ZipEntry.Method(rawValue: methodRaw) else {
        throw CheckpointError(
          .unsupported, "compression method \(methodRaw) is not supported (only STORED and DEFLATE)", path: path,
          context: context)
      }
      // Unix file type in the high 16 bits of the external attributes: regular files only.
      if madeBy >> 8 == 3 {
        let type = (external >> 16) & 0xF000
        let isFolder = name.hasSuffix("/")
        guard type == 0 || type == 0x8000 || (type == 0x4000 && isFolder) else {
          throw CheckpointError(
            .unsafeEntry,
            type == 0xA000 ? "symbolic-link entries are not accepted" : "special-file entries are not accepted",
            path: path, context: context)
        }
      }
      guard let compressedSize = compressed.exactInt, let uncompressedSize = uncompressed.exactInt,
        let headerOffset = offset.exactInt
      else { throw CheckpointError(.corruptArchive, "size or offset out of range", path: path, context: context) }
      if name.hasSuffix("/") && uncompressedSize != 0 {
        throw CheckpointError(.corruptArchive, "a folder entry holds data", path: path, context: context)
      }
      try checkSizes(method, compressedSize, uncompressedSize, &total, limits, path: path, context: context)
      guard seen.insert(name).inserted else {
        throw CheckpointError(.unsafeEntry, "duplicate entry name", path: path, context: context)
      }
      guard folded.insert(name.lowercased()).inserted else {
        throw CheckpointError(
          .unsafeEntry, "entry name differs from another only in case", path: path, context: context)
      }
      entries.append(
        ZipEntry(
          name: name, method: method, crc32: crc, compressedSize: compressedSize, uncompressedSize: uncompressedSize,
          headerOffset: headerOffset))
      cursor += headerLength
    }
    guard cursor == directory.count else {
      throw CheckpointError(
        .corruptArchive, "the central directory holds \(directory.count - cursor) bytes after its last entry",
        path: path, context: "central directory")
    }
    return entries
  }

  /// Per-entry and total size caps, and the declared compression ratio (zip-bomb guard).
  private static func checkSizes(
    _ method: ZipEntry.Method, _ compressed: Int, _ uncompressed: Int, _ total: inout Int,
    _ limits: CheckpointLimits, path: String, context: String
  ) throws {
    guard uncompressed <= limits.maxEntryBytes else {
      throw CheckpointError(
        .limitExceeded, "entry declares \(uncompressed) bytes (limit \(limits.maxEntryBytes))", path: path,
        context: context)
    }
    switch method {
    case .stored:
      guard compressed == uncompressed else {
        throw CheckpointError(
          .corruptArchive, "stored entry with compressed size \(compressed) != size \(uncompressed)", path: path,
          context: context)
      }
    case .deflate:
      let (bound, overflow) = max(compressed, 1).multipliedReportingOverflow(by: limits.maxCompressionRatio)
      guard overflow || uncompressed <= bound else {
        throw CheckpointError(
          .limitExceeded,
          "compression ratio \(uncompressed / max(compressed, 1)):1 exceeds \(limits.maxCompressionRatio):1 (zip bomb?)",
          path: path, context: context)
      }
    }
    let (sum, overflow) = total.addingReportingOverflow(uncompressed)
    guard !overflow, sum <= limits.maxTotalBytes else {
      throw CheckpointError(
        .limitExceeded, "entries total more than \(limits.maxTotalBytes) bytes uncompressed", path: path,
        context: context)
    }
    total = sum
  }

  /// The payload of the zip64 extended-information extra block (id 0x0001), if present. The
  /// extra field must be a well-formed sequence of (id, length, data) blocks.
  static func zip64Field(_ extra: [UInt8], path: String, context: String) throws -> [UInt8]? {
    var at = 0
    var result: [UInt8]? = nil
    while at < extra.count {
      guard extra.count - at >= 4 else {
        throw CheckpointError(.corruptArchive, "malformed extra field", path: path, context: context)
      }
      let id = extra.u16(at)
      let length = Int(extra.u16(at + 2))
      guard extra.count - at - 4 >= length else {
        throw CheckpointError(.corruptArchive, "malformed extra field", path: path, context: context)
      }
      if id == 0x0001 && result == nil { result = Array(extra[(at + 4)..<(at + 4 + length)]) }
      at += 4 + length
    }
    return result
  }

  /// Reads the entry's local header, checks it against the central directory and sets
  /// `dataOffset` (30 bytes + name + extra; never assumed).
  static func confirmLocalHeader(_ source: any ArchiveSource, _ entry: inout ZipEntry) throws {
    let path = source.path
    let context = "entry \(entry.name.debugDescription)"
    func corrupt(_ message: String) -> CheckpointError {
      CheckpointError(.corruptArchive, message, path: path, context: context)
    }
    let header = try source.bytes(
      at: entry.headerOffset, count: 30, what: "local header of \(entry.name.debugDescription)")
    guard header.u32(0) == 0x0403_4B50 else { throw corrupt("missing local-header signature") }
    let flags = header.u16(6)
    let method = header.u16(8)
    let nameLength = Int(header.u16(26))
    let extraLength = Int(header.u16(28))
    let variable = try source.bytes(
      at: entry.headerOffset + 30, count: nameLength + extraLength,
      what: "local header of \(entry.name.debugDescription)")
    guard Array(variable[0..<nameLength]) == Array(entry.name.utf8) else {
      throw CheckpointError(
        .unsafeEntry, "local-header name differs from the central-directory name", path: path, context: context)
    }
    if flags & 0x0001 != 0 || flags & 0x0040 != 0 {
      throw CheckpointError(.unsafeEntry, "encrypted zip entries are not accepted", path: path, context: context)
    }
    guard method == entry.method.rawValue else {
      throw corrupt("local header and central directory disagree on the method")
    }
    entry.hasDataDescriptor = flags & 0x0008 != 0
    if !entry.hasDataDescriptor {
      var compressed = UInt64(header.u32(18))
      var uncompressed = UInt64(header.u32(22))
      if compressed == 0xFFFF_FFFF || uncompressed == 0xFFFF_FFFF {
        let extra = Array(variable[nameLength...])
        guard let field = try zip64Field(extra, path: path, context: context), field.count >= 16 else {
          throw corrupt("saturated local sizes without a zip64 extra field")
        }
        uncompressed = field.u64(0)
        compressed = field.u64(8)
      }
      guard header.u32(14) == entry.crc32, compressed == UInt64(entry.compressedSize),
        uncompressed == UInt64(entry.uncompressedSize)
      else { throw corrupt("local header and central directory disagree on CRC or sizes") }
    }
    entry.dataOffset = entry.headerOffset + 30 + nameLength + extraLength
    try source.checkRange(
      offset: entry.dataOffset, count: entry.compressedSize, what: "data of \(entry.name.debugDescription)")
    if entry.hasDataDescriptor {
      // [signature 0x08074b50] crc32, then sizes (4 or 8 bytes each): the CRC must agree.
      let descriptor = try source.bytes(
        at: entry.dataEnd, count: min(8, source.size - entry.dataEnd),
        what: "data descriptor of \(entry.name.debugDescription)")
      guard descriptor.count == 8 else { throw corrupt("data descriptor missing") }
      let crc = descriptor.u32(0) == 0x0807_4B50 ? descriptor.u32(4) : descriptor.u32(0)
      guard crc == entry.crc32 else { throw corrupt("data descriptor and central directory disagree on the CRC") }
    }
  }
}
