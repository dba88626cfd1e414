import Crypto
import Foundation
import TorchCheckpoint

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Safe extraction of model archives into a staging folder (reliability.md 2.4).
///
/// `ZipArchive` (TorchCheckpoint) validates the whole directory before a byte is written: names
/// (absolute, drive letters, backslashes, NUL/control characters, `..`/`.`/empty components —
/// rejected, never rewritten), symlink/hardlink/device entries, duplicates and case-fold
/// collisions, local header = central directory, overlapping or out-of-file data, entry count,
/// per-entry and total sizes, declared compression ratio, encryption. Extraction then streams each
/// entry with the *actual* inflated byte count capped at the declared size and its CRC-32
/// verified. On top of that this type checks that every destination stays under the staging
/// root, creates files with `O_EXCL | O_NOFOLLOW` (nothing pre-existing is ever followed or
/// overwritten, also not across the archives of one install), refuses nested archives' content
/// being unpacked (they are written as files only), and records each file's size and sha256.
struct ArchiveExtractor {
  var options: ModelZooOptions

  var limits: CheckpointLimits {
    var limits = CheckpointLimits()
    limits.maxEntries = options.maxEntries
    limits.maxEntryBytes = options.maxEntryBytes
    limits.maxTotalBytes = options.maxTotalBytes
    limits.maxCompressionRatio = options.maxCompressionRatio
    return limits
  }

  /// Opens and validates an archive's directory (no data read yet).
  func openArchive(_ zip: URL) throws -> ZipArchive {
    do {
      return try ZipArchive(path: zip.path, limits: limits)
    } catch let error as CheckpointError {
      throw Self.wrap(error, zip)
    }
  }

  /// The small JSON entry `name` (e.g. `other_downloads.json`), if present.
  func smallEntry(_ archive: ZipArchive, _ name: String, zip: URL) throws -> Data? {
    guard let entry = archive.entry(named: name) else { return nil }
    guard entry.uncompressedSize <= 1 << 20 else {
      throw ModelZooError(.invalidArchive, "\(name) is larger than 1 MiB", path: zip.path)
    }
    var data = Data()
    do {
      try archive.stream(entry) { data.append(contentsOf: $0) }
    } catch let error as CheckpointError {
      throw Self.wrap(error, zip)
    }
    return data
  }

  /// Extracts every entry of `archive` under `root` and appends the files written to `files`
  /// (paths relative to `root`). `totalBytes` accumulates across the archives of one install and
  /// is capped by `options.maxTotalBytes`.
  func extract(
    _ archive: ZipArchive, from zip: URL, into root: URL, files: inout [InstallRecord.File], totalBytes: inout Int
  ) throws {
    let rootPath = root.standardizedFileURL.path
    for entry in archive.entries {
      let destination = root.appendingPathComponent(entry.name).standardizedFileURL.path
      guard destination.hasPrefix(rootPath + "/") else {
        throw ModelZooError(
          .invalidArchive, "entry \(entry.name.debugDescription) would be written outside the model folder",
          path: zip.path)
      }
      let (sum, overflow) = totalBytes.addingReportingOverflow(entry.uncompressedSize)
      guard !overflow, sum <= options.maxTotalBytes else {
        throw ModelZooError(
          .invalidArchive, "the archives hold more than \(options.maxTotalBytes) bytes uncompressed (zip bomb?)",
          path: zip.path)
      }
      totalBytes = sum
      do {
        if entry.isFolder {
          try archive.makeFolders(destination)
          continue
        }
        try archive.makeFolders((destination as NSString).deletingLastPathComponent)
        var hasher = SHA256()
        try archive.extract(entry, toNewFile: destination) { hasher.update(bufferPointer: $0) }
        files.append(InstallRecord.File(path: entry.name, size: Int64(entry.uncompressedSize), sha256: FileDigest.hex(hasher.finalize())))
      } catch let error as CheckpointError {
        throw Self.wrap(error, zip)
      }
      if options.extractionDelayPerEntry > 0 { Thread.sleep(forTimeInterval: options.extractionDelayPerEntry) }
    }
  }

  static func wrap(_ error: CheckpointError, _ zip: URL) -> ModelZooError {
    switch error.code {
    case .fileNotFound:
      return ModelZooError(.unknownModel, "archive not found", path: zip.path, underlying: error)
    case .ioFailure:
      return ModelZooError(.ioFailure, error.message, path: zip.path, underlying: error)
    default:
      let context = error.context.map { "\($0): " } ?? ""
      return ModelZooError(
        .invalidArchive, "rejected archive: \(context)\(error.message)", path: zip.path, underlying: error)
    }
  }
}
