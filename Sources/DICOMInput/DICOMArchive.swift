import DICOMCore
import Foundation
import TorchCheckpoint

/// A zip of DICOM files (UK Biobank field 20201 delivers one per visit) unpacked into a private
/// scratch folder for as long as this object lives; the folder is removed on `deinit`.
///
/// The archive goes through the project's one zip reader (`ZipArchive`, TorchCheckpoint), which
/// validates the whole directory before a byte is written: unsafe names (absolute, `..`,
/// control characters), symlink and device entries, duplicates, local headers disagreeing with
/// the central directory, sizes and compression ratios over `DICOMIndexLimits.zip`; each entry is
/// then streamed with its inflated size capped and its CRC-32 checked, into files created with
/// `O_EXCL | O_NOFOLLOW` under the scratch folder only. Nested archives are written as files and
/// never opened. A process killed while indexing leaves a `vibeseg-dicom-*` folder in the
/// temporary directory (`TMPDIR`).
public final class DICOMArchive: Sendable {
  /// The zip as given.
  public let archive: String
  /// The scratch folder the entries were written to.
  public let folder: URL

  /// Unpacks `url`.
  ///
  /// - Throws: `DICOMError` (exit codes as dicom.md 6.4) — `.unsupportedInput` (66) for a file
  ///   that is not a readable zip (no central directory: truncated), `.malformed` (65) for a
  ///   rejected one (unsafe names, links, CRC or layout errors), `.tooLarge` (65) for one over the
  ///   limits, `.ioFailure` (74) when the scratch folder cannot be written (disk full).
  public init(unpacking url: URL, limits: DICOMIndexLimits = DICOMIndexLimits()) throws {
    archive = url.path
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("vibeseg-dicom-\(UUID().uuidString)")
    do {
      try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    } catch {
      throw DICOMError(.ioFailure, "cannot create a scratch folder to unpack the zip in \(scratch.deletingLastPathComponent().path): \(error.localizedDescription)", path: url.path)
    }
    folder = scratch
    do {
      let zip = try ZipArchive(path: url.path, limits: limits.zip)
      try zip.extractAll(into: scratch)
    } catch let error as CheckpointError {
      try? FileManager.default.removeItem(at: scratch)
      switch error.code {
      case .fileNotFound: throw DICOMError(.fileNotFound, "no such file", path: url.path)
      case .ioFailure: throw DICOMError(.ioFailure, "unpacking the zip failed: \(error.message)", path: url.path)
      case .notZip: throw DICOMError(.unsupportedInput, "not a readable zip: \(error.message)", path: url.path)
      case .limitExceeded: throw DICOMError(.tooLarge, "the zip is rejected, over the limits (zip bomb?): \(error.message)", path: url.path)
      default: throw DICOMError(.malformed, "the zip is rejected: \(error.message)", path: url.path)
      }
    } catch {
      try? FileManager.default.removeItem(at: scratch)
      throw DICOMError(.ioFailure, "unpacking the zip failed: \(error)", path: url.path)
    }
  }

  deinit {
    try? FileManager.default.removeItem(at: folder)
  }

  /// `path` under the scratch folder as the user knows it: `ARCHIVE.zip:entry/name`; other paths
  /// unchanged.
  public func displayPath(_ path: String) -> String {
    let prefix = folder.path + "/"
    return path.hasPrefix(prefix) ? "\(archive):\(path.dropFirst(prefix.count))" : (path == folder.path ? archive : path)
  }

  /// `text` (a message) with every scratch path shown as `displayPath` shows it.
  public func displayText(_ text: String) -> String {
    text.replacingOccurrences(of: folder.path + "/", with: archive + ":").replacingOccurrences(of: folder.path, with: archive)
  }

  /// A zip by its signature (`PK\u{3}\u{4}` local header, or `PK\u{5}\u{6}` for an empty archive),
  /// whatever its name.
  public static func isZip(_ url: URL) -> Bool {
    guard let handle = FileHandle(forReadingAtPath: url.path) else { return false }
    defer { try? handle.close() }
    guard let magic = try? handle.read(upToCount: 4), magic.count == 4 else { return false }
    return Array(magic) == [0x50, 0x4B, 0x03, 0x04] || Array(magic) == [0x50, 0x4B, 0x05, 0x06]
  }
}
