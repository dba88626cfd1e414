extension TorchCheckpoint {
  init(source: any ArchiveSource, limits: CheckpointLimits) throws {
    let archive = try ZipArchive(source: source, limits: limits)
    let path = source.path
    let prefix = try Self.archivePrefix(archive)
    func entry(_ name: String) -> ZipEntry? { archive.entry(named: prefix + name) }
    if entry("constants.pkl") != nil || archive.entries.contains(where: { $0.name.hasPrefix(prefix + "code/") }) {
      throw CheckpointError(
        .unsupported, "this is a TorchScript archive (torch.jit.save), not a torch.save checkpoint", path: path)
    }
    guard let pickle = entry("data.pkl") else {
      throw CheckpointError(.corruptArchive, "the archive has no \(prefix)data.pkl", path: path)
    }
    var bigEndian = false
    if let order = entry("byteorder") {
      switch try Self.smallText(archive, order) {
      case "little": bigEndian = false
      case "big": bigEndian = true
      case let other:
        throw CheckpointError(
          .corruptArchive, "byteorder is \(other.debugDescription), expected \"little\" or \"big\"", path: path,
          context: "entry \(order.name)")
      }
    }
    var version: Int? = nil
    if let versionEntry = entry("version") {
      let text = try Self.smallText(archive, versionEntry)
      guard let number = Int(text), (1...9).contains(number) else {
        throw CheckpointError(
          .unsupported, "unknown checkpoint format version \(text.debugDescription)", path: path,
          context: "entry \(versionEntry.name)")
      }
      version = number
    }
    guard pickle.uncompressedSize <= limits.maxPickleBytes else {
      throw CheckpointError(
        .limitExceeded, "data.pkl holds \(pickle.uncompressedSize) bytes (limit \(limits.maxPickleBytes))", path: path,
        context: "entry \(pickle.name)")
    }
    let document = try Unpickler.document(from: try archive.contents(of: pickle), path: path, limits: limits)
    let reader = StorageReader(archive: archive, prefix: prefix, bigEndian: bigEndian)
    for storage in document.storages.values.sorted(by: { $0.key < $1.key }) {
      _ = try reader.entry(for: storage)
    }
    self.path = path
    archiveName = String(prefix.dropLast())
    isBigEndian = bigEndian
    formatVersion = version
    root = document.root
    storages = document.storages
    self.reader = reader
  }

  /// `X/` when every entry lies under the one folder `X` (nnunet-inference.md 4.1).
  private static func archivePrefix(_ archive: ZipArchive) throws -> String {
    guard let first = archive.entries.first, let slash = first.name.firstIndex(of: "/") else {
      throw CheckpointError(.corruptArchive, "the archive has no top-level folder", path: archive.path)
    }
    let prefix = String(first.name[...slash])
    for entry in archive.entries where !entry.name.hasPrefix(prefix) {
      throw CheckpointError(
        .corruptArchive, "entries lie outside the archive folder \(prefix.debugDescription)", path: archive.path,
        context: "entry \(entry.name.debugDescription)")
    }
    return prefix
  }

  /// A short text entry (`byteorder`, `version`), trimmed of whitespace.
  private static func smallText(_ archive: ZipArchive, _ entry: ZipEntry) throws -> String {
    guard entry.uncompressedSize <= 64 else {
      throw CheckpointError(
        .corruptArchive, "metadata entry longer than 64 bytes", path: archive.path, context: "entry \(entry.name)")
    }
    let bytes = try archive.contents(of: entry)
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw CheckpointError(
        .corruptArchive, "metadata entry is not text", path: archive.path, context: "entry \(entry.name)")
    }
    return String(text.unicodeScalars.filter { !$0.properties.isWhitespace }.map(Character.init))
  }
}
