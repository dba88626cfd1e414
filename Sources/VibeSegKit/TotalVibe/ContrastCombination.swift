import Morphology
import VolumeCore
import VolumeTransforms

/// Combines TotalVibeSegmentator label maps of one subject's Dixon contrasts (water, in-phase,
/// opposed-phase) into one map with upstream's priorities (`combine` of
/// `run_TotalVibeSegmentator_multi.py`; `docs/totalvibe.md` section 6).
///
/// Call site of `vibeseg combine`:
/// ```swift
/// let result = try ContrastCombination(.init(female: female, fillHoles: fillHoles))
///   .run(water: water, inPhase: inPhase, opposedPhase: opposedPhase)
/// // result.labelMap: the combined map on the first given map's grid
/// // result.validatedInputs / inputReports / resultReport: intermediate maps and QC findings
/// ```
///
/// `run` = validate each given map (aggressiveness 5) on its own grid, `combine`, validate the
/// result (aggressiveness 15), then fill holes per label when asked (TPTBox `fill_holes`,
/// 3-D, six-connected background, labels ascending).
///
/// `combine` rules, all upstream's:
/// - Output grid: the first given map's (order water, in-phase, opposed-phase). A map of another
///   shape is resampled onto it with nearest-neighbour interpolation, world positions aligned
///   (TPTBox `resample_from_to`: order 0, `mode='constant'`, 0 outside). A map of the same shape
///   but another affine (entries differing by more than 1e-4 mm) is refused with
///   `.gridMismatch`: upstream would combine such maps voxel by voxel, silently misaligned.
/// - Priority: groups in `TotalVibeLabel.Group.combinationOrder` (vessel, lung, cns,
///   prone_to_over_seg, bone, digestion, muscle, organ, rest); within a group each map in the
///   order water, in-phase, opposed-phase; within a map the label ids ascending. A voxel takes the
///   first label written to it (later writers only fill voxels that are still 0).
/// - When a water map is given, the groups muscle and prone_to_over_seg come from it alone.
/// - Labels whose expected maximum is 1 and whose group is not vessel keep only their largest
///   6-connected component, per map, before writing (ties: see
///   `ConnectedComponents.rankedBySize(value:)`).
/// - `female`: prostate (22) is never written.
/// - Values that are no TotalVibe label (above 72) are never written.
///
/// Implementation: `LabelMerge` (shared with `prepare-initial-masks merge`) with rank
/// 4 · group rank + map position per label, 255 for the labels a map may not write (female
/// prostate, water-only groups of the other contrasts): each map is filtered once (one
/// 6-connected multi-label labelling), then one pass picks per voxel the candidate with the
/// smallest (group rank, map position); within a map a voxel holds one label, so this equals
/// upstream's sequential writes. O(N · maps).
public struct ContrastCombination: Sendable {
  /// The contrasts, in upstream's fixed order.
  public enum Contrast: String, Sendable, Hashable, CaseIterable, Codable {
    case water
    case inPhase = "inphase"
    case opposedPhase = "outphase"

    /// The `vibeseg combine` option naming this contrast (used in errors).
    public var option: String {
      switch self {
      case .water: "--water"
      case .inPhase: "--in-phase"
      case .opposedPhase: "--opposed-phase"
      }
    }
  }

  public struct Options: Sendable, Equatable {
    /// Skip prostate (label 22).
    public var female: Bool
    /// Fill holes per label after the final validation.
    public var fillHoles: Bool
    /// Validation of each contrast's map (upstream 5).
    public var inputAggressiveness: Int
    /// Validation of the combined map (upstream 15).
    public var resultAggressiveness: Int

    public init(female: Bool = false, fillHoles: Bool = false, inputAggressiveness: Int = 5, resultAggressiveness: Int = 15) {
      self.female = female
      self.fillHoles = fillHoles
      self.inputAggressiveness = inputAggressiveness
      self.resultAggressiveness = resultAggressiveness
    }
  }

  /// Everything `run` produced.
  public struct Result: Sendable {
    /// The combined, validated (and optionally hole-filled) map on the first given map's grid.
    public var labelMap: Volume<UInt8>
    /// Each given map after its own validation, on its own grid (upstream overwrites its
    /// intermediate `<stem>_part-<contrast>_<suffix>.nii.gz` files with these).
    public var validatedInputs: [Contrast: Volume<UInt8>]
    public var inputReports: [Contrast: LabelValidationReport]
    public var resultReport: LabelValidationReport
    /// Contrasts whose map had another shape and was resampled onto the output grid.
    public var resampled: [Contrast]
    /// Voxels added by hole filling, per label (empty unless `fillHoles`).
    public var filledVoxels: [UInt8: Int]
  }

