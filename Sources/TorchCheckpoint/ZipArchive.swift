/// A validated zip archive (PKWARE APPNOTE 6.3), as `torch.save` writes it.
///
/// Opening reads only the directory: the end-of-central-directory record (zip64 included), every
/// central-directory header and every local header. It refuses, before any data is read
/// (reliability.md 2.4): multi-disk archives; encrypted entries; methods other than STORED and
/// DEFLATE; unsafe or duplicate names (also after case folding); symlinks and other special
/// files; local headers that disagree with the central directory; data outside the file,
/// overlapping another entry or the directory; entries or totals over `CheckpointLimits`; DEFLATE
/// entries whose declared ratio passes `maxCompressionRatio`. Data is read later, per entry,
/// with its CRC-32 verified (`ZipArchive+Read.swift`).
///
/// `package` so that ModelZoo extracts downloaded model archives with the same checks
/// (`ZipArchive+Extract.swift` streams entries of any size).
package final class ZipArchive: Sendable {
  let source: any ArchiveSource
  /// Entries in central-directory order.
  package let entries: [ZipEntry]
  private let index: [String: Int]
  let limits: CheckpointLimits

  package var path: String { source.path }

  /// Opens the zip file at `path` (read with `pread`; the file stays open while the archive lives).
  package convenience init(path: String, limits: CheckpointLimits) throws {
    try self.init(source: FileArchiveSource(path: path), limits: limits)
  }

  init(source: any ArchiveSource, limits: CheckpointLimits) throws {
    self.source = source
    self.limits = limits
    let directory = try ZipDirectoryLocator(source: source, limits: limits).locate()
    var entries = try ZipArchive.readCentralDirectory(source, directory, limits)
    for idx in entries.indices {
      try ZipArchive.confirmLocalHeader(source, &entries[idx])
    }
    try ZipArchive.checkLayout(entries, directoryStart: directory.offset, path: source.path)
    var index: [String: Int] = [:]
    for (position, entry) in entries.enumerated() { index[entry.name] = position }
    self.entries = entries
    self.index = index
  }

  package func entry(named name: String) -> ZipEntry? {
    index[name].map { entries[$0] }
  }

  /// No entry's bytes (local header through data) overlap another's or the central directory
  /// (the overlapping-entry zip bomb, CPython gh-109858).
  private static func checkLayout(_ entries: [ZipEntry], directoryStart: Int, path: String) throws {
    var previousEnd = 0
    var previousName = ""
    for entry in entries.sorted(by: { $0.headerOffset < $1.headerOffset }) {
      guard entry.headerOffset >= previousEnd else {
        throw CheckpointError(
          .corruptArchive, "entry overlaps the data of \(previousName.debugDescription) (possible zip bomb)",
          path: path, context: "entry \(entry.name.debugDescription)")
      }
      guard entry.dataEnd <= directoryStart else {
        throw CheckpointError(
          .corruptArchive, "entry data runs into the central directory", path: path,
          context: "entry \(entry.name.debugDescription)")
      }
      previousEnd = entry.dataEnd
      previousName = entry.name
    }
  }
}
