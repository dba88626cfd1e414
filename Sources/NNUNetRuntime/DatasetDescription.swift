import Foundation

/// The fields of an nnU-Net `dataset.json` that inference reads (nnunet-inference.md 1.2), plus
/// TotalVibeSegmentator's `orientation` and `roi`.
public struct DatasetDescription: Sendable, Equatable {
  /// A label's value: one integer, or a region (a list of integers) for region-based training.
  public enum LabelValue: Sendable, Equatable {
    case label(Int)
    case region([Int])

    public var values: [Int] {
      switch self {
      case .label(let v): [v]
      case .region(let r): r
      }
    }
  }

  /// `labels` in file order: name → value. Contains `background: 0`.
  public var labels: [(name: String, value: LabelValue)]
  /// `regions_class_order`, required when a label is a region of more than one value.
  public var regionsClassOrder: [Int]?
  /// `channel_names` (legacy `modality`) in channel order ("0", "1", ...).
  public var channelNames: [String]
  /// `file_ending`, e.g. `.nii.gz`.
  public var fileEnding: String
  /// TotalVibeSegmentator: axis codes the image is reoriented to before prediction, joined
  /// ("RAS"); dataset.json gives them as a list (`["R", "A", "S"]`) or as one string.
  public var orientation: String?
  /// TotalVibeSegmentator: dataset id of the ROI model whose labels become an extra channel
  /// (a number or a numeric string in dataset.json).
  public var roi: Int?

  public static func == (a: DatasetDescription, b: DatasetDescription) -> Bool {
    a.labels.count == b.labels.count && zip(a.labels, b.labels).allSatisfy { $0.name == $1.name && $0.value == $1.value }
      && a.regionsClassOrder == b.regionsClassOrder && a.channelNames == b.channelNames && a.fileEnding == b.fileEnding
      && a.orientation == b.orientation && a.roi == b.roi
  }

  /// Reads and checks `dataset.json`.
  public init(contentsOf url: URL) throws {
    try self.init(json: try JSONValue.parse(url))
  }

  init(json: JSONValue) throws {
    let labelsJSON = try json.member("labels")
    var labels = [(name: String, value: LabelValue)]()
    for (name, value) in try labelsJSON.members() {
      if case .array = value.node {
        let values = try value.ints()
        guard !values.isEmpty else { throw value.fail("an empty region") }
        labels.append((name, values.count == 1 ? .label(values[0]) : .region(values)))
      } else {
        labels.append((name, .label(try value.int())))
      }
    }
    guard labels.contains(where: { $0.name == "background" && $0.value.values == [0] }) else {
      throw labelsJSON.fail("must contain \"background\": 0")
    }
    self.labels = labels
    regionsClassOrder = try json.optionalMember("regions_class_order")?.ints()
    let channels = try json.optionalMember("channel_names") ?? json.optionalMember("modality")
    guard let channels else { throw json.child("channel_names", .null).fail("missing (nor the legacy 'modality')") }
    let entries = try channels.members()
    var names = [String](repeating: "", count: entries.count)
    for (key, value) in entries {
      guard let index = Int(key), (0..<entries.count).contains(index) else {
        throw value.fail("channel keys must be \"0\" ... \"\(entries.count - 1)\"")
      }
      names[index] = try value.string()
    }
    channelNames = names
    fileEnding = try json.optionalMember("file_ending")?.string() ?? ".nii.gz"
    if let value = try json.optionalMember("orientation") {
      if case .array = value.node {
        orientation = try value.array().map { try $0.string() }.joined()
      } else {
        orientation = try value.string()
      }
    } else {
      orientation = nil
    }
    if let value = try json.optionalMember("roi") {
      if case .string = value.node {
        guard let id = Int(try value.string()) else { throw value.fail("must be a model id") }
        roi = id
      } else {
        roi = try value.int()
      }
    } else {
      roi = nil
    }
    _ = try labelLayout(path: json.path)
  }

  /// Label id -> name of the structures a prediction can contain: plain labels only (regions
  /// have no single id), without `background` and the `ignore` label.
  public var structureNames: [Int: String] {
    var names = [Int: String]()
    for (name, value) in labels {
      if case .label(let id) = value, id != 0, name != "ignore" { names[id] = name }
    }
    return names
  }

  /// How labels map to the network's output channels (nnU-Net `LabelManager`).
  public func labelLayout(path: String = "dataset.json") throws -> LabelLayout {
    let ignore = labels.first { $0.name == "ignore" }
    var ignoreLabel: Int? = nil
    if let ignore {
      guard case .label(let v) = ignore.value else {
        throw PlansError(.invalidField, "the ignore label must be a single integer", path: path, field: "labels.ignore")
      }
      ignoreLabel = v
    }
    let hasRegions = labels.contains { if case .region = $0.value { true } else { false } }
    let allLabels = Array(Set(labels.filter { $0.name != "ignore" }.flatMap(\.value.values))).sorted()
    // Label maps are written as (at most) 16-bit integers.
    if let out = (allLabels + (regionsClassOrder ?? []) + [ignoreLabel ?? 0]).first(where: { $0 < 0 || $0 > Int(UInt16.max) }) {
      throw PlansError(.invalidField, "label value \(out) is outside 0...65535", path: path, field: "labels")
    }
    if let ignoreLabel, ignoreLabel != (allLabels.max() ?? 0) + 1, !hasRegions {
      throw PlansError(.invalidField, "the ignore label \(ignoreLabel) must be the largest label + 1 (\((allLabels.max() ?? 0) + 1))", path: path, field: "labels.ignore")
    }
    if hasRegions {
      let regions = labels.filter { $0.name != "background" && $0.name != "ignore" }.map(\.value.values)
      guard let order = regionsClassOrder, order.count == regions.count else {
        throw PlansError(.invalidField, "region-based labels need regions_class_order with one entry per region (\(regions.count))", path: path, field: "regions_class_order")
      }
      return LabelLayout(allLabels: allLabels, regions: regions, regionsClassOrder: order, ignoreLabel: ignoreLabel)
    }
    guard allLabels == Array(0..<allLabels.count) else {
      throw PlansError(.invalidField, "labels must be consecutive integers 0...K-1, found \(allLabels)", path: path, field: "labels")
    }
    return LabelLayout(allLabels: allLabels, regions: nil, regionsClassOrder: nil, ignoreLabel: ignoreLabel)
  }
}

/// nnU-Net's `LabelManager`: which output channel means what.
public struct LabelLayout: Sendable, Equatable {
  /// Sorted unique label values except the ignore label (background 0 included).
  public var allLabels: [Int]
  /// Foreground regions in dataset.json order (region-based models only).
  public var regions: [[Int]]?
  public var regionsClassOrder: [Int]?
  public var ignoreLabel: Int?

  public var hasRegions: Bool { regions != nil }
  /// Number of network output channels: regions, else labels (background included).
  public var segmentationHeadCount: Int { regions?.count ?? allLabels.count }
  /// Foreground labels (all but 0).
  public var foregroundLabels: [Int] { allLabels.filter { $0 != 0 } }
}
