import VolumeCore

/// Initial training masks from other networks' label maps (training.md §3.3–3.4): map each
/// source to TotalVibe ids (Algorithm B, `InitialMaskMapping`), merge them with priorities
/// (Algorithm C, `LabelMerge`, the same code as `vibeseg combine`), then clean up components
/// (Algorithm D, `LabelValidation`, aggressiveness 15 by default).
///
/// Call site of `vibeseg prepare-initial-masks merge`:
/// ```swift
/// let result = try InitialMaskMerge(.init(aggressiveness: 15)).run([
///   .init(name: "spineps", labelMap: sp, mapping: .spineps),
///   .init(name: "totalseg", labelMap: ts, mapping: .totalSegmentator()),
///   .init(name: "bodycomp", labelMap: bc, mapping: try .read(contentsOf: bcMap)),
/// ])
/// ```
///
/// Priority (`Options.priority`):
/// - `.sources` (default, training.md §3.4's proposal for initial masks): the sources in the
///   order given; a voxel takes the label of the first source that has one there (after the
///   largest-component rule), whatever its group. Rank = 9 · source position + group rank
///   (`TotalVibeLabel.Group.combinationOrder`); within one source a voxel holds one label, so the
///   group part only orders labels that never compete.
/// - `.groups` (`combine`'s rule): group first (vessel, lung, cns, prone_to_over_seg, bone,
///   digestion, muscle, organ, rest), then source position. Rank = n · group rank + position.
///
/// In both, labels whose expected maximum is 1 and whose group is not vessel keep only their
/// largest 6-connected component per source before writing, and `female` never writes prostate
/// (22). The merged map is on the first source's grid (others of another shape are resampled
/// with nearest neighbour, as `combine` does; same shape and another affine is refused). Then
/// every label whose 26-connected component count is outside its expected range loses its
/// components of at most autofix × `aggressiveness` voxels (`LabelValidation`; a label with
/// min 2 and one small component loses it, unless `neverDeleteLastComponent`: the report lists
/// it).
///
/// Input label sets are checked: a value a source's map holds with no mapping entry throws
/// `.invalidInput` listing every such value and its voxel count, unless `dropUnmapped` (then
/// they become 0 and the report lists them). Refusing is the default because an unmapped value
/// means another network version or the wrong file; silently dropping it would lose a structure.
public struct InitialMaskMerge: Sendable {
  public enum Priority: String, Sendable, CaseIterable, Codable {
    case sources
    case groups
  }

  public struct Options: Sendable, Equatable {
    /// Algorithm D's multiplier (training.md §3.4: 15 after merging).
    public var aggressiveness: Int
    public var priority: Priority
    /// Never write prostate (22).
    public var female: Bool
    /// Set values without a mapping entry to 0 instead of refusing the map.
    public var dropUnmapped: Bool
    /// The cleanup never removes a label's last component (`LabelValidation.keepsLastComponent`).
    public var neverDeleteLastComponent: Bool

    public init(
      aggressiveness: Int = 15, priority: Priority = .sources, female: Bool = false, dropUnmapped: Bool = false,
      neverDeleteLastComponent: Bool = false
    ) {
      self.aggressiveness = aggressiveness
      self.priority = priority
      self.female = female
      self.dropUnmapped = dropUnmapped
      self.neverDeleteLastComponent = neverDeleteLastComponent
    }
  }

  /// One network's label map and how its values become TotalVibe ids.
  public struct Source: Sendable {
    /// `totalseg`, `spineps`, `bodycomp` or the user's name: names it in errors and the report.
    public var name: String
    /// The file it came from (errors' `path`).
    public var path: String?
    public var labelMap: Volume<UInt16>
    public var mapping: InitialMaskMapping

    public init(name: String, path: String? = nil, labelMap: Volume<UInt16>, mapping: InitialMaskMapping) {
      self.name = name
      self.path = path
      self.labelMap = labelMap
      self.mapping = mapping
    }
  }

  /// What happened to one source.
  public struct SourceReport: Sendable, Codable, Equatable {
    public var name: String
    public var path: String?
    /// `InitialMaskMapping.origin`.
    public var mapping: String
    /// Voxels per source value present (0 left out), keys in decimal.
    public var sourceValueVoxels: [String: Int]
    /// Values without a mapping entry that were set to 0 (`dropUnmapped`), with their voxels.
    public var unmappedDroppedVoxels: [String: Int]
    /// Values mapped to 0 on purpose (e.g. TotalSegmentator's vertebrae), with their voxels.
    public var droppedVoxels: [String: Int]
    /// Whether its map had another shape and was resampled onto the first source's grid.
    public var resampled: Bool
  }

  public struct Result: Sendable {
    /// TotalVibe ids on the first source's grid, merged and cleaned.
    public var labelMap: Volume<UInt8>
    public var sources: [SourceReport]
    /// Algorithm D's findings on the merged map.
    public var validation: LabelValidationReport
  }

