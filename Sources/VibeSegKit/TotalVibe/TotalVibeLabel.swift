/// One structure of TotalVibeSegmentator (models 100 and 99; ids are stable across versions):
/// the one registry of ids, names, combination groups and component rules that `combine`,
/// the label validator, `labels`, `--roi-subset` and the sidecars use.
///
/// Names are not repeated here: they come from `StatisticsLabelRegistry.totalVibe` (one table of
/// names for the whole package). Groups, expected component counts and autofix sizes are
/// upstream's `labels` table of `run_TotalVibeSegmentator_multi.py` (`docs/totalvibe.md`
/// section 2), restated.
public struct TotalVibeLabel: Sendable, Hashable, Identifiable, CustomStringConvertible {
  /// The combination group (upstream's `typ`). The order of `combinationOrder` decides which
  /// contrast's label wins a voxel.
  public enum Group: String, Sendable, Hashable, CaseIterable, Codable {
    case organ
    /// Upstream spells this group `digenstion`; the spelling has no effect on any rule.
    case digestion
    case vessel
    case lung
    case bone
    case cns
    case muscle
    case rest
    case proneToOverSegmentation = "prone_to_over_seg"

    /// Upstream's visiting order when combining contrasts: vessel, lung, cns, prone_to_over_seg,
    /// bone, digestion, muscle, organ, rest.
    public static let combinationOrder: [Group] = [
      .vessel, .lung, .cns, .proneToOverSegmentation, .bone, .digestion, .muscle, .organ, .rest,
    ]

    /// Groups taken from the water segmentation only when one is given (muscle,
    /// prone_to_over_seg).
    public var isWaterOnly: Bool { self == .muscle || self == .proneToOverSegmentation }

    /// Position in `combinationOrder`.
    public var combinationRank: Int { Group.combinationOrder.firstIndex(of: self)! }
  }

  /// Label value in the map (1...72).
  public let id: UInt8
  /// Structure name (`StatisticsLabelRegistry.totalVibe`).
  public let name: String
  public let group: Group
  /// How many 26-connected components a plausible segmentation of this structure has.
  public let expectedComponents: ClosedRange<Int>
  /// The validator deletes components of at most `autofixVoxels × aggressiveness` voxels when the
  /// component count is outside `expectedComponents`; nil: never (vertebra_posterior_elements).
  public let autofixVoxels: Int?

  public var description: String { "\(id) \(name)" }

  /// Whether combining keeps only the largest 6-connected component of this label per contrast:
  /// upstream's `max == 1 and typ != "vessel"`.
  public var keepsLargestComponentOnly: Bool { expectedComponents.upperBound == 1 && group != .vessel }

  init(_ id: UInt8, _ group: Group, _ expected: ClosedRange<Int>, _ autofix: Int?) {
    guard let name = StatisticsLabelRegistry.totalVibe.names[Int(id)] else {
      preconditionFailure("TotalVibeLabel: StatisticsLabelRegistry.totalVibe has no name for id \(id)")
    }
    self.id = id
    self.name = name
    self.group = group
    self.expectedComponents = expected
    self.autofixVoxels = autofix
  }

  // MARK: - Registry

