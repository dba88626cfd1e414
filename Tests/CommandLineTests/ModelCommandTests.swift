import Foundation
import NiftiIO
import Testing
import _TestSupport

/// Model folders and nnU-Net's own view of them (scripts/fixtures/make_model_folders.py).
enum CommittedModels {
  static func folder(_ name: String) -> URL { Fixtures.modelFolder(name) }

  static func expected(_ name: String) -> [String: Any] {
    try! JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.committed("models/\(name)/expected.json"))) as! [String: Any]
  }
}

@Suite("vibeseg model-info and predict")
struct ModelCommandTests {
  @Test("model-info --json equals what nnU-Net reports, parameter count included", arguments: ["plain_1ch", "resenc_2ch_fp16"])
  func modelInfo(name: String) throws {
    let result = try VibeSegBinary.run(["model-info", "--json", CommittedModels.folder(name).path])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let expected = CommittedModels.expected(name)
    #expect(report["schemaVersion"] as? Int == 1)
    #expect(report["parameterCount"] as? Int == expected["parameterCount"] as? Int)
    #expect(report["patchSize"] as? [Int] == expected["patchSize"] as? [Int])
    #expect(report["spacing"] as? [Double] == expected["spacing"] as? [Double])
    #expect(report["transposeForward"] as? [Int] == expected["transposeForward"] as? [Int])
    #expect(report["segmentationHeads"] as? Int == expected["segmentationHeads"] as? Int)
    #expect(report["mirroringAxes"] as? [Int] == expected["mirroringAxes"] as? [Int])
    #expect(report["trainer"] as? String == expected["trainer"] as? String)
    #expect(report["weightType"] as? String == expected["checkpointDtype"] as? String)
    let channels = try #require(report["channels"] as? [[String: Any]])
    #expect(channels.map { $0["normalization"] as? String } == (expected["normalizationSchemes"] as! [String]))
    let architecture = try #require(report["architecture"] as? [String: Any])
    #expect(architecture["networkClass"] as? String == expected["networkClass"] as? String)
    let folds = try #require(report["folds"] as? [[String: Any]])
    // nnU-Net's selection: folds without checkpoint_final.pth are left out, with a warning.
    let warnings = report["warnings"] as? [String] ?? []
    let written = (expected["folds"] as! [Int]).map(String.init)
    #expect(folds.compactMap { $0["fold"] as? String }.allSatisfy(written.contains))
    #expect(folds.count + warnings.filter { $0.contains("left out") }.count == written.count, "\(warnings)")
  }

  @Test("predict writes nnU-Net's label map for an input smaller than the patch")
  func predict() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let case_ = Fixtures.committed("predictions/smaller_than_patch")
    let output = dir.appendingPathComponent("seg.nii.gz")
    let result = try VibeSegBinary.run(["predict", "-m", CommittedModels.folder("plain_big_patch").path,
      "-i", case_.appendingPathComponent("case_0000.nii.gz").path, "-o", output.path])
    #expect(result.status == 0, "\(result.stderr)")
    let ours = try NiftiImage(contentsOf: output)
    let reference = try NiftiImage(contentsOf: case_.appendingPathComponent("nnunet.nii.gz"))
    #expect(ours.volume.scalarType == .uint8)
    #expect(ours.grid.shape == reference.grid.shape)
    #expect(ours.grid.affine.maxAbsDifference(to: reference.grid.affine) < 1e-4)
    let a = ours.volume.converted(to: UInt8.self).voxels, b = reference.volume.converted(to: UInt8.self).voxels
    let agreement = Double(zip(a, b).filter { $0 == $1 }.count) / Double(a.count)
    #expect(agreement >= 0.9999, "agreement \(agreement)")
  }

  @Test("bad inputs: clear errors, exit codes, no output left behind")
  func badInputs() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = CommittedModels.folder("plain_1ch").path
    let twoChannel = CommittedModels.folder("resenc_2ch_fp16").path
    let image = Fixtures.committed("predictions/plain_fold0_nomirror/case_0000.nii.gz").path
    let small = Fixtures.committed("predictions/smaller_than_patch/case_0000.nii.gz").path
    let out = dir.appendingPathComponent("seg.nii.gz").path
    func run(_ args: [String]) throws -> CommandResult { try VibeSegBinary.run(["predict"] + args + ["-o", out]) }

    let missing = try run(["-m", model, "-i", dir.appendingPathComponent("nope.nii.gz").path])
    #expect(missing.status == 66 && missing.stderr.contains("nope.nii.gz"), "\(missing.stderr)")
    let count = try run(["-m", twoChannel, "-i", image])
    #expect(count.status == 65 && count.stderr.contains("2 input channel"), "\(count.stderr)")
    let shapes = try run(["-m", twoChannel, "-i", image, "-i", small])
    #expect(shapes.status == 65 && shapes.stderr.contains("shape"), "\(shapes.stderr)")
    let noModel = try run(["-m", dir.path, "-i", image])
    #expect(noModel.status == 69 && noModel.stderr.contains("plans.json") || noModel.stderr.contains("dataset.json"), "\(noModel.stderr)")

    // A model folder whose plans name an unknown network class.
    let broken = dir.appendingPathComponent("nnUNetTrainer__nnUNetPlans__3d_fullres")
    try FileManager.default.copyItem(at: URL(fileURLWithPath: model), to: broken)
    let plans = broken.appendingPathComponent("plans.json")
    try String(contentsOf: plans, encoding: .utf8).replacingOccurrences(of: "unet.PlainConvUNet", with: "unet.FancyUNet")
      .write(to: plans, atomically: true, encoding: .utf8)
    let unknown = try run(["-m", broken.path, "-i", image])
    #expect(unknown.status == 65 && unknown.stderr.contains("FancyUNet"), "\(unknown.stderr)")
    // No checkpoint in the folds.
    try FileManager.default.removeItem(at: broken.appendingPathComponent("fold_0/checkpoint_final.pth"))
    try FileManager.default.removeItem(at: broken.appendingPathComponent("fold_1/checkpoint_final.pth"))
    try String(contentsOf: plans, encoding: .utf8).replacingOccurrences(of: "unet.FancyUNet", with: "unet.PlainConvUNet")
      .write(to: plans, atomically: true, encoding: .utf8)
    let noCheckpoint = try run(["-m", broken.path, "-i", image])
    #expect(noCheckpoint.status == 69 && noCheckpoint.stderr.contains("checkpoint"), "\(noCheckpoint.stderr)")

    #expect(!FileManager.default.fileExists(atPath: out), "no output after failures")
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
    #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
  }
}
