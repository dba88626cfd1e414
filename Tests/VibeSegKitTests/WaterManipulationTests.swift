import Foundation
import NiftiIO
import Testing
import VibeSegKit
import VolumeCore
import _TestSupport

/// Algorithm A (training.md §3.2) on a synthetic torso whose answer is known: 1 mL voxels
/// (10 mm spacing, RAS), outside air, two lungs, a third interior air pocket and a small bubble.
@Suite("Initial masks: water manipulation")
struct WaterManipulationTests {
  static let grid = ImageGrid(shape: [30, 24, 10], affine: .scaling([10, 10, 10]))

  static func box<V: VoxelScalar>(_ volume: inout Volume<V>, _ value: V, _ lower: [Int], _ upper: [Int]) {
    for k in lower[2]..<upper[2] { for j in lower[1]..<upper[1] { for i in lower[0]..<upper[0] { volume[i, j, k] = value } } }
  }

  /// (water, in-phase, body composition): body 3..<27 x 3..<21 (all k), lungs 7x6x8 = 336 and
  /// 6x6x8 = 288 voxels, an air pocket 5x5x8 = 200, a bubble 3x3x3 = 27; muscle 4x4x10 at i 20.
  static func torso() -> (Volume<Float>, Volume<Float>, Volume<UInt16>) {
    var water = Volume<Float>(grid: grid, repeating: 5)
    var inPhase = Volume<Float>(grid: grid, repeating: 0)
    var body = Volume<UInt16>(grid: grid, repeating: 0)
    box(&water, 300, [3, 3, 0], [27, 21, 10])
    box(&inPhase, 500, [3, 3, 0], [27, 21, 10])
    for (lower, upper) in [([5, 5, 1], [12, 11, 9]), ([13, 5, 1], [19, 11, 9]), ([5, 13, 1], [10, 18, 9]), ([14, 14, 3], [17, 17, 6])] {
      box(&inPhase, 10, lower, upper)
      box(&water, 20, lower, upper)
    }
    box(&body, 66, [20, 13, 0], [24, 17, 10])
    box(&body, 65, [3, 3, 0], [4, 21, 10])
    return (water, inPhase, body)
  }

  @Test("percentile equals NumPy's linear interpolation")
  func percentile() {
    #expect(WaterManipulation.percentile([4, 1, 3, 2], 50) == 2.5)
    #expect(abs(WaterManipulation.percentile((0...10).map(Float.init), 99.5) - 9.95) < 1e-12)
    #expect(WaterManipulation.percentile([7], 99.5) == 7)
  }

  @Test("outside air and the two largest interior components of at least 200 mL lose 600; muscle x 0.8")
  func torsoAnswer() throws {
    let (water, inPhase, body) = Self.torso()
    let result = try WaterManipulation().run(water: water, inPhase: inPhase, bodyComposition: body)
    #expect(result.report.percentile995 == 500 && result.report.threshold == 50)
    #expect(result.report.lungComponentMilliliters.map { ($0 * 1e6).rounded() / 1e6 } == [336, 288])
    #expect(abs(result.report.largestOtherInteriorMilliliters - 200) < 1e-9)
    #expect(result.report.backgroundFaceAxes == [0, 1])
    let out = result.water
    #expect(out[0, 0, 0] == 5 - 600)  // outside air
    #expect(out[6, 6, 2] == 20 - 600 && out[14, 6, 2] == 20 - 600)  // lungs
    #expect(out[6, 14, 2] == 20 && out[15, 15, 4] == 20)  // air pocket and bubble: not lung
    #expect(out[21, 14, 5] == 300 * 0.8 && out[3, 10, 5] == 300)  // muscle; fat untouched
    #expect(result.report.muscleVoxels == 160)
    let outside = 30 * 24 * 10 - 24 * 18 * 10
    #expect(result.background.voxels.reduce(0) { $0 + Int($1) } == outside && result.report.backgroundVoxels == outside)
    #expect(result.lung.voxels.reduce(0) { $0 + Int($1) } == 336 + 288)
  }

  @Test("--lung-count 3 takes the pocket; an absolute threshold below the air finds nothing")
  func options() throws {
    let (water, inPhase, _) = Self.torso()
    var three = WaterManipulation.Options()
    three.lungCount = 3
    #expect(try WaterManipulation(three).run(water: water, inPhase: inPhase, bodyComposition: nil).lung.voxels.filter { $0 == 1 }.count == 824)
    var low = WaterManipulation.Options()
    low.threshold = 0
    let none = try WaterManipulation(low).run(water: water, inPhase: inPhase, bodyComposition: nil)
    #expect(none.water.voxels == water.voxels && none.report.backgroundVoxels == 0)
  }

