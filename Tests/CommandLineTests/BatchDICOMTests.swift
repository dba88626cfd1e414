import Foundation
import NiftiIO
import Testing
import _TestSupport

/// Issue 19: a folder run takes each zip and each DICOM subfolder as one case, and their maps are
/// what the single command writes on the same input.
@Suite("batch over DICOM visits", .serialized)
struct BatchDICOMTests {
  static func fixture(_ path: String) -> URL { Fixtures.committed("dicom/\(path)") }
  static let model = ["--model", SegmentCommandTests.main.path, "--roi-model", SegmentCommandTests.roi.path]

  @Test("zips and DICOM folders are cases beside NIfTI files; --series chooses in every zip; maps equal vibeseg segment's")
  func cases() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let env = SegmentCommandTests.isolated(dir)
    let cohort = dir.appendingPathComponent("cohort")
    try FileManager.default.createDirectory(at: cohort, withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: Self.fixture("ukbb.zip"), to: cohort.appendingPathComponent("1000001_20201_2_0.zip"))
    try FileManager.default.copyItem(at: Self.fixture("ukbb.zip"), to: cohort.appendingPathComponent("1000002_20201_2_0.zip"))
    let r = try VibeSegBinary.run(
      ["batch", cohort.path, "-o", dir.appendingPathComponent("out").path, "--task", "segment", "--series", "8", "--pad", "0"] + Self.model,
      environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    let single = dir.appendingPathComponent("single.nii.gz")
    let s = try VibeSegBinary.run(["segment", Self.fixture("ukbb.zip").path, "--series", "8", "-o", single.path, "--pad", "0"] + Self.model, environment: env)
    #expect(s.status == 0, "\(s.stderr)")
    for id in ["1000001_20201_2_0", "1000002_20201_2_0"] {
      let out = dir.appendingPathComponent("out/\(id).nii.gz")
      #expect(try SegmentCommandTests.labels(out) == SegmentCommandTests.labels(single), "\(id)")
    }

    // A one-series DICOM folder and a NIfTI file side by side, no choice needed.
    let mixed = dir.appendingPathComponent("mixed")
    try FileManager.default.createDirectory(at: mixed, withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: Self.fixture("volume/series"), to: mixed.appendingPathComponent("study-7"))
    try FileManager.default.copyItem(at: Fixtures.committed("segment/case_asr/image.nii.gz"), to: mixed.appendingPathComponent("s01.nii.gz"))
    let m = try VibeSegBinary.run(
      ["batch", mixed.path, "-o", dir.appendingPathComponent("mixed-out").path, "--task", "segment"] + Self.model, environment: env)
    #expect(m.status == 0, "\(m.stderr)")
    for id in ["study-7", "s01"] {
      #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("mixed-out/\(id).nii.gz").path), "\(id)")
    }

    // Without a choice a 24-series zip fails as its own case (exit 2), naming how to choose.
    let none = try VibeSegBinary.run(
      ["batch", cohort.path, "-o", dir.appendingPathComponent("none").path, "--task", "segment", "--pad", "0"] + Self.model, environment: env)
    #expect(none.status == 2 && none.stderr.contains("--contrast"), "\(none.stderr)")
    // combine chooses contrasts itself: --series there is a usage error.
    let refused = try VibeSegBinary.run(["batch", cohort.path, "-o", dir.appendingPathComponent("c").path, "--task", "combine", "--series", "8"])
    #expect(refused.status == 64 && refused.stderr.contains("combine finds water, in and opp itself"), "\(refused.stderr)")
  }
}
