import Foundation
import NiftiIO
import Testing
import VibeSegKit
import VolumeCore
import _TestSupport

/// `vibeseg compare-cohort` (issue 21, training.md §6.2): Dice and spreads against NumPy on a
/// committed fixture, and 1,000 synthetic cases with planted outliers of which exactly those are
/// flagged.
@Suite("compare-cohort: Dice outliers over a cohort")
struct CompareCohortTests {
  static let fixture = Fixtures.committed("compare_cohort")

  @Test("Dice, volumes, relative volume differences, mean/SD and median/MAD thresholds and flags equal NumPy's (<= 1e-12)")
  func numpyReference() throws {
    let data = try Data(contentsOf: Self.fixture.appendingPathComponent("expected.json"))
    let expected = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let cases = try #require(expected["cases"] as? [String: [String: [String: Any]]])
    let labels = try #require(expected["labels"] as? [String: [String: Any]])
    for robust in [false, true] {
      let dir = try Fixtures.temporaryDirectory()
      defer { try? FileManager.default.removeItem(at: dir) }
      var job = CompareCohortJob(
        a: Self.fixture.appendingPathComponent("a"), b: Self.fixture.appendingPathComponent("b"),
        output: dir.appendingPathComponent("report"))
      job.robust = robust
      let report = try job.run()
      #expect(report.cases.count == 8 && report.failed == 0)
      #expect(report.labels.map(\.id) == [1, 2, 3, 5])
      for c in report.cases {
        let theirs = try #require(cases[c.name])
        #expect(Set(c.metrics.map { "\($0.label)" }) == Set(theirs.keys), "\(c.name)")
        for m in c.metrics {
          let t = try #require(theirs["\(m.label)"])
          #expect(abs(m.dice! - (t["dice"] as! Double)) <= 1e-12, "\(c.name) \(m.label)")
          #expect(abs(m.volumeA - (t["volume_a_ml"] as! Double)) <= 1e-12)
          #expect(abs(m.volumeB - (t["volume_b_ml"] as! Double)) <= 1e-12)
          if let r = t["relative_volume_difference"] as? Double {
            #expect(abs(m.relativeVolumeDifference! - r) <= 1e-12)
          } else {
            #expect(m.relativeVolumeDifference == nil)
          }
        }
      }
      for l in report.labels {
        let t = try #require(labels["\(l.id)"])
        #expect(l.dice.n == t["n"] as! Int)
        let centre = t[robust ? "median" : "mean"] as! Double
        let scale = t[robust ? "mad_scale" : "sd"] as! Double
        #expect(abs(l.dice.centre - centre) <= 1e-12 && abs(l.dice.scale! - scale) <= 1e-12, "label \(l.id)")
        let flagged = report.cases.filter { $0.flags.contains { $0.label == l.id } }.map(\.name)
        #expect(flagged == t[robust ? "robust_flagged" : "flagged"] as! [String], "label \(l.id) robust \(robust)")
      }
    }
  }

  /// Case `c` of the synthetic cohort: two boxes (labels 1 and 4, 4x4x3 = 48 voxels each) in A;
  /// B drops `c % 5` voxels of label 1 and `(c / 5) % 5` of label 4 (inliers: Dice 0.957...1, a
  /// discrete uniform spread never 2 SD from its mean). Planted: label 1 mostly missing from B
  /// (`missing`), or label 4 doubled in B (`grown`).
  static func writeCase(_ c: Int, missing: Bool, grown: Bool, a: URL, b: URL) throws {
    let shape = [12, 8, 5]
    var mapA = [UInt8](repeating: 0, count: shape.reduce(1, *))
    func index(_ i: Int, _ j: Int, _ k: Int) -> Int { i + shape[0] * (j + shape[1] * k) }
    var box1: [Int] = [], box4: [Int] = []
    for k in 1..<4 { for j in 2..<6 { for i in 1..<5 { box1.append(index(i, j, k)) } } }
    for k in 1..<4 { for j in 2..<6 { for i in 7..<11 { box4.append(index(i, j, k)) } } }
    for v in box1 { mapA[v] = 1 }
    for v in box4 { mapA[v] = 4 }
    var mapB = mapA
    for v in box1.prefix(missing ? 40 : c % 5) { mapB[v] = 0 }
    for v in box4.prefix((c / 5) % 5) { mapB[v] = 0 }
    if grown { for k in 1..<4 { for j in 2..<6 { mapB[index(11, j, k)] = 4; mapB[index(6, j, k)] = 4 } }; for k in 0..<1 { for j in 2..<6 { for i in 7..<11 { mapB[index(i, j, k)] = 4 } } }; for k in 4..<5 { for j in 2..<6 { for i in 7..<11 { mapB[index(i, j, k)] = 4 } } } }
    let grid = ImageGrid(shape: shape, affine: Affine(rows: [[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 3, 0], [0, 0, 0, 1]]))
    let name = String(format: "s%04d.nii", c)
    try NiftiImage(Volume<UInt8>(grid: grid, voxels: mapA)).write(to: a.appendingPathComponent(name))
    try NiftiImage(Volume<UInt8>(grid: grid, voxels: mapB)).write(to: b.appendingPathComponent(name))
  }

