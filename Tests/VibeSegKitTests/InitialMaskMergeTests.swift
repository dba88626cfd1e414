import Foundation
import NiftiIO
import Testing
import VibeSegKit
import VolumeCore
import _TestSupport

/// `prepare-initial-masks merge` against the cc3d reference of training.md §3.3–3.4
/// (Tests/Fixtures/initial_masks, scripts/fixtures/make_initial_mask_fixtures.py: cc3d 3.29.0,
/// TotalSegmentator 2.18.0, versions in expected.json) and the mapping tables' rules.
@Suite("Initial masks: map, merge, clean up")
struct InitialMaskMergeTests {
  static func fixture(_ name: String) -> URL { Fixtures.committed("initial_masks/\(name)") }

  static func expected() throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: fixture("expected.json"))) as! [String: Any]
  }

  static func labels(_ url: URL) throws -> [Int64] {
    try NiftiImage(contentsOf: url).volume.converted(to: Int64.self).voxels
  }

  @Test("merge and cleanup equal the cc3d reference exactly", arguments: InitialMaskMerge.Priority.allCases)
  func cc3dParity(priority: InitialMaskMerge.Priority) throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var job = InitialMaskMergeJob(
      sources: [("spineps", Self.fixture("spineps.nii.gz")), ("totalseg", Self.fixture("totalseg.nii.gz")),
        ("bodycomp", Self.fixture("bodycomp.nii.gz"))],
      output: dir.appendingPathComponent("init.nii.gz"))
    job.maps = ["bodycomp": Self.fixture("bodycomp_map.json")]
    job.options.priority = priority
    job.reportURL = dir.appendingPathComponent("init.json")
    let outcome = try job.run()

    let written = try NiftiImage(contentsOf: job.output)
    let reference = try NiftiImage(contentsOf: Self.fixture("expected_\(priority.rawValue).nii.gz"))
    #expect(written.volume.scalarType == .uint8)
    #expect(written.grid.shape == reference.grid.shape)
    #expect(written.grid.affine.maxAbsDifference(to: reference.grid.affine) < 1e-6)
    let ours = try Self.labels(job.output), theirs = try Self.labels(Self.fixture("expected_\(priority.rawValue).nii.gz"))
    let mismatches = zip(ours, theirs).filter { $0 != $1 }.count
    #expect(mismatches == 0, "\(mismatches) voxels differ from the cc3d reference")
    #expect(Set(theirs).count > 15)

    let order = ((try Self.expected()["orders"] as! [String: Any])[priority.rawValue] as! [String: Any])
    let findings = order["findings"] as! [String: [String: Any]]
    let ourFindings = Dictionary(uniqueKeysWithValues: outcome.report.validation.findings.map { (String($0.labelID), $0) })
    #expect(Set(ourFindings.keys) == Set(findings.keys))
    for (label, finding) in findings {
      let mine = try #require(ourFindings[label])
      #expect(mine.componentCount == finding["count"] as! Int, "label \(label)")
      #expect(mine.removedComponentSizes.sorted() == finding["removed"] as! [Int], "label \(label)")
      #expect(mine.keptComponentSizes.sorted() == finding["kept"] as! [Int], "label \(label)")
    }
    #expect(outcome.report.labelVoxels == order["label_voxels"] as! [String: Int])
    // The scenarios the fixture is meant to hold, so that a regenerated fixture keeps testing them.
    #expect(findings["17"]?["kept"] as? [Int] == [], "thyroid: min 2, one small component, deleted")
    #expect((findings["64"]?["kept"] as? [Int])?.isEmpty == false && (findings["64"]?["removed"] as? [Int])?.isEmpty == false)
    #expect(findings["65"] == nil, "subcutaneous fat specks: in range, kept")
    let report = try JSONSerialization.jsonObject(with: Data(contentsOf: job.reportURL!)) as! [String: Any]
    #expect(report["schemaVersion"] as? Int == 1 && report["priority"] as? String == priority.rawValue)
  }

  @Test("the two priorities differ where a SPINEPS bone meets a TotalSegmentator vessel")
  func prioritiesDiffer() throws {
    let sources = try Self.labels(Self.fixture("expected_sources.nii.gz"))
    let groups = try Self.labels(Self.fixture("expected_groups.nii.gz"))
    let differing = zip(sources, groups).filter { $0 != $1 }
    #expect(!differing.isEmpty)
    #expect(differing.allSatisfy { $0.1 == 25 }, "in group order the aorta (vessel) wins those voxels")
  }

  @Test("--never-delete-last-component: labels the cleanup would empty keep their largest component, nothing else changes")
  func neverDeleteLastComponent() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var job = InitialMaskMergeJob(
      sources: [("spineps", Self.fixture("spineps.nii.gz")), ("totalseg", Self.fixture("totalseg.nii.gz")),
        ("bodycomp", Self.fixture("bodycomp.nii.gz"))],
      output: dir.appendingPathComponent("init.nii.gz"))
    job.maps = ["bodycomp": Self.fixture("bodycomp_map.json")]
    job.options.neverDeleteLastComponent = true
    let outcome = try job.run()
    let ours = try Self.labels(job.output), reference = try Self.labels(Self.fixture("expected_sources.nii.gz"))
    // The reference emptied thyroid (17: one component of 27), superior (35, largest 26) and
    // inferior vena cava (36, largest 11); here they keep exactly that component.
    #expect(outcome.report.labelVoxels["17"] == 27 && outcome.report.labelVoxels["35"] == 26 && outcome.report.labelVoxels["36"] == 11)
    #expect(zip(ours, reference).allSatisfy { $0 == $1 || ($1 == 0 && [17, 35, 36].contains($0)) })
    #expect(outcome.warnings.allSatisfy { !$0.contains("component(s) removed") })
  }

  @Test("a source of another shape is resampled onto the first one's grid and reported")
  func resampled() throws {
    let first = Self.source("spineps", [(50, [0, 0, 0], [2, 2, 2])], mapping: .spineps)
    // A 3 x 3 x 2 map at 2 mm covering the same world box: liver at its voxel (2, 2, 1).
    var coarse = Volume<UInt16>(grid: ImageGrid(shape: [3, 3, 2], affine: .scaling([2, 2, 2])), repeating: 0)
    coarse[2, 2, 1] = 5
    let second = InitialMaskMerge.Source(name: "totalseg", labelMap: coarse, mapping: .totalSegmentator())
    let result = try InitialMaskMerge(.init(aggressiveness: 0)).run([first, second])
    #expect(result.sources.map(\.resampled) == [false, true])
    #expect(result.labelMap.grid == Self.grid)
    #expect(result.labelMap[4, 4, 2] == 5 && result.labelMap[0, 0, 0] == 69)
  }

  @Test("a real TotalSegmentator `total` output: its label names equal the built-in table; every voxel becomes 0 or its mapped id",
    .enabled(if: Fixtures.realDataAvailable, Fixtures.realDataSkipMessage))
  func realTotalSegmentator() throws {
    let names = try LabelNameFile.load(contentsOf: Fixtures.real("example_seg_ct.labels.json"))
    for entry in TotalSegmentatorClasses.total { #expect(names[entry.id] == entry.name, "id \(entry.id)") }
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = Fixtures.real("example_seg_ct.nii.gz")
    let job = InitialMaskMergeJob(sources: [("totalseg", input)], output: dir.appendingPathComponent("init.nii.gz"))
    let outcome = try job.run()
    let source = try Self.labels(input), merged = try Self.labels(job.output)
    let mapping = InitialMaskMapping.totalSegmentator()
    #expect(zip(source, merged).allSatisfy { $1 == 0 || $1 == Int64(mapping.targets[Int($0)] ?? 255) })
    #expect(zip(source, merged).allSatisfy { (27...50).contains($0) || (90...115).contains($0) ? $1 == 0 : true })
    let present = Set(merged)
    #expect([5, 18, 25].allSatisfy { present.contains($0) }, "liver, intestine (small bowel, duodenum's neighbour colon), aorta")
    #expect(!present.contains(20) && present.allSatisfy { $0 <= 72 })
    #expect(outcome.report.sources[0].droppedVoxels.keys.contains("31"))
  }

  // MARK: - Priorities on small maps

  static let grid = ImageGrid(shape: [6, 5, 4], affine: .identity)

  static func source(_ name: String, _ boxes: [(UInt16, [Int], [Int])], mapping: InitialMaskMapping) -> InitialMaskMerge.Source {
    var map = Volume<UInt16>(grid: grid, repeating: 0)
    for (value, lower, upper) in boxes {
      for k in lower[2]..<upper[2] { for j in lower[1]..<upper[1] { for i in lower[0]..<upper[0] { map[i, j, k] = value } } }
    }
    return .init(name: name, labelMap: map, mapping: mapping)
  }

  static let identity = InitialMaskMapping(origin: "test", targets: Dictionary(uniqueKeysWithValues: (1...72).map { ($0, UInt8($0)) }))

  @Test("sources order: the first source wins whatever the group; groups order: vessel first")
  func priorityModes() throws {
    let bone = Self.source("a", [(69, [0, 0, 0], [3, 3, 3])], mapping: Self.identity)
    let vessel = Self.source("b", [(25, [1, 1, 1], [4, 4, 4])], mapping: Self.identity)
    let options = InitialMaskMerge.Options(aggressiveness: 0)
    let bySource = try InitialMaskMerge(options).run([bone, vessel]).labelMap
    #expect(bySource[2, 2, 2] == 69 && bySource[3, 3, 3] == 25)
    var byGroup = options
    byGroup.priority = .groups
    let grouped = try InitialMaskMerge(byGroup).run([bone, vessel]).labelMap
    #expect(grouped[2, 2, 2] == 25 && grouped[0, 0, 0] == 69)
  }

  @Test("female: prostate never written")
  func female() throws {
    let map = Self.source("totalseg", [(22, [0, 0, 0], [2, 2, 2])], mapping: .totalSegmentator())
    #expect(voxelCount(try InitialMaskMerge(.init(female: true)).run([map]).labelMap, 22) == 0)
    #expect(voxelCount(try InitialMaskMerge(.init(female: false)).run([map]).labelMap, 22) == 8)
  }

  @Test("unmapped values are refused, listing each with its voxels; --drop-unmapped sets them to 0")
  func unmapped() throws {
    let map = Self.source("spineps", [(50, [0, 0, 0], [2, 2, 2]), (51, [3, 0, 0], [4, 1, 1]), (999, [5, 4, 3], [6, 5, 4])],
      mapping: .spineps)
    let error = #expect(throws: VibeSegKitError.self) { try InitialMaskMerge().run([map]) }
    #expect(error?.code == .invalidInput)
    #expect(error?.message.contains("51 (1 voxels), 999 (1 voxels)") == true, "\(error?.message ?? "")")
    #expect(error?.message.contains("--drop-unmapped") == true)
    let dropped = try InitialMaskMerge(.init(dropUnmapped: true)).run([map])
    #expect(dropped.sources[0].unmappedDroppedVoxels == ["51": 1, "999": 1])
    #expect(voxelCount(dropped.labelMap, 69) == 8 && dropped.labelMap[3, 0, 0] == 0)
  }

  @Test("a source name given twice, and no source, are refused")
  func badSourceLists() {
    let a = Self.source("x", [], mapping: Self.identity)
    #expect(throws: VibeSegKitError.self) { try InitialMaskMerge().run([a, a]) }
    #expect(throws: VibeSegKitError.self) { try InitialMaskMerge().run([]) }
  }

  @Test("same shape, another affine: gridMismatch naming the source")
  func gridMismatch() throws {
    let a = Self.source("spineps", [(50, [0, 0, 0], [2, 2, 2])], mapping: .spineps)
    var b = Self.source("totalseg", [(5, [0, 0, 0], [2, 2, 2])], mapping: .totalSegmentator())
    var moved = Affine.identity
    moved[1, 3] = 2
    b.labelMap = Volume(grid: ImageGrid(shape: Self.grid.shape, affine: moved), voxels: b.labelMap.voxels)
    let error = #expect(throws: VibeSegKitError.self) { try InitialMaskMerge().run([a, b]) }
    #expect(error?.code == .gridMismatch && error?.message.contains("the totalseg label map") == true)
  }
}
