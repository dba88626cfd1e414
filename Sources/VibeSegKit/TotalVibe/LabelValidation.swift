import Morphology
import VolumeCore

/// TotalVibeSegmentator's plausibility check and automatic fix of a label map (upstream
/// `validate_seg` of `run_TotalVibeSegmentator_multi.py`, `docs/totalvibe.md` section 6).
///
/// For every label present, the 26-connected components of `map == label` are counted. When the
/// count is outside the label's `expectedComponents`, every component of at most
/// `autofixVoxels × aggressiveness` voxels is set to 0 (the comparison is `<=`); larger
/// components stay, and labels without an autofix size (`vertebra_posterior_elements`) are only
/// reported. Components are those of the input map, so one removal never changes another's
/// size. A label whose components are all small disappears (upstream does the same). Labels
/// within their range are untouched and not reported.
///
/// Upstream runs this with aggressiveness 5 on each contrast's segmentation and 15 on the
/// combined map. Since TPTBox renamed `get_segmentation_connected_components` (2025) upstream's
/// call fails and the exception is swallowed, so current upstream validates nothing; this is the
/// check as it was written and worked in 2024.
///
/// `keepsLastComponent` (VibeSeg's `--never-delete-last-component`, training.md §3.4; off by
/// default and in `combine`, as upstream): a label whose every component would be removed keeps
/// its largest one (the first of equally large ones in component order) — e.g. a thyroid (min 2)
/// found as one small component.
///
/// Cost: one multi-label 26-connected labelling (`ConnectedComponents(labelMap:)`) and at most
/// one more pass over the voxels.
public struct LabelValidation: Sendable {
  /// Multiplier of each label's autofix size (upstream: 5 per contrast, 15 after combining).
  public var aggressiveness: Int
  /// Never remove all components of a label (see the type).
  public var keepsLastComponent: Bool

  /// - Precondition: `aggressiveness >= 0` (0 removes nothing).
  public init(aggressiveness: Int, keepsLastComponent: Bool = false) {
    precondition(aggressiveness >= 0, "LabelValidation: aggressiveness must not be negative")
    self.aggressiveness = aggressiveness
    self.keepsLastComponent = keepsLastComponent
  }

  /// The cleaned map and what was found.
  ///
  /// - Parameter option: names the input in errors (e.g. `--water`).
  /// - Throws: `VibeSegKitError(.invalidInput)` for a 4-D map; `.unknownLabel` when the map
  ///   holds a value that is no TotalVibeSegmentator label (above 72): it is not a TotalVibe
  ///   segmentation (upstream fails with a KeyError there).
  public func validate(_ labelMap: Volume<UInt8>, option: String? = nil) throws(VibeSegKitError) -> LabelValidationResult {
    guard labelMap.channelCount == 1 else {
      throw VibeSegKitError(.invalidInput,
        "a label map must be 3-D; this one has \(labelMap.channelCount) volumes", option: option)
    }
    let components = ConnectedComponents(labelMap: labelMap, connectivity: .twentySix)
    var byValue = [[Int]](repeating: [], count: 256)
    for c in 1...max(components.count, 1) where c <= components.count {
      byValue[Int(components.values[c - 1])].append(c)
    }
    var findings = [LabelValidationReport.Finding]()
    var remove = [Bool](repeating: false, count: components.count + 1)
    var anyRemoved = false
    for value in 1..<256 where !byValue[value].isEmpty {
      guard let label = TotalVibeLabel.label(id: value) else {
        throw VibeSegKitError(.unknownLabel,
          "label \(value) is not a TotalVibeSegmentator label (ids 1-72); is this the output of another model?",
          option: option)
      }
      let members = byValue[value]
      guard !label.expectedComponents.contains(members.count) else { continue }
      let limit = label.autofixVoxels.map { $0 * aggressiveness }
      var removed = [Int](), kept = [Int]()
      // The component spared by keepsLastComponent when every one is small enough to go.
      let spared = keepsLastComponent && limit.map { limit in members.allSatisfy { components.sizes[$0 - 1] <= limit } } == true
        ? members.max { components.sizes[$0 - 1] < components.sizes[$1 - 1] } : nil
      for c in members {
        let size = components.sizes[c - 1]
        if let limit, size <= limit, c != spared {
          remove[c] = true
          anyRemoved = true
          removed.append(size)
        } else {
          kept.append(size)
        }
      }
      findings.append(.init(labelID: value, name: label.name, componentCount: members.count,
        expectedMinimum: label.expectedComponents.lowerBound, expectedMaximum: label.expectedComponents.upperBound,
        autofixLimitVoxels: limit, removedComponentSizes: removed, keptComponentSizes: kept))
    }
    var cleaned = labelMap
    if anyRemoved {
      cleaned.voxels.withUnsafeMutableBufferPointer { out in
        components.componentIndex.withUnsafeBufferPointer { index in
          remove.withUnsafeBufferPointer { drop in
            // Unchecked: index[p] is a component number in 0...count, the range of `drop`.
            for p in 0..<out.count where drop[Int(index[p])] { out[p] = 0 }
          }
        }
      }
    }
    return LabelValidationResult(labelMap: cleaned,
      report: LabelValidationReport(aggressiveness: aggressiveness, findings: findings))
  }
}

/// A validated label map and its report.
public struct LabelValidationResult: Sendable {
  public var labelMap: Volume<UInt8>
  public var report: LabelValidationReport
}

/// What the validator found, for the QC report: one finding per label whose component count was
/// outside its expected range.
public struct LabelValidationReport: Sendable, Codable, Equatable {
  public struct Finding: Sendable, Codable, Equatable {
    public var labelID: Int
    public var name: String
    /// 26-connected components found.
    public var componentCount: Int
    public var expectedMinimum: Int
    public var expectedMaximum: Int
    /// `autofixVoxels × aggressiveness`; nil when the label is never fixed.
    public var autofixLimitVoxels: Int?
    /// Sizes (voxels) of the components set to 0, in component order (first voxel, i fastest).
    public var removedComponentSizes: [Int]
    /// Sizes of the components left in place.
    public var keptComponentSizes: [Int]
  }

  public var aggressiveness: Int
  public var findings: [Finding]

  /// Voxels set to 0 over all labels.
  public var removedVoxelCount: Int { findings.reduce(0) { $0 + $1.removedComponentSizes.reduce(0, +) } }
}
