import Testing
import VibeSegKit
import VolumeCore
import _TestSupport

/// Writes `label` into the half-open box `lower..<upper` of `map`.
func paint(_ map: inout Volume<UInt8>, _ label: UInt8, _ lower: [Int], _ upper: [Int]) {
  for k in lower[2]..<upper[2] { for j in lower[1]..<upper[1] { for i in lower[0]..<upper[0] { map[i, j, k] = label } } }
}

func emptyMap(_ shape: [Int], affine: Affine = .identity) -> Volume<UInt8> {
  Volume(grid: ImageGrid(shape: shape, affine: affine), repeating: 0)
}

func voxelCount(_ map: Volume<UInt8>, _ label: UInt8) -> Int { map.voxels.filter { $0 == label }.count }

@Suite("TotalVibe label registry")
struct TotalVibeLabelTests {
  @Test("72 labels, ids 1...72, names identical to StatisticsLabelRegistry.totalVibe")
  func agreesWithStatisticsRegistry() {
    let names = StatisticsLabelRegistry.totalVibe.names
    #expect(TotalVibeLabel.all.count == 72)
    #expect(Set(names.keys) == Set(1...72))
    for (offset, label) in TotalVibeLabel.all.enumerated() {
      #expect(Int(label.id) == offset + 1)
      #expect(label.name == names[Int(label.id)])
      #expect(TotalVibeLabel.label(id: Int(label.id)) == label)
      #expect(TotalVibeLabel.label(named: label.name) == label)
    }
    #expect(TotalVibeLabel.label(id: 0) == nil && TotalVibeLabel.label(id: 73) == nil)
    #expect(TotalVibeLabel.label(named: "ivd")?.id == 68)
    #expect(TotalVibeLabel.label(named: "no_such_structure") == nil)
  }

  @Test("groups, component ranges and autofix sizes of docs/totalvibe.md section 2 (spot checks)")
  func table() throws {
    let cases: [(Int, TotalVibeLabel.Group, ClosedRange<Int>, Int?)] = [
      (1, .organ, 1...1, 100), (5, .organ, 1...1, 200), (6, .digestion, 1...1, 10), (7, .digestion, 1...1, 5),
      (8, .vessel, 1...1, 30), (16, .lung, 1...1, 10), (17, .organ, 2...2, 10), (20, .digestion, 1...1, 10),
      (25, .vessel, 1...1, 10), (26, .vessel, 2...2, 30), (52, .cns, 1...1, 5), (61, .muscle, 1...1, 600),
      (64, .proneToOverSegmentation, 4...30, 2), (65, .rest, 1...1000, 2), (68, .bone, 1...25, 2),
      (70, .proneToOverSegmentation, 1...25, nil), (71, .cns, 1...1, 5), (72, .bone, 0...10, 50),
    ]
    for (id, group, range, autofix) in cases {
      let label = try #require(TotalVibeLabel.label(id: id))
      #expect(label.group == group && label.expectedComponents == range && label.autofixVoxels == autofix, "\(label)")
    }
    #expect(TotalVibeLabel.labels(in: .vessel).map(\.id) == [8, 9] + Array(25...41))
    #expect(TotalVibeLabel.labels(in: .muscle).map(\.id) == Array(53...62))
    #expect(TotalVibeLabel.labels(in: .proneToOverSegmentation).map(\.id) == [64, 70])
    #expect(TotalVibeLabel.Group.allCases.reduce(0) { $0 + TotalVibeLabel.labels(in: $1).count } == 72)
    #expect(TotalVibeLabel.Group.combinationOrder.map(\.rawValue)
      == ["vessel", "lung", "cns", "prone_to_over_seg", "bone", "digestion", "muscle", "organ", "rest"])
    // Largest-component rule: max 1 and not vessel.
    #expect(TotalVibeLabel.label(id: 5)!.keepsLargestComponentOnly)
    #expect(!TotalVibeLabel.label(id: 25)!.keepsLargestComponentOnly)
    #expect(!TotalVibeLabel.label(id: 17)!.keepsLargestComponentOnly)
    #expect(!TotalVibeLabel.label(id: 72)!.keepsLargestComponentOnly)
    #expect(try TotalVibeLabel.resolve(["liver", "3"]).map(\.id) == [5, 3])
    #expect(throws: VibeSegKitError.self) { try TotalVibeLabel.resolve(["liverr"]) }
  }
}