  @Test("S-I faces: with --si-faces a pocket open to the top slice is outside air")
  func superiorInferior() throws {
    var (water, inPhase, _) = Self.torso()
    Self.box(&inPhase, 10, [5, 13, 0], [10, 18, 9])  // the pocket now reaches k = 0
    Self.box(&water, 20, [5, 13, 0], [10, 18, 9])
    var si = WaterManipulation.Options()
    si.superiorInferiorFaces = true
    let open = try WaterManipulation(si).run(water: water, inPhase: inPhase, bodyComposition: nil)
    #expect(open.background[6, 14, 4] == 1 && open.report.backgroundFaceAxes == [0, 1, 2])
    let closed = try WaterManipulation().run(water: water, inPhase: inPhase, bodyComposition: nil)
    #expect(closed.background[6, 14, 4] == 0)
  }

  @Test("the job writes float32 W'' and the masks; another grid is refused before anything is written")
  func job() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let (water, inPhase, body) = Self.torso()
    let urls = ["w", "i", "b"].map { dir.appendingPathComponent("\($0).nii.gz") }
    try NiftiImage(water).write(to: urls[0])
    try NiftiImage(inPhase).write(to: urls[1])
    try NiftiImage(body).write(to: urls[2])
    var job = WaterManipulationJob(water: urls[0], inPhase: urls[1], output: dir.appendingPathComponent("out.nii.gz"))
    job.bodyComposition = urls[2]
    job.lungMask = dir.appendingPathComponent("lung.nii.gz")
    job.reportURL = dir.appendingPathComponent("r.json")
    let outcome = try job.run()
    #expect(outcome.report.result.muscleVoxels == 160)
    let written = try NiftiImage(contentsOf: job.output)
    #expect(written.volume.scalarType == .float32 && written.volume.converted(to: Float.self).voxels[0] == -595)
    #expect(try NiftiImage(contentsOf: job.lungMask!).volume.converted(to: Int64.self).voxels.reduce(0, +) == 624)

    let moved = dir.appendingPathComponent("moved.nii.gz")
    try NiftiImage(Volume(grid: ImageGrid(shape: [30, 24, 10], affine: .scaling([10, 10, 11])), voxels: inPhase.voxels)).write(to: moved)
    var bad = WaterManipulationJob(water: urls[0], inPhase: moved, output: dir.appendingPathComponent("bad.nii.gz"))
    bad.lungMask = dir.appendingPathComponent("bad_lung.nii.gz")
    let error = #expect(throws: VibeSegKitError.self) { try bad.run() }
    #expect(error?.code == .gridMismatch && error?.path == moved.path)
    #expect(!FileManager.default.fileExists(atPath: bad.output.path) && !FileManager.default.fileExists(atPath: bad.lungMask!.path))
  }

  @Test("real MR (LPS): W'', background and lung masks equal the NumPy/cc3d reference exactly",
    .enabled(if: Fixtures.realDataAvailable, Fixtures.realDataSkipMessage))
  func realParity() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let mr = Fixtures.real("example_mr_sm.nii.gz")
    var job = WaterManipulationJob(water: mr, inPhase: mr, output: dir.appendingPathComponent("w.nii.gz"))
    job.bodyComposition = Fixtures.real("example_seg_mr.nii.gz")
    job.options.muscleLabel = 46  // autochthon_left of TotalSegmentator total_mr, standing in for muscle
    job.backgroundMask = dir.appendingPathComponent("bg.nii.gz")
    job.lungMask = dir.appendingPathComponent("lung.nii.gz")
    let outcome = try job.run()
    let folder = "initial_masks/manipulate_real/"
    let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.committed(folder + "expected.json"))) as! [String: Any]
    let report = outcome.report.result
    #expect(report.percentile995 == expected["percentile995"] as! Double)
    #expect(report.threshold == expected["threshold"] as! Double)
    #expect(report.backgroundVoxels == expected["background_voxels"] as! Int)
    #expect(report.muscleVoxels == expected["muscle_voxels"] as! Int)
    let lungs = expected["lung_ml"] as! [Double]
    #expect(report.lungComponentMilliliters.count == lungs.count)
    for (a, b) in zip(report.lungComponentMilliliters, lungs) { #expect(abs(a - b) <= 1e-9 * b) }
    for (ours, theirs) in [(job.output, "expected_water"), (job.backgroundMask!, "expected_background"), (job.lungMask!, "expected_lung")] {
      let a = try NiftiImage(contentsOf: ours).volume.converted(to: Double.self).voxels
      let b = try NiftiImage(contentsOf: Fixtures.committed(folder + theirs + ".nii.gz")).volume.converted(to: Double.self).voxels
      #expect(a.count == b.count)
      #expect(zip(a, b).filter { $0 != $1 }.count == 0, "\(theirs): voxels differ")
    }
  }
}
