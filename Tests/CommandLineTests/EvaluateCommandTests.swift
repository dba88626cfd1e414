import Foundation
import NiftiIO
import Testing
import VolumeCore
import _TestSupport

@Suite("vibeseg evaluate")
struct EvaluateCommandTests {
  func boxes(_ url: URL, shift: Int, shape: [Int] = [10, 9, 7]) throws {
    try NiftiImage(Synthetic.box(shape: shape, lower: [1 + shift, 2, 1], upper: [6 + shift, 7, 5], affine: .scaling([0.8, 1.2, 3]))).write(to: url)
  }

  @Test("folder mode with --compare writes every output; a missing case exits 2 and is named")
  func folders() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let names = ["ref", "pred", "other"].map { dir.appendingPathComponent($0) }
    for d in names { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
    for (i, c) in ["s01", "s02", "s03", "s04"].enumerated() {
      try boxes(names[0].appendingPathComponent("\(c).nii.gz"), shift: 0)
      try boxes(names[1].appendingPathComponent("\(c).nii.gz"), shift: i % 2)
      try boxes(names[2].appendingPathComponent("\(c).nii.gz"), shift: 1 + i % 3)
    }
    let out = dir.appendingPathComponent("out")
    let args = ["evaluate", "--pred", names[1].path, "--ref", names[0].path, "--compare", names[2].path, "--bootstrap", "500", "--seed", "7", "-o", out.path]
    let ok = try VibeSegBinary.run(args)
    #expect(ok.status == 0, "\(ok.stderr)")
    for f in ["per_case.csv", "summary.csv", "summary.json", "summary.md", "comparison.csv"] {
      #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(f).path), "\(f)")
    }
    let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("summary.json"))) as? [String: Any])
    #expect(json["schemaVersion"] as? Int == 1)
    let first = try Data(contentsOf: out.appendingPathComponent("summary.json"))
    let refused = try VibeSegBinary.run(args)
    #expect(refused.status == 73 && refused.stderr.contains("--overwrite"), "existing report files are kept: \(refused.stderr)")
    #expect(try VibeSegBinary.run(args + ["--overwrite"]).status == 0)
    #expect(try Data(contentsOf: out.appendingPathComponent("summary.json")) == first, "same seed, same bytes")
    let md = try String(contentsOf: out.appendingPathComponent("summary.md"), encoding: .utf8)
    #expect(md.contains("| Label |") && md.contains("p Dice (Wilcoxon)"))

    try FileManager.default.removeItem(at: names[1].appendingPathComponent("s03.nii.gz"))
    let partial = try VibeSegBinary.run(args + ["--overwrite"])
    #expect(partial.status == 2)
    #expect(partial.stderr.contains("s03"), "\(partial.stderr)")
    let perCase = try String(contentsOf: out.appendingPathComponent("per_case.csv"), encoding: .utf8)
    #expect(perCase.contains("s03") && perCase.contains("file not found"))
  }

  @Test("single files: grid mismatch exits 65 unless --resample-pred; missing file 66; no -o prints the table")
  func files() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let ref = dir.appendingPathComponent("ref.nii.gz"), pred = dir.appendingPathComponent("pred.nii.gz")
    try boxes(ref, shift: 0)
    try boxes(pred, shift: 0, shape: [11, 9, 7])
    let mismatch = try VibeSegBinary.run(["evaluate", "--pred", pred.path, "--ref", ref.path])
    #expect(mismatch.status == 65 && mismatch.stderr.contains("--resample-pred"), "\(mismatch.stderr)")
    let resampled = try VibeSegBinary.run(["evaluate", "--pred", pred.path, "--ref", ref.path, "--resample-pred", "--bootstrap", "0"])
    #expect(resampled.status == 0, "\(resampled.stderr)")
    #expect(resampled.stdout.contains("| 1 spleen | 1.000"), "\(resampled.stdout)")
    // --bootstrap 0: no interval is claimed anywhere.
    #expect(resampled.stdout.contains("no confidence interval: --bootstrap 0") && !resampled.stdout.contains("bootstrap CI"), "\(resampled.stdout)")
    let missing = try VibeSegBinary.run(["evaluate", "--pred", dir.appendingPathComponent("nope.nii.gz").path, "--ref", ref.path])
    #expect(missing.status == 66)
    #expect(try VibeSegBinary.run(["evaluate", "--pred", pred.path, "--ref", ref.path, "--tolerance-mm", "-1"]).status == 64)
  }
}
