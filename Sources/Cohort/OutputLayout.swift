import Foundation
import ModelZoo

/// What an output file is to its case.
public enum OutputRole: Sendable, Hashable, Codable {
  /// The label map (`<id>.nii.gz`; BIDS `..._seg-<model>_msk.nii.gz`).
  case labelMap
  /// Per-label statistics (`<id>.stats.csv` / `.stats.json`; BIDS `..._seg-<model>_stats.csv`).
  case statisticsCSV
  case statisticsJSON
  /// The QC picture (`<id>.preview.png`; BIDS `..._seg-<model>_preview.png`).
  case preview
  /// Anything else a task writes: `<id>.<name>` (BIDS `..._seg-<model>_<name>`), e.g.
  /// `.extra("part-water_msk.nii.gz")`.
  case extra(String)

  /// A short stable name for the manifest and the report.
  public var name: String {
    switch self {
    case .labelMap: "labelmap"
    case .statisticsCSV: "stats_csv"
    case .statisticsJSON: "stats_json"
    case .preview: "preview"
    case .extra(let name): "extra:" + name
    }
  }
}

/// Where a case's outputs go, relative to the output folder.
///
/// - Plain layout (folder glob or CSV list): `<id>.nii.gz`, `<id>.stats.csv`, `<id>.stats.json`,
///   `<id>.preview.png`, `<id>.<extra>`.
/// - BIDS layout (upstream TotalVibeSegmentator's derivatives, TPTBox `get_changed_path(
///   bids_format="msk", info={"seg": <model>})`): the input's folder below the BIDS root is kept;
///   the name is the input's key-value entities in their order, any `seg-` entity replaced by
///   `seg-<modelLabel>` at the end, then the suffix: `sub-01_ses-1_acq-ax_seg-<model>_msk.nii.gz`,
///   `..._seg-<model>_stats.csv`, `_stats.json`, `_preview.png`. The input's own suffix (`T1w`,
///   `dixon`) is dropped as upstream does, so two inputs that differ only by suffix would collide;
///   the run refuses that (filter them with `--pattern`). Tasks that read label maps (`stats`)
///   keep the input's `seg-` entity instead of adding one.
public struct OutputLayout: Sendable {
  public var root: URL
  /// BIDS `seg-` value (the model's name, only letters and digits); nil keeps the input's entities.
  public var modelLabel: String?

  public init(root: URL, modelLabel: String?) {
    self.root = root
    self.modelLabel = modelLabel
  }

  /// The path of `role` for `item`, relative to `root`.
  public func relativePath(_ role: OutputRole, for item: CohortCase) -> String {
    guard let entities = item.bidsEntities else {
      let suffix: String
      switch role {
      case .labelMap: suffix = ".nii.gz"
      case .statisticsCSV: suffix = ".stats.csv"
      case .statisticsJSON: suffix = ".stats.json"
      case .preview: suffix = ".preview.png"
      case .extra(let name): suffix = "." + name
      }
      return item.id + suffix
    }
    var kept = entities
    if let modelLabel {
      kept = entities.filter { $0.key != "seg" } + [BIDSEntity("seg", modelLabel)]
    }
    let base = kept.map { "\($0.key)-\($0.value)" }.joined(separator: "_")
    let suffix: String
    switch role {
    case .labelMap: suffix = "_msk.nii.gz"
    case .statisticsCSV: suffix = "_stats.csv"
    case .statisticsJSON: suffix = "_stats.json"
    case .preview: suffix = "_preview.png"
    case .extra(let name): suffix = "_" + name
    }
    let folder = item.bidsFolder ?? ""
    return (folder.isEmpty ? "" : folder + "/") + base + suffix
  }

  public func url(_ role: OutputRole, for item: CohortCase) -> URL {
    root.appendingPathComponent(relativePath(role, for: item))
  }

  /// Letters and digits of `name` only (a BIDS label value).
  public static func bidsLabel(_ name: String) -> String {
    let kept = String(name.unicodeScalars.filter { $0.isASCII && CharacterSet.alphanumerics.contains($0) })
    return kept.isEmpty ? "model" : kept
  }
}

/// SHA-256 of files (ModelZoo's `FileDigest`: streamed in 1 MiB blocks) and their stat keys.
public enum FileHash {
  /// The lowercase hex SHA-256 of the file's bytes.
  ///
  /// - Throws: `BatchError.missingInput` when the file cannot be opened, `.manifestFailure` when
  ///   reading it fails.
  public static func sha256(of url: URL) throws -> String {
    try FileDigest.sha256(
      of: url, cannotOpen: BatchError(.missingInput, "cannot open the file to hash it", path: url.path),
      cannotRead: { BatchError(.manifestFailure, "cannot read the file to hash it: \($0)", path: url.path) })
  }

  /// SHA-256 of `text`'s UTF-8 bytes, hex.
  public static func sha256(_ text: String) -> String { FileDigest.sha256(text) }

  /// `size:mtime_ns:inode:device` of a file, or nil when it cannot be stat'ed: a cheap key that
  /// tells whether a file changed since its hash was recorded.
  public static func statKey(_ url: URL) -> String? {
    var s = stat()
    guard stat(url.path, &s) == 0 else { return nil }
    let mtime = Int64(s.st_mtim.tv_sec) * 1_000_000_000 + Int64(s.st_mtim.tv_nsec)
    return "\(s.st_size):\(mtime):\(s.st_ino):\(s.st_dev)"
  }
}
