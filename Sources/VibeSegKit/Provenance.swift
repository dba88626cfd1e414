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
      folds = bundle.foldLabels
      self.sha256 = sha256
    }
  }

  /// A file or DICOM folder read (absolute path) and its SHA-256: a file's bytes; for a folder,
  /// `ModelFingerprint.sha256(of:relativeTo:)` over every regular file under it, in path order.
  public struct File: Codable, Sendable, Equatable {
    public var path: String
    public var sha256: String
    /// The series read from a DICOM input (`DICOMSelection.fragment`: `contrast=water`), when one
    /// was chosen.
    public var selection: String?

    public init(_ url: URL) throws {
      path = url.standardizedFileURL.path
      selection = DICOMSelection(of: url).fragment
      var isFolder: ObjCBool = false
      if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
        let files = (FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey])?.allObjects as? [URL] ?? [])
          .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
          .sorted { $0.path < $1.path }
        sha256 = try ModelFingerprint.sha256(of: files, relativeTo: url)
      } else {
        sha256 = try ModelFingerprint.sha256(of: url)
      }
    }
  }

  public var tool = "vibeseg \(VibeSegVersion.string)"
  /// The input (one-image commands): path and SHA-256 as `File` gives them.
  public var input: String?
  public var inputSHA256: String?
  /// The series chosen from a DICOM input (`File.selection`), when one was.
  public var inputSelection: String?
  /// The inputs by role (`combine`: water, in_phase, opposed_phase).
  public var inputs: [String: File]?
  public var model: Model
  public var roiModel: Model?
  /// When the map was made (ISO 8601, UTC, seconds).
  public var created: String

  public init(input: URL, model: Model, roiModel: Model?, date: Date = Date()) throws {
    let file = try File(input)
    self.input = file.path
    inputSHA256 = file.sha256
    inputSelection = file.selection
    self.model = model
    self.roiModel = roiModel
    created = Self.timestamp(date)
  }

  /// Several inputs by role (`combine`).
  public init(inputs: [String: URL], model: Model, roiModel: Model?, date: Date = Date()) throws {
    self.inputs = try inputs.mapValues { try File($0) }
    self.model = model
    self.roiModel = roiModel
    created = Self.timestamp(date)
  }

  /// ISO 8601, UTC, seconds.
  static func timestamp(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: date)
  }

}

extension Provenance {
  /// The input recorded in the sidecar beside `labelMap` (`<stem>.json`, `provenance.input`), when
  /// there is one and that file still exists: `preview` draws on it when `--image` is not given.
  public static func recordedInput(besides labelMap: URL) -> URL? {
    let sidecar = SegmentJob.sidecarURL(for: labelMap)
    guard sidecar != labelMap, FileManager.default.fileExists(atPath: sidecar.path),
      let data = try? JSONInput.data(sidecar, option: "sidecar"),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let provenance = object["provenance"] as? [String: Any], let path = provenance["input"] as? String,
      FileManager.default.fileExists(atPath: path)
    else { return nil }
    return URL(fileURLWithPath: path)
  }
}