  /// Affine entries may differ by this much (mm) on grids treated as equal
  /// (`LabelMerge.affineToleranceMillimeters`).
  public static let affineToleranceMillimeters = LabelMerge.affineToleranceMillimeters

  public var options: Options

  public init(_ options: Options = Options()) {
    precondition(options.inputAggressiveness >= 0 && options.resultAggressiveness >= 0,
      "ContrastCombination: aggressiveness must not be negative")
    self.options = options
  }

  /// Validate each, combine, validate the result, optionally fill holes (see the type).
  ///
  /// - Throws: `VibeSegKitError` `.invalidOption` (no map given), `.invalidInput` (a 4-D map),
  ///   `.unknownLabel` (a value above 72), `.gridMismatch` (same shape, other affine); `option`
  ///   names the contrast's command-line option.
  public func run(water: Volume<UInt8>?, inPhase: Volume<UInt8>?, opposedPhase: Volume<UInt8>?) throws(VibeSegKitError) -> Result {
    let inputs = try Self.present(water: water, inPhase: inPhase, opposedPhase: opposedPhase)
    let validation = LabelValidation(aggressiveness: options.inputAggressiveness)
    var validated = [(Contrast, Volume<UInt8>)]()
    var reports = [Contrast: LabelValidationReport]()
    for (contrast, map) in inputs {
      let outcome = try validation.validate(map, option: contrast.option)
      validated.append((contrast, outcome.labelMap))
      reports[contrast] = outcome.report
    }
    let (combined, resampled) = try combineValidated(validated)
    let final = try LabelValidation(aggressiveness: options.resultAggressiveness).validate(combined)
    var labelMap = final.labelMap
    let filled = options.fillHoles ? HoleFilling.fillHoles(in: &labelMap) : [:]
    return Result(labelMap: labelMap, validatedInputs: Dictionary(uniqueKeysWithValues: validated),
      inputReports: reports, resultReport: final.report, resampled: resampled, filledVoxels: filled)
  }

  /// The combination rule alone, without validation or hole filling (see the type).
  ///
  /// - Throws: as `run`, except `.unknownLabel` (unknown values are dropped here).
  public func combine(water: Volume<UInt8>?, inPhase: Volume<UInt8>?, opposedPhase: Volume<UInt8>?) throws(VibeSegKitError) -> Volume<UInt8> {
    try combineValidated(Self.present(water: water, inPhase: inPhase, opposedPhase: opposedPhase)).map
  }

  // MARK: - Steps

  static func present(water: Volume<UInt8>?, inPhase: Volume<UInt8>?, opposedPhase: Volume<UInt8>?) throws(VibeSegKitError) -> [(Contrast, Volume<UInt8>)] {
    let inputs = [(Contrast.water, water), (.inPhase, inPhase), (.opposedPhase, opposedPhase)]
      .compactMap { pair in pair.1.map { (pair.0, $0) } }
    guard !inputs.isEmpty else {
      throw VibeSegKitError(.invalidOption, "give at least one of --water, --in-phase, --opposed-phase")
    }
    for (contrast, map) in inputs where map.channelCount != 1 {
      throw VibeSegKitError(.invalidInput,
        "a label map must be 3-D; this one has \(map.channelCount) volumes", option: contrast.option)
    }
    return inputs
  }

  func combineValidated(_ inputs: [(Contrast, Volume<UInt8>)]) throws(VibeSegKitError) -> (map: Volume<UInt8>, resampled: [Contrast]) {
    let waterGiven = inputs.contains { $0.0 == .water }
    // rank[label]: 4·group rank + map position, 255 when this map may not write the label.
    let sources = inputs.enumerated().map { position, input in
      let (contrast, map) = input
      var rank = [UInt8](repeating: 255, count: 256)
      for label in TotalVibeLabel.all {
        if options.female && label.id == 22 { continue }
        if waterGiven && label.group.isWaterOnly && contrast != .water { continue }
        rank[Int(label.id)] = UInt8(4 * label.group.combinationRank + position)
      }
      return LabelMerge.Source(name: contrast.rawValue, option: contrast.option, labelMap: map, rank: rank)
    }
    let merged = try LabelMerge.merge(sources,
      gridAdvice: "contrasts of one subject must share a grid; resample them onto one grid first (`vibeseg convert`)")
    return (merged.labelMap, merged.resampled.map { inputs[$0].0 })
  }
}
