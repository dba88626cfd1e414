import Foundation
import NiftiIO
import Testing
import VolumeCore
import _TestSupport

/// `vibeseg export-nnunet` and `vibeseg check-trained` through the binary: exit codes, the
/// written folder, one error line naming the file.
@Suite("vibeseg export-nnunet")
struct ExportNNUNetCommandTests {
  static func writeCase(_ folder: URL, _ name: String, labelValue: UInt8 = 2) throws {
    let grid = ImageGrid(
      shape: [6, 5, 4], affine: Affine(rows: [[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 3, 0], [0, 0, 0, 1]]))
    for sub in ["images", "labels"] {
      try FileManager.default.createDirectory(at: folder.appendingPathComponent(sub), withIntermediateDirectories: true)
    }
    try NiftiImage(Volume<Float>(grid: grid, voxels: (0..<120).map { Float($0) })).write(
      to: folder.appendingPathComponent("images/\(name).nii.gz"))
    try NiftiImage(Volume<UInt8>(grid: grid, voxels: (0..<120).map { $0 % 9 == 0 ? labelValue : 0 }))
      .write(to: folder.appendingPathComponent("labels/\(name).nii.gz"))
  }

  @Test("exports a folder (exit 0), refuses an existing dataset (73), bad labels (65), a missing folder (66)")
  func exitCodes() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cases = dir.appendingPathComponent("cases")
    let raw = dir.appendingPathComponent("raw")
    try FileManager.default.createDirectory(at: raw, withIntermediateDirectories: true)
    for name in ["s1_a_water", "s1_a_fat", "s2_a_water", "s2_a_water_d1"] { try Self.writeCase(cases, name) }
    let args = ["export-nnunet", cases.path, "--id", "7", "--name", "Cli", "-o", raw.path, "--folds", "2"]
    let ok = try VibeSegBinary.run(args)
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect(ok.stderr.contains("4 cases (2 subjects, 1 deformed copies)"))
    #expect(FileManager.default.fileExists(atPath: raw.appendingPathComponent("Dataset007_Cli/splits_final.json").path))

    let again = try VibeSegBinary.run(args)
    #expect(again.status == 73 && again.stderr.contains("Dataset007_Cli: exists"))

    try Self.writeCase(cases, "s3_a_water", labelValue: 200)
    let bad = try VibeSegBinary.run(args + ["--overwrite"])
    #expect(bad.status == 65, "\(bad.stderr)")
    #expect(bad.stderr.contains("labels/s3_a_water.nii.gz") && bad.stderr.contains("holds 200"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: raw.path) == ["Dataset007_Cli"])

    let missing = try VibeSegBinary.run([
      "export-nnunet", dir.appendingPathComponent("nope").path, "--id", "8", "--name", "X", "-o", raw.path,
    ])
    #expect(missing.status == 66)
    let usage = try VibeSegBinary.run(["export-nnunet", cases.path, "--id", "1000", "--name", "X", "-o", raw.path])
    #expect(usage.status == 64)
  }

  @Test("check-trained prints one line per check and exits 65 when one fails")
  func checkTrained() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = Fixtures.committed("segment_upstream_more/models/transposed/nnUNetTrainer__nnUNetPlans__3d_fullres")
    let export = dir.appendingPathComponent("Dataset001_X")
    try FileManager.default.createDirectory(at: export, withIntermediateDirectories: true)
    let labels = #"{"background": 0, "spleen": 1, "kidney_right": 2, "kidney_left": 3, "gallbladder": 4, "liver": 5}"#
    try Data(#"{"labels": \#(labels), "spacing": [4.0, 2.5, 3.0]}"#.utf8).write(
      to: export.appendingPathComponent("dataset.json"))
    let result = try VibeSegBinary.run(["check-trained", model.path, "--dataset", export.path])
    #expect(result.status == 65)
    #expect(
      result.stdout.contains("ok labels:") && result.stdout.contains("ok spacing:")
        && result.stdout.contains("FAILED trainer:"))
    #expect(result.stderr.contains("trainer, checkpoint check(s) failed"))
  }
}
