/// Where the central directory is, from the end-of-central-directory record (and the zip64
/// record when any classic field is saturated).
struct ZipDirectoryLocation {
  var offset: Int
  var size: Int
  var entryCount: Int
}

struct ZipDirectoryLocator {
  let source: any ArchiveSource
  let limits: CheckpointLimits

  private func corrupt(_ message: String) -> CheckpointError {
    CheckpointError(.corruptArchive, message, path: source.path, context: "end of central directory")
  }

  /// Scans the last 64 KiB + 22 bytes backwards for the EOCD signature whose comment length
  /// reaches exactly the end of the file.
  func locate() throws -> ZipDirectoryLocation {
    let path = source.path
    guard source.size >= 22 else { throw try notZip() }
    let tailCount = min(source.size, 22 + 0xFFFF)
    let tailStart = source.size - tailCount
    let tail = try source.bytes(at: tailStart, count: tailCount, what: "end of central directory")
    var found: Int? = nil
    var position = tailCount - 22
    while position >= 0 {
      if tail.u32(position) == 0x0605_4B50 && Int(tail.u16(position + 20)) == tailCount - position - 22 {
        found = position
        break
      }
      position -= 1
    }
    guard let eocd = found else { throw try notZip() }
    let eocdOffset = tailStart + eocd
    let disk = tail.u16(eocd + 4)
    let directoryDisk = tail.u16(eocd + 6)
    let onDisk = tail.u16(eocd + 8)
    let total = tail.u16(eocd + 10)
    let size32 = tail.u32(eocd + 12)
    let offset32 = tail.u32(eocd + 16)
    let saturated =
      disk == 0xFFFF || directoryDisk == 0xFFFF || onDisk == 0xFFFF || total == 0xFFFF
      || size32 == 0xFFFF_FFFF || offset32 == 0xFFFF_FFFF
    var location: ZipDirectoryLocation
    var directoryEnd = eocdOffset
    let hasLocator =
      try eocdOffset >= 20
      && source.bytes(at: eocdOffset - 20, count: 4, what: "zip64 locator").u32(0) == 0x0706_4B50
    if saturated || hasLocator {
      (location, directoryEnd) = try zip64(eocdOffset: eocdOffset)
    } else {
      guard disk == 0, directoryDisk == 0, onDisk == total else {
        throw CheckpointError(.unsupported, "multi-disk (split) zip archives are not supported", path: path)
      }
      location = ZipDirectoryLocation(offset: Int(offset32), size: Int(size32), entryCount: Int(total))
    }
    guard location.entryCount <= limits.maxEntries else {
      throw CheckpointError(
        .limitExceeded, "the archive declares \(location.entryCount) entries (limit \(limits.maxEntries))",
        path: path, context: "end of central directory")
    }
    let (end, overflow) = location.offset.addingReportingOverflow(location.size)
    guard !overflow, end <= directoryEnd else {
      throw corrupt(
        "the central directory (offset \(location.offset), \(location.size) bytes) does not end before its end record")
    }
    return location
  }

  /// Reads the zip64 locator (20 bytes before the EOCD) and the zip64 end record it points to.
  private func zip64(eocdOffset: Int) throws -> (ZipDirectoryLocation, directoryEnd: Int) {
    guard eocdOffset >= 20 else { throw corrupt("zip64 fields are saturated but there is no zip64 locator") }
    let locator = try source.bytes(at: eocdOffset - 20, count: 20, what: "zip64 locator")
    guard locator.u32(0) == 0x0706_4B50 else {
      throw corrupt("zip64 fields are saturated but there is no zip64 locator")
    }
    guard locator.u32(4) == 0, locator.u32(16) <= 1 else {
      throw CheckpointError(.unsupported, "multi-disk (split) zip archives are not supported", path: source.path)
    }
    guard let recordOffset = locator.u64(8).exactInt, recordOffset <= eocdOffset - 20 - 56 else {
      throw corrupt("the zip64 locator points outside the file")
    }
    let record = try source.bytes(at: recordOffset, count: 56, what: "zip64 end of central directory")
    guard record.u32(0) == 0x0606_4B50 else { throw corrupt("missing zip64 end-of-central-directory signature") }
    guard record.u32(16) == 0, record.u32(20) == 0, record.u64(24) == record.u64(32) else {
      throw CheckpointError(.unsupported, "multi-disk (split) zip archives are not supported", path: source.path)
    }
    guard let count = record.u64(32).exactInt, let size = record.u64(40).exactInt,
      let offset = record.u64(48).exactInt
    else { throw corrupt("zip64 directory size or offset does not fit in 64-bit signed integers") }
    return (ZipDirectoryLocation(offset: offset, size: size, entryCount: count), recordOffset)
  }

  /// The error for a file with no end record, naming the formats it may be instead.
  private func notZip() throws -> CheckpointError {
    let head = try source.bytes(at: 0, count: min(source.size, 512), what: "file start")
    if head.count >= 2 && head[0] == 0x80 && head[1] <= 5 {
      return CheckpointError(
        .unsupported,
        "this is a legacy (before PyTorch 1.6) raw-pickle checkpoint; re-save it with a current torch.save (zip format)",
        path: source.path)
    }
    if head.count >= 262 && Array(head[257..<262]) == Array("ustar".utf8) {
      return CheckpointError(
        .unsupported, "this is a legacy tar-format torch checkpoint; re-save it with a current torch.save",
        path: source.path)
    }
    return CheckpointError(
      .notZip,
      head.isEmpty
        ? "the file is empty"
        : "not a zip archive (no end-of-central-directory record); not a PyTorch checkpoint or truncated",
      path: source.path)
  }
}