@Suite("TotalVibe label validation")
struct LabelValidationTests {
  /// Pancreas (7, autofix 5): with aggressiveness 5 the limit is 25 voxels.
  @Test("autofix limit: a component of exactly autofix x aggressiveness voxels goes, one more stays", arguments: [
    (25, true), (26, false), (24, true),
  ])
  func autofixThreshold(size: Int, removed: Bool) throws {
    var map = emptyMap([30, 12, 10])
    paint(&map, 7, [0, 0, 0], [10, 10, 1])  // main component, 100 voxels
    paint(&map, 7, [0, 0, 5], [size, 1, 6])  // second component of `size` voxels, a row along i
    let result = try LabelValidation(aggressiveness: 5).validate(map)
    #expect(voxelCount(result.labelMap, 7) == (removed ? 100 : 100 + size))
    let finding = try #require(result.report.findings.first)
    #expect(result.report.findings.count == 1)
    #expect(finding.labelID == 7 && finding.name == "pancreas" && finding.componentCount == 2)
    #expect(finding.expectedMinimum == 1 && finding.expectedMaximum == 1 && finding.autofixLimitVoxels == 25)
    #expect(finding.removedComponentSizes == (removed ? [size] : []))
    #expect(finding.keptComponentSizes == (removed ? [100] : [100, size]))
    #expect(result.report.removedVoxelCount == (removed ? size : 0))
  }

  @Test("the limit scales with aggressiveness (5 vs 15) and 0 removes nothing")
  func aggressiveness() throws {
    var map = emptyMap([30, 12, 10])
    paint(&map, 25, [0, 0, 0], [10, 10, 2])  // aorta (autofix 10), 200 voxels
    paint(&map, 25, [0, 0, 5], [20, 5, 6])  // 100 voxels: above 50, below 150
    #expect(voxelCount(try LabelValidation(aggressiveness: 5).validate(map).labelMap, 25) == 300)
    #expect(voxelCount(try LabelValidation(aggressiveness: 15).validate(map).labelMap, 25) == 200)
    let none = try LabelValidation(aggressiveness: 0).validate(map)
    #expect(none.labelMap.voxels == map.voxels && none.report.findings.count == 1)
  }

  @Test("labels within their range are untouched and unreported, however small")
  func inRange() throws {
    var map = emptyMap([10, 10, 10])
    map[1, 1, 1] = 5  // liver, one voxel
    paint(&map, 17, [0, 0, 5], [2, 2, 6])  // thyroid, two components (expected 2)
    paint(&map, 17, [5, 5, 5], [7, 7, 6])
    let result = try LabelValidation(aggressiveness: 5).validate(map)
    #expect(result.labelMap.voxels == map.voxels)
    #expect(result.report.findings.isEmpty)
  }

  @Test("too few components: a small lone component is deleted (thyroid expects 2)")
  func tooFew() throws {
    var map = emptyMap([10, 10, 10])
    paint(&map, 17, [0, 0, 0], [5, 5, 2])  // 50 voxels = 10 x 5: removed
    let result = try LabelValidation(aggressiveness: 5).validate(map)
    #expect(voxelCount(result.labelMap, 17) == 0)
    #expect(result.report.findings.map(\.componentCount) == [1])
    paint(&map, 17, [0, 0, 0], [6, 5, 2])  // 60 voxels: kept, still reported
    let kept = try LabelValidation(aggressiveness: 5).validate(map)
    #expect(voxelCount(kept.labelMap, 17) == 60 && kept.report.findings.first?.keptComponentSizes == [60])
  }

