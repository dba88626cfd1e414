import Foundation
import NiftiIO
import Testing
import VibeSegKit
import VolumeCore
import _TestSupport

/// `Tests/Fixtures/stats/example_seg_mr.json` (scripts/fixtures/make_stats_goldens.py, NumPy).
struct StatsGolden: Decodable {
  struct Summary: Decodable {
    var count: Int
    var mean, sd, median, p5, p95: Double
  }
  struct Label: Decodable {
    var id: Int
    var name: String
    var voxels: Int
    var volume_ml: Double
    var centroid_mm: [Double]
    var bbox_lower: [Int]
    var bbox_upper: [Int]
    var touches_border: Bool
    var mr: Summary?
    var ff: Summary?
    var ff_excluded: Int
  }
  struct Level: Decodable {
    var name: String
    var inferior_mm, superior_mm, subcutaneousFat, innerFat, skeletalMuscle: Double
  }
  struct Body: Decodable {
    var labels: [String: [Int]]
    var total: [String: Double]
    var levels: [Level]
  }
  var fatFractionGuard: Double
  var labels: [Label]
  var bodyComposition: Body
}

@Suite("vibeseg stats library")
struct StatisticsGoldenTests {
  @Test("real MR segmentation: volumes, centroids, intensities, fat fraction, body composition vs NumPy",
    .enabled(if: Fixtures.realDataAvailable, Fixtures.realDataSkipMessage))
  func realData() throws {
    let golden = try JSONDecoder().decode(StatsGolden.self, from: Data(contentsOf: Fixtures.committed("stats/example_seg_mr.json")))
    let request = StatisticsRequest(segmentation: Fixtures.real("example_seg_mr.nii.gz"),
      images: [("mr", Fixtures.real("example_mr_sm.nii.gz"))], water: Fixtures.real("example_mr_sm.nii.gz"),
      fat: Fixtures.committed("stats/fat_synthetic.nii.gz"), spine: Fixtures.committed("stats/spine_synthetic.nii.gz"),
      labelNames: Fixtures.real("example_seg_mr.labels.json"), fatFractionMinimumSignal: golden.fatFractionGuard)
    let report = try SegmentationStatistics.run(request)
    #expect(report.labels.map(\.id) == golden.labels.map(\.id))
    var worst = 0.0
    func close(_ a: Double?, _ b: Double, _ what: String, rtol: Double = 1e-12) {
      guard let a else { Issue.record("\(what): missing"); return }
      let d = abs(a - b) / max(abs(b), 1)
      worst = max(worst, d)
      #expect(d <= rtol, "\(what): \(a) vs \(b)")
    }
    for (l, g) in zip(report.labels, golden.labels) {
      #expect(l.name == g.name && l.voxelCount == g.voxels && l.touchesBorder == g.touches_border)
      #expect(l.boundingBox?.lower == g.bbox_lower && l.boundingBox?.upper == g.bbox_upper)
      // Volumes: count · |det| / 1000, the same product: 1e-12 relative covers det's rounding order.
      close(l.volumeMilliliters, g.volume_ml, "\(g.name) volume")
      for a in 0..<3 { close(l.centroidMillimeters?[a], g.centroid_mm[a], "\(g.name) centroid \(a)") }
      // Means and SDs: NumPy sums pairwise, we sum in order: ~1e-15 relative for these sizes.
      let mr = try #require(l.intensities["mr"]), gm = try #require(g.mr)
      #expect(mr.count == gm.count)
      close(mr.mean, gm.mean, "\(g.name) mean")
      close(mr.standardDeviation, gm.sd, "\(g.name) sd")
      // Order statistics and NumPy's lerp: exact.
      #expect(mr.median == gm.median && mr.percentile5 == gm.p5 && mr.percentile95 == gm.p95, "\(g.name) percentiles")
      let ff = try #require(l.fatFraction), gf = try #require(g.ff)
      #expect(ff.fatFraction.count == gf.count && ff.excludedVoxels == g.ff_excluded)
      close(ff.fatFraction.mean, gf.mean, "\(g.name) ff mean")
      close(ff.fatFraction.standardDeviation, gf.sd, "\(g.name) ff sd")
      #expect(ff.fatFraction.median == gf.median && ff.fatFraction.percentile5 == gf.p5 && ff.fatFraction.percentile95 == gf.p95)
    }
    let body = try #require(report.bodyComposition)
    #expect(body.labels == golden.bodyComposition.labels.filter { !$0.value.isEmpty })
    close(body.total.skeletalMuscleMilliliters, golden.bodyComposition.total["skeletalMuscle"]!, "muscle total")
    #expect(body.levels.map(\.name) == golden.bodyComposition.levels.map(\.name))
    #expect(body.levelSource == "spine map")
    for (l, g) in zip(body.levels, golden.bodyComposition.levels) {
      close(l.inferiorMillimeters, g.inferior_mm, "\(g.name) inferior")
      close(l.superiorMillimeters, g.superior_mm, "\(g.name) superior")
      close(l.volumes.skeletalMuscleMilliliters, g.skeletalMuscle, "\(g.name) muscle")
    }
    print("stats golden: worst relative difference \(worst)")
  }

