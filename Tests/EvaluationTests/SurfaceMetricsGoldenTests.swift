import Evaluation
import Testing
import VolumeCore
import _TestSupport

@Suite("Surface metrics vs MONAI goldens")
struct SurfaceMetricsGoldenTests {
  @Test("Dice, IoU, ASSD, HD95 and NSD per label", arguments: SurfaceGoldens.loaded.cases)
  func golden(_ c: SurfaceGoldens.Case) throws {
    let reference = c.volume(c.reference), prediction = c.volume(c.prediction)
    let settings = EvaluationSettings(toleranceMillimeters: SurfaceGoldens.loaded.toleranceMillimeters)
    let metrics = try SegmentationEvaluator.evaluate(prediction: prediction, reference: reference, settings: settings)
    #expect(metrics.map(\.label) == c.labels.map(\.label))
    var worst = 0.0
    for (m, g) in zip(metrics, c.labels) {
      #expect(m.predictionVoxels == g.predictionVoxels && m.referenceVoxels == g.referenceVoxels && m.intersectionVoxels == g.intersectionVoxels)
      if let r = g.reference {
        // Dice and IoU are ratios of the same integers: exact.
        #expect(m.dice == r.dice && m.iou == r.iou, "label \(g.label)")
        // The float64 reference (MONAI's edges, scipy EDT) sums the same squares in the same order;
        // ASSD differs only in summation order: 1e-9 mm is far inside the 1e-6 mm requirement.
        for (a, b) in [(m.assd, r.assd), (m.hd95, r.hd95), (m.nsd, r.nsd)] {
          let d = abs(a! - b!)
          worst = max(worst, d)
          #expect(d <= 1e-9, "label \(g.label): \(a!) vs \(b!)")
        }
      }
      if let monai = g.monai {
        // MONAI computes in float32: agreement to float32 rounding (relative 1e-5).
        for (a, b) in [(m.assd, monai.assd), (m.hd95, monai.hd95), (m.nsd, monai.nsd)] {
          #expect(abs(a! - b!) <= 1e-5 * max(1, abs(b!)), "label \(g.label): \(a!) vs MONAI \(b!)")
        }
      }
      if let analytic = g.analytic {
        for (a, b) in [(m.dice, analytic.dice), (m.iou, analytic.iou), (m.assd, analytic.assd), (m.hd95, analytic.hd95), (m.nsd, analytic.nsd)] {
          #expect(abs(a! - b!) <= 1e-12, "label \(g.label): \(a!) vs analytic \(b!)")
        }
      }
    }
    print("surface golden \(c.name): worst |Δ| vs float64 reference = \(worst) mm")
  }

  @Test("results do not depend on the thread count")
  func threads() throws {
    let c = SurfaceGoldens.loaded.cases.first { $0.name == "blobs_five_labels" }!
    let one = try SegmentationEvaluator.evaluate(prediction: c.volume(c.prediction), reference: c.volume(c.reference), settings: EvaluationSettings(threads: 1))
    let two = try SegmentationEvaluator.evaluate(prediction: c.volume(c.prediction), reference: c.volume(c.reference), settings: EvaluationSettings(threads: 2))
    #expect(one == two)
  }
}

@Suite("Empty-mask policy and input checks")
struct EvaluationPolicyTests {
  let grid = ImageGrid(shape: [6, 5, 4], affine: .scaling([1, 2, 3]))

  @Test("label in one map only: Dice = IoU = NSD = 0, distances undefined; in neither: left out")
  func emptyPolicy() throws {
    var ref = Volume<UInt16>(grid: grid, repeating: 0), pred = Volume<UInt16>(grid: grid, repeating: 0)
    ref[1, 1, 1] = 1
    pred[2, 2, 2] = 2
    ref[3, 3, 3] = 3
    pred[3, 3, 3] = 3
    let m = try SegmentationEvaluator.evaluate(prediction: pred, reference: ref, settings: EvaluationSettings(labels: [1, 2, 3, 4]))
    #expect(m.map(\.presence) == [.referenceOnly, .predictionOnly, .both, .neither])
    #expect(m[0].dice == 0 && m[0].iou == 0 && m[0].nsd == 0 && m[0].assd == nil && m[0].hd95 == nil)
    #expect(m[1].dice == 0 && m[1].assd == nil)
    #expect(m[2].dice == 1 && m[2].assd == 0 && m[2].hd95 == 0 && m[2].nsd == 1)
    #expect(m[3].dice == nil && m[3].iou == nil && m[3].assd == nil && m[3].nsd == nil)
    #expect(m[2].referenceMilliliters == 6.0 / 1000)
  }

  @Test("mismatched grids throw gridMismatch", arguments: [
    ImageGrid(shape: [6, 5, 5], affine: .scaling([1, 2, 3])),
    ImageGrid(shape: [6, 5, 4], affine: .scaling([1, 2, 3], origin: [0, 0, 0.5])),
    ImageGrid(shape: [6, 5, 4], affine: .scaling([1, 2, 2.9])),
  ])
  func mismatch(other: ImageGrid) {
    let ref = Volume<UInt16>(grid: grid, repeating: 1), pred = Volume<UInt16>(grid: other, repeating: 1)
    #expect { try SegmentationEvaluator.evaluate(prediction: pred, reference: ref) } throws: { error in
      (error as? EvaluationError)?.code == .gridMismatch && "\(error)".contains("--resample-pred")
    }
  }

  @Test("non-integer label maps are rejected", arguments: [0.5, -1.0, 70000.0, Double.nan])
  func nonInteger(bad: Double) {
    var v = Volume<Float>(grid: grid, repeating: 2)
    v[1, 2, 3] = Float(bad)
    #expect { try LabelMap.labels(from: AnyVolume(v), source: "x.nii") } throws: { error in
      (error as? EvaluationError)?.code == .nonIntegerLabels && "\(error)".contains("(1, 2, 3)")
    }
  }

  @Test("integral float maps and scaled maps are accepted")
  func integralFloat() throws {
    let v = Volume<Float>(grid: grid, repeating: 7)
    #expect(try LabelMap.labels(from: AnyVolume(v), source: "x").voxels.allSatisfy { $0 == 7 })
    let s = Volume<Int16>(grid: grid, repeating: 3)
    #expect(try LabelMap.labels(from: AnyVolume(s), scaling: (2, 1), source: "x").voxels.allSatisfy { $0 == 7 })
  }

  @Test("shifted slabs: analytic ASSD / HD95 / NSD on anisotropic spacing")
  func slabs() throws {
    // Two one-voxel-thick slabs (every voxel is boundary) 2 slices apart along k (3 mm):
    // every distance is 6 mm.
    let g = ImageGrid(shape: [5, 4, 6], affine: .scaling([0.7, 1.1, 3]))
    var ref = Volume<UInt16>(grid: g, repeating: 0), pred = Volume<UInt16>(grid: g, repeating: 0)
    for j in 0..<4 { for i in 0..<5 { ref[i, j, 1] = 1; pred[i, j, 3] = 1 } }
    let m = try SegmentationEvaluator.evaluate(prediction: pred, reference: ref, settings: EvaluationSettings(toleranceMillimeters: 6))[0]
    #expect(m.dice == 0 && m.assd == 6 && m.hd95 == 6 && m.nsd == 1)
    let strict = try SegmentationEvaluator.evaluate(prediction: pred, reference: ref, settings: EvaluationSettings(toleranceMillimeters: 5.99))[0]
    #expect(strict.nsd == 0)
  }
}