  @Test("1,000 synthetic cases with planted outliers: exactly those flagged (dice, volume, both, robust); review queue most extreme first")
  func plantedOutliers() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let a = dir.appendingPathComponent("a"), b = dir.appendingPathComponent("b")
    for folder in [a, b] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
    let missing: Set<Int> = [17, 230, 231, 499, 640, 777, 901, 998]
    let grown: Set<Int> = [3, 88, 512, 513, 860, 999]
    for c in 0..<1000 { try Self.writeCase(c, missing: missing.contains(c), grown: grown.contains(c), a: a, b: b) }
    let name = { (c: Int) in String(format: "s%04d", c) }
    for (criterion, robust) in [(CohortComparison.Criterion.dice, false), (.volume, false), (.both, false), (.dice, true)] {
      var job = CompareCohortJob(a: a, b: b, output: dir.appendingPathComponent("r-\(criterion.rawValue)-\(robust)"))
      job.criterion = criterion
      job.robust = robust
      let report = try job.run()
      #expect(report.cases.count == 1000 && report.failed == 0)
      let flagged = Set(report.reviewQueue.map(\.name))
      #expect(flagged == Set(missing.union(grown).map(name)), "\(criterion) robust \(robust): \(flagged.sorted())")
      // Label 1 flags the missing cases, label 4 the grown ones, nothing else.
      for entry in report.reviewQueue {
        let c = Int(entry.name.dropFirst())!
        #expect(Set(entry.flags.map(\.label)) == (missing.contains(c) ? [1] : [4]), "\(entry.name)")
      }
      #expect(report.reviewQueue.map { abs($0.worstZ) } == report.reviewQueue.map { abs($0.worstZ) }.sorted(by: >))
      #expect(report.reviewQueue.map(\.rank) == Array(1...flagged.count))
      let csv = try String(contentsOf: job.outputs[3], encoding: .utf8)
      #expect(csv.split(separator: "\n").count == flagged.count + 1)
      let cases = try String(contentsOf: job.outputs[1], encoding: .utf8)
      #expect(cases.split(separator: "\n").count == 1 + 2000)
    }
  }

  @Test("a case missing from B fails alone; B files without an A file are listed; the label map is honoured")
  func failuresAndMap() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let a = dir.appendingPathComponent("a"), b = dir.appendingPathComponent("b")
    for folder in [a, b] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
    for c in 0..<6 { try Self.writeCase(c, missing: c == 2, grown: false, a: a, b: b) }
    try FileManager.default.removeItem(at: b.appendingPathComponent("s0004.nii"))
    try FileManager.default.copyItem(at: a.appendingPathComponent("s0001.nii"), to: b.appendingPathComponent("extra.nii"))
    var job = CompareCohortJob(a: a, b: b, output: dir.appendingPathComponent("r"))
    let report = try job.run()
    #expect(report.failed == 1 && report.cases.first { $0.name == "s0004" }?.error != nil)
    #expect(report.unmatchedB.count == 1 && report.unmatchedB[0].hasSuffix("extra.nii"))
    // B's label 4 renamed 9 (another network's ids): through --map, the same Dice as before.
    for file in try FileManager.default.contentsOfDirectory(atPath: b.path) {
      let url = b.appendingPathComponent(file)
      var volume = try NiftiImage(contentsOf: url).volume.converted(to: UInt8.self)
      volume.voxels = volume.voxels.map { $0 == 4 ? 9 : $0 }
      try NiftiImage(volume).write(to: url)
    }
    let map = dir.appendingPathComponent("map.json")
    try Data(#"{"left box": {"a": 1, "b": 1}, "right box": {"a": 4, "b": 9}}"#.utf8).write(to: map)
    job.map = map
    job.output = dir.appendingPathComponent("r2")
    let mapped = try job.run()
    #expect(mapped.labels.map(\.name) == ["left box", "right box"])
    #expect(mapped.cases.count == report.cases.count)
    for (x, y) in zip(report.cases, mapped.cases) {
      #expect(x.metrics.map(\.dice) == y.metrics.map(\.dice), "\(x.name)")
      #expect(x.error == nil || y.error != nil)
    }
    #expect(mapped.reviewQueue.map(\.name) == report.reviewQueue.map(\.name))
    // Existing outputs are kept without overwrite; a bad map names the file.
    let again = #expect(throws: VibeSegKitError.self) { try job.run() }
    #expect(again?.code == .cannotCreateOutput)
    try Data(#"{"left box": {"a": 1}}"#.utf8).write(to: map)
    job.output = dir.appendingPathComponent("r3")
    let bad = #expect(throws: VibeSegKitError.self) { try job.run() }
    #expect(bad?.code == .invalidLabelFile && bad?.path == map.path)
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("r3/compare.json").path))
    let notFolder = CompareCohortJob(a: a.appendingPathComponent("s0001.nii"), b: b, output: dir.appendingPathComponent("r4"))
    #expect(throws: VibeSegKitError.self) { try notFolder.run() }
  }
}