  @Test("components are 26-connected: blocks touching at a corner are one")
  func twentySixConnected() throws {
    var map = emptyMap([10, 10, 10])
    paint(&map, 7, [0, 0, 0], [3, 3, 3])
    paint(&map, 7, [3, 3, 3], [5, 5, 5])  // corner contact only
    #expect(try LabelValidation(aggressiveness: 5).validate(map).report.findings.isEmpty)
    map[4, 4, 4] = 0
    map[3, 3, 3] = 0  // now apart: 27 + 6 voxels, the 6-voxel piece is removed
    let split = try LabelValidation(aggressiveness: 5).validate(map)
    #expect(split.report.findings.first?.removedComponentSizes == [6])
    #expect(voxelCount(split.labelMap, 7) == 27)
  }

  @Test("no autofix size (vertebra_posterior_elements) is reported only; bone_other with 11 components loses all small ones")
  func specialLabels() throws {
    var map = emptyMap([30, 30, 3])
    for n in 0..<26 { map[(n % 13) * 2, (n / 13) * 2, 0] = 70 }  // 26 single voxels, expected 1...25
    for n in 0..<11 { map[(n % 11) * 2, 10, 2] = 72 }  // 11 single voxels, expected 0...10
    let result = try LabelValidation(aggressiveness: 1).validate(map)
    #expect(voxelCount(result.labelMap, 70) == 26)
    #expect(voxelCount(result.labelMap, 72) == 0)
    #expect(result.report.findings.map(\.labelID) == [70, 72])
    #expect(result.report.findings[0].autofixLimitVoxels == nil)
    #expect(result.report.findings[0].keptComponentSizes.count == 26)
  }

  @Test("values that are no TotalVibe label are refused; 4-D maps too")
  func refusals() {
    var map = emptyMap([4, 4, 4])
    map[0, 0, 0] = 80
    let unknown = #expect(throws: VibeSegKitError.self) { try LabelValidation(aggressiveness: 5).validate(map, option: "--water") }
    #expect(unknown?.code == .unknownLabel && unknown?.option == "--water" && unknown?.message.contains("80") == true)
    let fourD = Volume<UInt8>(grid: ImageGrid(shape: [2, 2, 2], affine: .identity), channelCount: 2, repeating: 0)
    let invalid = #expect(throws: VibeSegKitError.self) { try LabelValidation(aggressiveness: 5).validate(fourD) }
    #expect(invalid?.code == .invalidInput)
  }

  @Test("keepsLastComponent: a label that would lose every component keeps its largest; off by default")
  func keepsLastComponent() throws {
    // Thyroid (17: min 2, autofix 10): one component of 8 voxels is out of range and small (<= 150).
    var single = emptyMap([8, 8, 8])
    paint(&single, 17, [0, 0, 0], [2, 2, 2])
    #expect(voxelCount(try LabelValidation(aggressiveness: 15).validate(single).labelMap, 17) == 0)
    let kept = try LabelValidation(aggressiveness: 15, keepsLastComponent: true).validate(single)
    #expect(voxelCount(kept.labelMap, 17) == 8)
    #expect(kept.report.findings.first?.keptComponentSizes == [8] && kept.report.findings.first?.removedComponentSizes == [])
    // Aorta (25: max 1, autofix 10) in three small pieces: only the largest (27) stays.
    var pieces = emptyMap([8, 8, 8])
    paint(&pieces, 25, [0, 0, 0], [1, 1, 1])
    paint(&pieces, 25, [3, 3, 3], [6, 6, 6])
    paint(&pieces, 25, [7, 0, 0], [8, 2, 1])
    let largest = try LabelValidation(aggressiveness: 15, keepsLastComponent: true).validate(pieces)
    #expect(voxelCount(largest.labelMap, 25) == 27 && largest.report.findings.first?.removedComponentSizes.sorted() == [1, 2])
    // A fourth, separate piece of 64 voxels (also <= 150): now it is the one spared.
    paint(&pieces, 25, [0, 7, 0], [8, 8, 8])
    let mixed = try LabelValidation(aggressiveness: 15, keepsLastComponent: true).validate(pieces)
    #expect(voxelCount(mixed.labelMap, 25) == 64)
  }
}