  @Test("box on an oblique anisotropic grid: analytic count, volume, centroid, border flag")
  func syntheticBox() throws {
    let affine = Affine(rows: [[0, 0, 3, -20], [-0.8, 0, 0, 14], [0, 1.25, 0, 7], [0, 0, 0, 1]])
    let labels = Synthetic.box(shape: [10, 8, 6], lower: [2, 0, 1], upper: [6, 3, 4], label: 5, affine: affine).converted(to: UInt16.self)
    let image = Synthetic.ramp(Double.self, shape: [10, 8, 6], affine: affine) { i, j, k, _ in Double(i) }
    let report = try SegmentationStatistics.compute(labels: labels, images: [("ramp", image)])
    let l = try #require(report.labels.first)
    #expect(report.labels.count == 1 && l.id == 5 && l.name == "liver")
    #expect(l.voxelCount == 36 && abs(l.volumeMilliliters - 36 * 3.0 / 1000) < 1e-15)
    #expect(l.centroidMillimeters == affine.apply([3.5, 1, 2]))
    #expect(l.boundingBox?.lower == [2, 0, 1] && l.touchesBorder)
    let s = try #require(l.intensities["ramp"])
    #expect(s.mean == 3.5 && s.median == 3.5 && s.percentile5 == 2.0 && s.percentile95 == 5.0)
    #expect(report.bodyComposition == nil)
  }

  @Test("requested labels that are absent get zero rows; names resolve case-insensitively")
  func selection() throws {
    let labels = Synthetic.box(shape: [4, 4, 4], lower: [1, 1, 1], upper: [3, 3, 3], label: 5).converted(to: UInt16.self)
    let ids = try StatisticsLabelRegistry.totalVibe.resolve(["LIVER", "5", "subcutaneous_fat"])
    #expect(ids == [5, 65])  // each once, in the order given (LabelSelection)
    let report = try SegmentationStatistics.compute(labels: labels, options: StatisticsOptions(labels: [5, 65]))
    #expect(report.labels.map(\.voxelCount) == [8, 0])
    #expect(report.labels[1].centroidMillimeters == nil && !report.labels[1].touchesBorder)
    #expect(throws: VibeSegKitError.self) { try StatisticsLabelRegistry.totalVibe.resolve(["nonsense"]) }
  }

  @Test("body composition per vertebral level from vertebrae_* labels")
  func levels() throws {
    // k = slices 0...9 at 2 mm; muscle (66) fills i = 0, subcutaneous fat (65) i = 1,
    // inner fat (67) i = 2; vertebrae_L3 (label 100) at k 2...4, vertebrae_L2 (101) at k 5...6.
    var v = Volume<UInt16>(grid: ImageGrid(shape: [4, 2, 10], affine: .scaling([1, 1, 2])), repeating: 0)
    for k in 0..<10 { for j in 0..<2 { v[0, j, k] = 66; v[1, j, k] = 65; v[2, j, k] = 67 } }
    for k in 2...4 { v[3, 0, k] = 100 }
    for k in 5...6 { v[3, 0, k] = 101 }
    var names = StatisticsLabelRegistry.totalVibe.names
    names[100] = "vertebrae_L3"
    names[101] = "vertebrae_L2"
    let report = try SegmentationStatistics.compute(labels: v, options: StatisticsOptions(registry: StatisticsLabelRegistry(names: names)))
    let body = try #require(report.bodyComposition)
    #expect(body.levelSource == "segmentation labels")
    #expect(body.levels.map(\.name) == ["L2", "L3"])
    let l3 = body.levels[1]
    #expect(l3.inferiorMillimeters == 4 && l3.superiorMillimeters == 8)
    #expect(l3.volumes.skeletalMuscleMilliliters == 6 * 2.0 / 1000 && l3.volumes.innerFatMilliliters == 6 * 2.0 / 1000)
    #expect(body.total.subcutaneousFatMilliliters == 20 * 2.0 / 1000)
  }

  @Test("an image on another grid is rejected")
  func gridMismatch() {
    let labels = Volume<UInt16>(grid: ImageGrid(shape: [4, 4, 4], affine: .identity), repeating: 1)
    let image = Volume<Double>(grid: ImageGrid(shape: [4, 4, 5], affine: .identity), repeating: 1)
    #expect { try SegmentationStatistics.compute(labels: labels, images: [("t1", image)]) } throws: { error in
      (error as? VibeSegKitError)?.code == .gridMismatch && "\(error)".contains("t1")
    }
  }

  @Test("CSV and JSON outputs are written atomically with schemaVersion")
  func outputs() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let labels = Synthetic.box(shape: [4, 4, 4], lower: [1, 1, 1], upper: [3, 3, 3], label: 66).converted(to: UInt16.self)
    let report = try SegmentationStatistics.compute(labels: labels, images: [("a", labels.converted(to: Double.self))])
    try report.write(to: dir.appendingPathComponent("s.csv"))
    try report.write(to: dir.appendingPathComponent("s.json"))
    let csv = try String(contentsOf: dir.appendingPathComponent("s.csv"), encoding: .utf8)
    #expect(csv.hasPrefix("id,name,voxels,volume_ml,") && csv.contains("a_mean") && csv.contains("66,muscle,8,"))
    #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("s.bodycomposition.csv").path))
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("s.json"))) as? [String: Any]
    #expect(json?["schemaVersion"] as? Int == 1)
    #expect(throws: VibeSegKitError.self) { try report.write(to: URL(fileURLWithPath: "/nonexistent/dir/s.csv")) }
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
    #expect(leftovers.isEmpty)
  }
}
