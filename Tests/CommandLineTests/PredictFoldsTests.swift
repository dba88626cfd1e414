import Foundation
import NiftiIO
import Testing
import _TestSupport

/// `vibeseg predict` with the default folds on a folder where one fold has only
/// checkpoint_best.pth: nnU-Net 2.8.1 uses only the folds with the requested checkpoint
/// (scripts/fixtures/make_default_folds_golden.py ran nnU-Net itself). Issue 16.
@Suite("predict: nnU-Net's default folds")
struct PredictFoldsTests {
  @Test("default folds leave out a fold without checkpoint_final.pth, as nnU-Net does")
  func defaultFolds() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let inputs = Fixtures.committed("predictions/resenc_2ch_nomirror")
    let out = dir.appendingPathComponent("seg.nii.gz")
    let r = try VibeSegBinary.run([
      "predict", "-m", CommittedModels.folder("resenc_2ch_fp16").path,
      "-i", inputs.appendingPathComponent("case_0000.nii.gz").path, "-i", inputs.appendingPathComponent("case_0001.nii.gz").path,
      "-o", out.path,
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("fold_1") && r.stderr.contains("left out"), "\(r.stderr)")
    let got = try NiftiImage(contentsOf: out).volume.converted(to: Int32.self).voxels
    let expected = try NiftiImage(contentsOf: Fixtures.committed("predictions_default_folds/nnunet.nii.gz")).volume
      .converted(to: Int32.self).voxels
    #expect(got.count == expected.count)
    let differing = zip(got, expected).filter { $0 != $1 }.count
    // The other predict parity cases differ in 0-2 voxels (float16 rounding of ~1e-6 logit differences).
    #expect(differing <= 2, "\(differing) of \(got.count) voxels differ from nnU-Net")
  }
}

/// Issue 17: every command that takes a model folder accepts the same forms.
@Suite("model folder forms")
struct ModelFolderFormTests {
  @Test("predict and model-info accept a dataset folder holding one trainer folder, as segment does")
  func datasetFolder() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let parent = Fixtures.committed("models/plain_1ch")
    let out = dir.appendingPathComponent("seg.nii.gz")
    let image = Fixtures.committed("predictions/plain_fold0_nomirror/case_0000.nii.gz")
    let predict = try VibeSegBinary.run(["predict", "-m", parent.path, "-i", image.path, "-o", out.path, "--folds", "0", "--no-tta"])
    #expect(predict.status == 0, "\(predict.stderr)")
    let expected = try NiftiImage(contentsOf: Fixtures.committed("predictions/plain_fold0_nomirror/nnunet.nii.gz")).volume.converted(to: Int32.self).voxels
    let got = try NiftiImage(contentsOf: out).volume.converted(to: Int32.self).voxels
    #expect(zip(got, expected).filter { $0 != $1 }.count <= 2)
    for folder in [parent, Fixtures.committed("segment/main")] {
      let info = try VibeSegBinary.run(["model-info", folder.path])
      #expect(info.status == 0 && info.stdout.contains("3d_fullres"), "\(folder.path): \(info.stderr)")
    }
    let none = try VibeSegBinary.run(["model-info", dir.path])
    #expect(none.status == 69 && none.stderr.contains("not a model folder"), "\(none.stderr)")
  }
}
