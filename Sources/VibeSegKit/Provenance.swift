import Foundation
import ModelZoo
import NNUNetRuntime

/// This build's version: `vibeseg --version`, the batch manifest's `tool_version`, sidecars.
public enum VibeSegVersion {
  public static let string = "0.1.0"
}

/// The identity of a model's files.
public enum ModelFingerprint {
  /// SHA-256 over `relative path NUL sha256(file) LF` for each file in the given order: changes
  /// when any weight, plans or dataset byte changes, or a different fold set is used.
  ///
  /// - Throws: `VibeSegKitError.ioFailure` naming a file that cannot be read.
  public static func sha256(of files: [URL], relativeTo folder: URL) throws -> String {
    var lines = ""
    for file in files {
      let relative =
        file.path.hasPrefix(folder.path + "/") ? String(file.path.dropFirst(folder.path.count + 1)) : file.path
      lines += relative + "\u{0}" + (try sha256(of: file)) + "\n"
    }
    return FileDigest.sha256(lines)
  }

  /// `sha256(of:relativeTo:)` over what a loaded model reads: `dataset.json`, `plans.json` and each
  /// fold's checkpoint, in fold order.
  public static func sha256(of bundle: ModelBundle) throws -> String {
    let folder = bundle.directory
    return try sha256(
      of: ["dataset.json", "plans.json"].map { folder.appendingPathComponent($0) } + bundle.folds.map(\.url), relativeTo: folder)
  }

  /// One file's lowercase hex SHA-256, streamed.
  public static func sha256(of file: URL) throws -> String {
    try FileDigest.sha256(
      of: file, cannotOpen: VibeSegKitError(.ioFailure, "cannot open the file to hash it", path: file.path),
      cannotRead: { VibeSegKitError(.ioFailure, "cannot read the file to hash it: \($0)", path: file.path, underlying: $0 as? any Error & Sendable) })
  }
}

/// Where a label map came from, written into its sidecar (`provenance`): enough to say, years
/// later, which tool, model files, folds and input made it.
public struct Provenance: Codable, Sendable, Equatable {
  public struct Model: Codable, Sendable, Equatable {
    /// The model folder (absolute path).
    public var folder: String
    /// `fold:checkpoint file`, in the order they were ensembled.
    public var folds: [String]
    /// `ModelFingerprint.sha256(of: bundle)`.
    public var sha256: String

    public init(_ bundle: ModelBundle, sha256: String) {
      folder = bundle.directory.standardizedFileURL.path
      folds = bundle.folds.map { "\($0.fold):\($0.name.rawValue)" }
      self.sha256 = sha256
    }
  }

  public var tool = "vibeseg \(VibeSegVersion.string)"
  /// The input file (absolute path) and its SHA-256; for a DICOM folder, `sha256(of:relativeTo:)`
  /// over every regular file under it, in path order.
  public var input: String
  public var inputSHA256: String
  public var model: Model
  public var roiModel: Model?
  /// When the map was made (ISO 8601, UTC, seconds).
  public var created: String

  public init(input: URL, model: Model, roiModel: Model?, date: Date = Date()) throws {
    self.input = input.standardizedFileURL.path
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: input.path, isDirectory: &isFolder), isFolder.boolValue {
      let files = (FileManager.default.enumerator(at: input, includingPropertiesForKeys: [.isRegularFileKey])?.allObjects as? [URL] ?? [])
        .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
        .sorted { $0.path < $1.path }
      inputSHA256 = try ModelFingerprint.sha256(of: files, relativeTo: input)
    } else {
      inputSHA256 = try ModelFingerprint.sha256(of: input)
    }
    self.model = model
    self.roiModel = roiModel
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    created = formatter.string(from: date)
  }
}
