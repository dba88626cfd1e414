/// Reads torch storages (`<archive>/data/<key>`) from a validated archive on demand.
final class StorageReader: Sendable {
  let archive: ZipArchive
  /// The archive folder with its slash (`checkpoint_final/`).
  let prefix: String
  let bigEndian: Bool

  init(archive: ZipArchive, prefix: String, bigEndian: Bool) {
    self.archive = archive
    self.prefix = prefix
    self.bigEndian = bigEndian
  }

  var path: String { archive.path }

  /// The entry holding `storage`, checked to be exactly `elementCount * byteCount` bytes
  /// (CVE-2026-24747: element counts that disagree with the archive data).
  func entry(for storage: StorageReference) throws -> ZipEntry {
    let name = prefix + "data/" + storage.key
    guard let entry = archive.entry(named: name) else {
      throw CheckpointError(
        .invalidTensor, "the pickle refers to storage \(storage.key) but the archive has no entry \(name)", path: path,
        context: "storage \(storage.key)")
    }
    let (bytes, overflow) = storage.elementCount.multipliedReportingOverflow(by: storage.dtype.byteCount)
    guard !overflow, bytes == entry.uncompressedSize else {
      throw CheckpointError(
        .invalidTensor,
        "storage \(storage.key) declares \(storage.elementCount) \(storage.dtype.rawValue) elements but its entry holds \(entry.uncompressedSize) bytes",
        path: path, context: "entry \(name)")
    }
    return entry
  }
}
