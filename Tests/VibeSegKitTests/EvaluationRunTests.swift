import Evaluation
import Foundation
import NiftiIO
import Testing
import VibeSegKit
import VolumeCore
import _TestSupport

/// Writes a label map with a box of `label` shifted by `shift` voxels along i.
func writeBoxes(_ url: URL, shift: Int = 0, shape: [Int] = [12, 10, 8], affine: Affine = .scaling([0.9, 1.3, 2.5])) throws {
  var v = Volume<UInt8>(grid: ImageGrid(shape: shape, affine: affine), repeating: 0)
  for k in 2..<6 { for j in 2..<7 { for i in (2 + shift)..<(7 + shift) { v[i, j, k] = 1 } } }
  for k in 1..<3 { for j in 7..<9 { for i in (8 + shift)..<(10 + shift) where i < shape[0] { v[i, j, k] = 2 } } }
  try NiftiImage(v).write(to: url)
}

@Suite("vibeseg evaluate library")
struct EvaluationRunTests {
  @Test("folder mode: cases matched by name, a missing prediction fails only its case")
  func folders() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let ref = dir.appendingPathComponent("ref"), pred = dir.appendingPathComponent("pred"), other = dir.appendingPathComponent("other")
    for d in [ref, pred, other] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
    for (n, s) in [("a", 0), ("b", 1), ("c", 0)] {
      try writeBoxes(ref.appendingPathComponent("\(n).nii.gz"))
      try writeBoxes(other.appendingPathComponent("\(n).nii.gz"), shift: s + 1)
      if n != "c" { try writeBoxes(pred.appendingPathComponent("\(n).nii.gz"), shift: s) }
    }
    try writeBoxes(pred.appendingPathComponent("extra.nii.gz"))
    let report = try EvaluationRun.run(EvaluationRequest(prediction: pred, reference: ref, compare: other, bootstrapIterations: 200, seed: 3))
    #expect(report.cases.map(\.name) == ["a", "b", "c"])
    #expect(report.failedCases.map(\.name) == ["c"])
    #expect(report.failedCases[0].error?.contains("c.nii.gz") == true)
    #expect(report.unmatchedPredictions.count == 1)
    #expect(report.cases[0].metrics.first { $0.label == 1 }?.dice == 1)
    #expect(!report.comparisons.isEmpty)
    let again = try EvaluationRun.run(EvaluationRequest(prediction: pred, reference: ref, compare: other, bootstrapIterations: 200, seed: 3))
    #expect(again == report, "reproducible for a seed")
    try report.write(toFolder: dir.appendingPathComponent("out"))
    for f in ["per_case.csv", "summary.csv", "summary.json", "summary.md", "comparison.csv"] {
      #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/\(f)").path), "\(f)")
    }
  }

  @Test("single files on different grids: error, or resampled with --resample-pred")
  func resample() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let ref = dir.appendingPathComponent("ref.nii.gz"), pred = dir.appendingPathComponent("pred.nii.gz")
    try writeBoxes(ref)
    // Same world content on a grid padded by 2 voxels in i (origin moved by −2 voxels).
    try writeBoxes(pred, shift: 2, shape: [14, 10, 8], affine: .scaling([0.9, 1.3, 2.5], origin: [-1.8, 0, 0]))
    #expect { try EvaluationRun.run(EvaluationRequest(prediction: pred, reference: ref)) } throws: { error in
      (error as? EvaluationError)?.code == .gridMismatch
    }
    let report = try EvaluationRun.run(EvaluationRequest(prediction: pred, reference: ref, bootstrapIterations: 0, resamplePrediction: true))
    #expect(report.cases[0].resampled)
    #expect(report.cases[0].metrics.allSatisfy { $0.dice == 1 })
  }
}
