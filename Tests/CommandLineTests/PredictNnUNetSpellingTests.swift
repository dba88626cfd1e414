import Foundation
import NiftiIO
import Testing
import _TestSupport

/// Issue 18: `predict` takes nnUNetv2_predict's spelling (-i FOLDER -o FOLDER, -d/-c/-tr/-p in
/// $nnUNet_results, -f, -chk, -step_size, --disable_tta) and gives what nnU-Net gave.
@Suite("predict with nnUNetv2_predict's spelling", .serialized)
struct PredictNnUNetSpellingTests {
  static let image = Fixtures.committed("predictions/plain_fold0_nomirror/case_0000.nii.gz")
  /// nnU-Net 2.8.1's own output for this case, fold 0, no mirroring (`make_prediction_goldens.py`).
  static let nnunet = Fixtures.committed("predictions/plain_fold0_nomirror/nnunet.nii.gz")

  @Test("-d 42 -c 3d_fullres -f 0 -chk checkpoint_final.pth -step_size 0.5 --disable_tta -i FOLDER -o FOLDER")
  func folderMode() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let results = dir.appendingPathComponent("nnUNet_results")
    let dataset = results.appendingPathComponent("Dataset042_Plain")
    try FileManager.default.createDirectory(at: dataset, withIntermediateDirectories: true)
    let model = CommittedModels.folder("plain_1ch")
    try FileManager.default.copyItem(at: model, to: dataset.appendingPathComponent(model.lastPathComponent))
    let inputs = dir.appendingPathComponent("imagesTs")
    try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
    for name in ["case_0000.nii.gz", "b_0000.nii.gz"] { try FileManager.default.copyItem(at: Self.image, to: inputs.appendingPathComponent(name)) }
    var env = ProcessInfo.processInfo.environment
    env["nnUNet_results"] = results.path
    let out = dir.appendingPathComponent("predictions")
    let args = ["predict", "-d", "42", "-c", "3d_fullres", "-f", "0", "-chk", "checkpoint_final.pth", "-step_size", "0.5", "--disable_tta",
                "-i", inputs.path, "-o", out.path]
    let r = try VibeSegBinary.run(args, environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted() == ["b.nii.gz", "case.nii.gz"])
    // The same bytes as one case with our own spelling, and nnU-Net's labels.
    let single = dir.appendingPathComponent("single.nii.gz")
    let one = try VibeSegBinary.run(["predict", "-m", model.path, "-i", Self.image.path, "-o", single.path, "--folds", "0", "--no-tta"])
    #expect(one.status == 0, "\(one.stderr)")
    for name in ["b.nii.gz", "case.nii.gz"] {
      #expect(try Data(contentsOf: out.appendingPathComponent(name)) == Data(contentsOf: single), "\(name)")
    }
    let ours = try SegmentCommandTests.labels(single)
    let theirs = try SegmentCommandTests.labels(Self.nnunet)
    let agreement = Double(zip(ours, theirs).filter { $0 == $1 }.count) / Double(ours.count)
    #expect(agreement >= 0.9999, "agreement with nnU-Net \(agreement)")
    // A second run refuses to replace the outputs unless --overwrite, before any case runs.
    let before = try Data(contentsOf: out.appendingPathComponent("case.nii.gz"))
    let again = try VibeSegBinary.run(args, environment: env)
    #expect(again.status == 73 && again.stderr.contains("--overwrite"), "\(again.stderr)")
    #expect(try Data(contentsOf: out.appendingPathComponent("case.nii.gz")) == before)
    #expect(try VibeSegBinary.run(args + ["--overwrite"], environment: env).status == 0)
  }

  @Test("usage errors: -i FOLDER with a file -o, -m with -d, -d without $nnUNet_results, an unknown dataset")
  func mistakes() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "nnUNet_results")
    let folderToFile = try VibeSegBinary.run(["predict", "-m", "m", "-i", dir.path, "-o", "x.nii.gz"], environment: env)
    #expect(folderToFile.status == 64 && folderToFile.stderr.contains("-o names a folder"), "\(folderToFile.stderr)")
    let both = try VibeSegBinary.run(["predict", "-m", "m", "-d", "42", "-i", "a.nii.gz", "-o", "x.nii.gz"], environment: env)
    #expect(both.status == 64 && both.stderr.contains("-d DATASET"), "\(both.stderr)")
    let unset = try VibeSegBinary.run(["predict", "-d", "42", "-i", Self.image.path, "-o", dir.appendingPathComponent("x.nii.gz").path], environment: env)
    #expect(unset.status == 69 && unset.stderr.contains("nnUNet_results"), "\(unset.stderr)")
    env["nnUNet_results"] = dir.path
    let unknown = try VibeSegBinary.run(["predict", "-d", "43", "-i", Self.image.path, "-o", dir.appendingPathComponent("x.nii.gz").path], environment: env)
    #expect(unknown.status == 69 && unknown.stderr.contains("no dataset '43'"), "\(unknown.stderr)")
    let badChk = try VibeSegBinary.run(["predict", "-m", "m", "-chk", "checkpoint_latest.pth", "-i", "a.nii.gz", "-o", "x.nii.gz"], environment: env)
    #expect(badChk.status == 64, "\(badChk.stderr)")
  }
}