  /// At most this many sources (ranks must fit below 255).
  public static let maximumSourceCount = 16

  public var options: Options

  /// - Precondition: `options.aggressiveness >= 0`.
  public init(_ options: Options = Options()) {
    precondition(options.aggressiveness >= 0, "InitialMaskMerge: aggressiveness must not be negative")
    self.options = options
  }

  /// Map, merge, clean (see the type).
  ///
  /// - Throws: `VibeSegKitError` `.invalidOption` (no source, too many, a name given twice),
  ///   `.invalidInput` (a 4-D map, unmapped values without `dropUnmapped`),
  ///   `.gridMismatch` (same shape, another affine); `path` names the source's file.
  public func run(_ sources: [Source]) throws(VibeSegKitError) -> Result {
    guard !sources.isEmpty else { throw VibeSegKitError(.invalidOption, "give at least one --source NAME=FILE") }
    guard sources.count <= Self.maximumSourceCount else {
      throw VibeSegKitError(.invalidOption, "at most \(Self.maximumSourceCount) sources, got \(sources.count)", option: "--source")
    }
    var seen = Set<String>()
    for source in sources where !seen.insert(source.name).inserted {
      throw VibeSegKitError(.invalidOption, "the source name \(source.name) is given twice", option: "--source")
    }
    var mapped = [LabelMerge.Source]()
    var reports = [SourceReport]()
    for (position, source) in sources.enumerated() {
      let (map, report) = try Self.mapped(source, dropUnmapped: options.dropUnmapped)
      mapped.append(LabelMerge.Source(name: source.name, option: "--source", labelMap: map, rank: rank(position: position, of: sources.count)))
      reports.append(report)
    }
    let merged = try LabelMerge.merge(mapped,
      gridAdvice: "the sources must be on one grid; resample them onto the first one (`vibeseg resample-to --reference`)")
    for position in merged.resampled { reports[position].resampled = true }
    let cleaned = try LabelValidation(aggressiveness: options.aggressiveness, keepsLastComponent: options.neverDeleteLastComponent)
      .validate(merged.labelMap)
    return Result(labelMap: cleaned.labelMap, sources: reports, validation: cleaned.report)
  }

  /// The rank table of the source at `position` of `count` (see `Priority`).
  func rank(position: Int, of count: Int) -> [UInt8] {
    var rank = [UInt8](repeating: 255, count: 256)
    for label in TotalVibeLabel.all {
      if options.female && label.id == 22 { continue }
      let group = label.group.combinationRank
      let value = options.priority == .sources ? 9 * position + group : count * group + position
      rank[Int(label.id)] = UInt8(value)
    }
    return rank
  }

  /// `source`'s map in TotalVibe ids, and its report.
  static func mapped(_ source: Source, dropUnmapped: Bool) throws(VibeSegKitError) -> (Volume<UInt8>, SourceReport) {
    guard source.labelMap.channelCount == 1 else {
      throw VibeSegKitError(.invalidInput, "a label map must be 3-D; this one has \(source.labelMap.channelCount) volumes",
        path: source.path, option: "--source")
    }
    var counts = [Int](repeating: 0, count: 65536)
    for v in source.labelMap.voxels { counts[Int(v)] += 1 }
    let present = (1..<65536).filter { counts[$0] > 0 }
    let unmapped = source.mapping.unmapped(present)
    if !unmapped.isEmpty && !dropUnmapped {
      let list = unmapped.prefix(20).map { "\($0) (\(counts[$0]) voxels)" }.joined(separator: ", ")
      throw VibeSegKitError(.invalidInput,
        "the \(source.name) label map holds \(unmapped.count) value(s) its mapping (\(source.mapping.origin)) does not map: "
          + list + (unmapped.count > 20 ? ", ..." : "")
          + "; give a mapping file that maps them (--map \(source.name)=FILE) or drop them with --drop-unmapped",
        path: source.path, option: "--source")
    }
    var table = [UInt8](repeating: 0, count: 65536)
    for (value, target) in source.mapping.targets where value < 65536 { table[value] = target }
    let voxels = table.withUnsafeBufferPointer { t in source.labelMap.voxels.map { t[Int($0)] } }
    func voxelsOf(_ values: [Int]) -> [String: Int] {
      Dictionary(uniqueKeysWithValues: values.map { (String($0), counts[$0]) })
    }
    let report = SourceReport(
      name: source.name, path: source.path, mapping: source.mapping.origin,
      sourceValueVoxels: voxelsOf(present), unmappedDroppedVoxels: voxelsOf(unmapped),
      droppedVoxels: voxelsOf(present.filter { source.mapping.targets[$0] == 0 }), resampled: false)
    return (Volume(grid: source.labelMap.grid, voxels: voxels), report)
  }
}
