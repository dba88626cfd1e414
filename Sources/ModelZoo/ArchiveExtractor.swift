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
      if entry.isFolder {
        try makeFolder(destination, zip: zip)
        continue
      }
      try makeFolder((destination as NSString).deletingLastPathComponent, zip: zip)
      let digest = try write(entry, of: archive, to: destination, zip: zip)
      files.append(InstallRecord.File(path: entry.name, size: Int64(entry.uncompressedSize), sha256: digest))
      if options.extractionDelayPerEntry > 0 { Thread.sleep(forTimeInterval: options.extractionDelayPerEntry) }
    }
  }

  /// Creates `path` and missing parents (each `mkdir` refuses to follow anything: a component
  /// that exists must be a real folder, not a symlink).
  private func makeFolder(_ path: String, zip: URL) throws {
    var info = stat()
    if lstat(path, &info) == 0 {
      guard (info.st_mode & S_IFMT) == S_IFDIR else {
        throw ModelZooError(
          .invalidArchive, "a folder entry collides with a file of the same name", path: zip.path)
      }
      return
    }
    try makeFolder((path as NSString).deletingLastPathComponent, zip: zip)
    guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
      throw ModelZooError(.ioFailure, "cannot create folder: \(String(cString: strerror(errno)))", path: path)
    }
  }

  private func write(_ entry: ZipEntry, of archive: ZipArchive, to path: String, zip: URL) throws -> String {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      let err = errno
      if err == EEXIST {
        throw ModelZooError(
          .invalidArchive,
          "entry \(entry.name.debugDescription) exists already (a duplicate within or across the model's archives)",
          path: zip.path)
      }
      throw ModelZooError(.ioFailure, "cannot create: \(String(cString: strerror(err)))", path: path)
    }
    defer { close(fd) }
    var hasher = SHA256()
    do {
      try archive.stream(entry) { chunk in
        hasher.update(bufferPointer: chunk)
        var done = 0
        while done < chunk.count {
          let n = systemWrite(fd, chunk.baseAddress! + done, chunk.count - done)
          if n < 0 {
            if errno == EINTR { continue }
            throw ModelZooError(.ioFailure, "write failed: \(String(cString: strerror(errno)))", path: path)
          }
          done += n
        }
      }
    } catch let error as CheckpointError {
      throw Self.wrap(error, zip)
    }
    guard fsync(fd) == 0 else {
      throw ModelZooError(.ioFailure, "fsync failed: \(String(cString: strerror(errno)))", path: path)
    }
    return FileDigest.hex(hasher.finalize())
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

/// `write(2)` (named apart from the method above so the call is unambiguous).
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
  write(fd, buffer, count)
}
