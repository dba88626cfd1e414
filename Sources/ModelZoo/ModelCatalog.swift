/// What a model is for: decides which command runs it and what it writes.
public enum ModelRole: String, Sendable, Codable, CaseIterable {
  /// Whole-body structures (`segment`, `combine`).
  case wholeBody = "whole body"
  /// Body regions whose label map is a cascaded model's second channel.
  case roi = "ROI"
  /// Vertebrae (`spine`, with upstream's relabelling).
  case spine
  /// Water-fat swap detection (multi-echo input).
  case swapDetection = "swap detection"
  /// CT structures.
  case ct = "CT"
}

/// Where a model's label names come from.
public enum ModelLabelSet: String, Sendable, Codable {
  /// TotalVibeSegmentator's 72-id registry (`TotalVibeLabel.all`: names, groups, expected
  /// components) — models 100 and 99.
  case totalVibe
  /// The model's own `dataset.json` (spine models relabelled as `vibeseg spine` writes them).
  case dataset
}

/// One published TotalVibeSegmentator model (totalvibe.md section 3) — the model registry: every
/// command that needs to know something about a model id (its role, labels, cascade partner,
/// the defaults) asks `ModelCatalogEntry.registered(_:)`, never a literal id.
///
/// `sha256` is GitHub's published digest of the release asset `{ID:03}.zip`, where one exists
/// (100, 12, 538, 540); a download of such an asset must match it. Other assets, fold addenda
/// included, are checked by size (the server's `Content-Length` / `Content-Range` total) and by
/// the zip's own CRC-32s.
public struct ModelCatalogEntry: Sendable, Equatable, Codable {
  /// The dataset id (`Dataset{ID:03}`, asset `{ID:03}.zip`).
  public var id: Int
  /// What the model segments.
  public var description: String
  /// The expected input (channels).
  public var input: String
  /// The grid the model works on.
  public var grid: String
  /// Remarks (trainer, deprecations, label mapping).
  public var notes: String
  /// Lowercase hex sha256 of `{ID:03}.zip`, when published.
  public var sha256: String?
  /// Whether the model is installed (filled in by `ModelZoo.catalog`; false in `builtIn`).
  public var installed: Bool
  /// What it is for (nil for installed models this build does not know).
  public var role: ModelRole?
  /// Where its label names come from.
  public var labelSet: ModelLabelSet = .dataset
  /// The ROI model whose label map is its second channel (upstream's `dataset.json` `roi`).
  public var roiModel: Int?

  public init(
    id: Int, description: String, input: String = "", grid: String = "", notes: String = "", sha256: String? = nil,
    installed: Bool = false, role: ModelRole? = nil, labelSet: ModelLabelSet = .dataset, roiModel: Int? = nil
  ) {
    self.role = role
    self.labelSet = labelSet
    self.roiModel = roiModel
    self.id = id
    self.description = description
    self.input = input
    self.grid = grid
    self.notes = notes
    self.sha256 = sha256
    self.installed = installed
  }

  /// `segment`'s and `combine`'s default model.
  public static let defaultWholeBody = 100
  /// `spine`'s default model.
  public static let defaultSpine = 511

  /// The built-in entry for a model id ("100", "099"), nil for folders and unknown ids.
  public static func registered(_ reference: String) -> ModelCatalogEntry? {
    guard reference.allSatisfy(\.isNumber), let id = Int(reference) else { return nil }
    return builtIn.first { $0.id == id }
  }

  /// `{ID:03}` (e.g. `099`, `100`).
  public var paddedID: String { ModelCatalogEntry.padded(id) }

  static func padded(_ id: Int) -> String {
    let digits = String(id)
    return digits.count >= 3 ? digits : String(repeating: "0", count: 3 - digits.count) + digits
  }
}

extension ModelCatalogEntry {
  /// The models of the v1.0.0 release, as totalvibe.md section 3 lists them.
  public static let builtIn: [ModelCatalogEntry] = [
    ModelCatalogEntry(
      id: 100, description: "whole body, 71 structures (current)", input: "1 image (any VIBE contrast, also CT)",
      grid: "axial 1.40625 mm, S 3 mm", notes: "ResEnc-L, nnUNetTrainerNoMirroring, ignore label",
      sha256: "97483c90952bd988c58e8a040a59e685183a259d903c42e25f1b78224082f4fe", role: .wholeBody, labelSet: .totalVibe),
    ModelCatalogEntry(
      id: 99, description: "whole body, same labels as 100, sagittal grid", input: "1 image",
      grid: "sagittal 1.40625 mm, R 3 mm", notes: "plans permute axes (transpose_forward)", role: .wholeBody,
      labelSet: .totalVibe),
    ModelCatalogEntry(
      id: 278, description: "body split into 11 regions", input: "1 image", grid: "iso 4 mm",
      notes: "ROI channel of cascaded models", role: .roi),
    ModelCatalogEntry(
      id: 85, description: "whole body, earlier version", input: "image + ROI map of 278", grid: "axial",
      notes: "deprecated", role: .wholeBody, roiModel: 278),
    ModelCatalogEntry(
      id: 86, description: "whole body, earlier version", input: "image + ROI map of 278", grid: "axial",
      notes: "deprecated", role: .wholeBody, roiModel: 278),
    ModelCatalogEntry(
      id: 87, description: "whole body, earlier version", input: "1 image", grid: "axial", notes: "deprecated",
      role: .wholeBody),
    ModelCatalogEntry(
      id: 80, description: "whole body, earlier version", input: "1 image", grid: "axial", notes: "deprecated",
      role: .wholeBody),
    ModelCatalogEntry(
      id: 98, description: "whole body, earlier version", input: "1 image", grid: "axial", notes: "deprecated",
      role: .wholeBody),
    ModelCatalogEntry(
      id: 282, description: "water-fat swap detection", input: "3 channels (multi-echo)", grid: "axial",
      role: .swapDetection),
    ModelCatalogEntry(
      id: 511, description: "vertebra instances", input: "1 image", grid: "axial",
      notes: "upstream maps label 27 to the disc label and 16 to S1", role: .spine),
    ModelCatalogEntry(id: 512, description: "vertebra sub-regions", input: "1 image", grid: "axial", role: .spine),
    ModelCatalogEntry(
      id: 12, description: "CT bones 0.8 mm", input: "1 image", grid: "",
      sha256: "c53fd265fe713023c1d24955f05770f996f7aaac5c850e96958f3c760e0630a3", role: .ct),
    ModelCatalogEntry(id: 520, description: "preliminary CT bones", input: "1 image", role: .ct),
    ModelCatalogEntry(
      id: 538, description: "CT foot bones", input: "1 image",
      sha256: "0dceeeb30c8f4ec441019c043a193156141bfb1bcb7c11191b754fc871eae8ac", role: .ct),
    ModelCatalogEntry(
      id: 540, description: "pancreas 1.0 mm", input: "1 image",
      sha256: "ca78f6a7b586eb18acd094e32677ff41b62f6487f63fabc0fad16cbdfa787c6a", role: .ct),
  ]
}