  /// All 72 labels, ids ascending (id 20, `unused`, is the ribs' slot on CT and empty on MRI).
  public static let all: [TotalVibeLabel] = [
    .init(1, .organ, 1...1, 100), .init(2, .organ, 1...1, 100), .init(3, .organ, 1...1, 100),
    .init(4, .organ, 1...1, 40), .init(5, .organ, 1...1, 200), .init(6, .digestion, 1...1, 10),
    .init(7, .digestion, 1...1, 5), .init(8, .vessel, 1...1, 30), .init(9, .vessel, 1...1, 30),
    .init(10, .lung, 1...1, 100), .init(11, .lung, 1...1, 100), .init(12, .lung, 1...1, 100),
    .init(13, .lung, 1...1, 100), .init(14, .lung, 1...1, 100), .init(15, .digestion, 1...1, 10),
    .init(16, .lung, 1...1, 10), .init(17, .organ, 2...2, 10), .init(18, .digestion, 1...1, 20),
    .init(19, .digestion, 1...1, 10), .init(20, .digestion, 1...1, 10), .init(21, .organ, 1...1, 15),
    .init(22, .organ, 1...1, 10), .init(23, .bone, 1...1, 10), .init(24, .organ, 1...1, 10),
    .init(25, .vessel, 1...1, 10), .init(26, .vessel, 2...2, 30), .init(27, .vessel, 1...1, 30),
    .init(28, .vessel, 1...1, 30), .init(29, .vessel, 1...1, 30), .init(30, .vessel, 1...1, 30),
    .init(31, .vessel, 1...1, 30), .init(32, .vessel, 1...1, 30), .init(33, .vessel, 1...1, 30),
    .init(34, .vessel, 1...1, 30), .init(35, .vessel, 1...1, 30), .init(36, .vessel, 1...1, 30),
    .init(37, .vessel, 1...1, 30), .init(38, .vessel, 1...1, 30), .init(39, .vessel, 1...1, 30),
    .init(40, .vessel, 1...1, 30), .init(41, .vessel, 1...1, 30), .init(42, .bone, 1...1, 200),
    .init(43, .bone, 1...1, 200), .init(44, .bone, 1...1, 50), .init(45, .bone, 1...1, 50),
    .init(46, .bone, 1...1, 50), .init(47, .bone, 1...1, 50), .init(48, .bone, 1...1, 200),
    .init(49, .bone, 1...1, 200), .init(50, .bone, 1...1, 100), .init(51, .bone, 1...1, 100),
    .init(52, .cns, 1...1, 5), .init(53, .muscle, 1...1, 400), .init(54, .muscle, 1...1, 400),
    .init(55, .muscle, 1...1, 400), .init(56, .muscle, 1...1, 400), .init(57, .muscle, 1...1, 400),
    .init(58, .muscle, 1...1, 400), .init(59, .muscle, 1...1, 100), .init(60, .muscle, 1...1, 100),
    .init(61, .muscle, 1...1, 600), .init(62, .muscle, 1...1, 600), .init(63, .bone, 1...1, 15),
    .init(64, .proneToOverSegmentation, 4...30, 2), .init(65, .rest, 1...1000, 2),
    .init(66, .rest, 1...1000, 2), .init(67, .rest, 1...1000, 2), .init(68, .bone, 1...25, 2),
    .init(69, .bone, 1...25, 2), .init(70, .proneToOverSegmentation, 1...25, nil), .init(71, .cns, 1...1, 5),
    .init(72, .bone, 0...10, 50),
  ]

  /// The label with value `id`, or nil.
  public static func label(id: Int) -> TotalVibeLabel? {
    id >= 1 && id <= all.count ? all[id - 1] : nil
  }

  /// The label named `name`: exact match first, then case-insensitive (`ivd`, `Liver`).
  public static func label(named name: String) -> TotalVibeLabel? {
    if let exact = all.first(where: { $0.name == name }) { return exact }
    let lowered = name.lowercased()
    return all.first { $0.name.lowercased() == lowered }
  }

  /// The labels of `group`, ids ascending.
  public static func labels(in group: Group) -> [TotalVibeLabel] { all.filter { $0.group == group } }

  /// Resolves a selection (`LabelSelection`: ids, ranges, names) to registry labels.
  /// - Throws: `VibeSegKitError(.unknownLabel)` naming the first entry that is not in the registry.
  public static func resolve(_ items: [String], option: String = "--labels") throws(VibeSegKitError) -> [TotalVibeLabel] {
    let names = Dictionary(uniqueKeysWithValues: all.map { (Int($0.id), $0.name) })
    return try LabelSelection.resolve(items, names: names, option: option, requireKnown: true).compactMap { label(id: $0) }
  }
}
