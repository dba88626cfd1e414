import Foundation
import Testing
import _TestSupport

/// Issue 18: `-v` prints progress lines even into a log (stderr is a pipe here), `-q` prints only
/// warnings and errors, the default prints the final "wrote" line and no progress into a pipe.
@Suite("-q / -v", .serialized)
struct VerbosityTests {
  @Test("predict and combine: -v progress, -q silence, default one line; -q with -v is a usage error")
  func levels() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = CommittedModels.folder("plain_1ch").path
    let image = Fixtures.committed("predictions/plain_fold0_nomirror/case_0000.nii.gz").path
    func predict(_ flags: [String], _ name: String) throws -> CommandResult {
      try VibeSegBinary.run(["predict", "-m", model, "-i", image, "-o", dir.appendingPathComponent(name).path, "--folds", "0"] + flags)
    }
    let verbose = try predict(["-v"], "v.nii.gz")
    #expect(verbose.status == 0 && verbose.stderr.contains("] loading") && verbose.stderr.contains("] predicting (1 fold(s)"), "\(verbose.stderr)")
    #expect(verbose.stdout.hasPrefix("wrote "))
    let normal = try predict([], "n.nii.gz")
    #expect(normal.status == 0 && !normal.stderr.contains("] loading") && normal.stdout.hasPrefix("wrote "), "\(normal.stderr)")
    let quiet = try predict(["--quiet"], "q.nii.gz")
    #expect(quiet.status == 0 && quiet.stdout.isEmpty && quiet.stderr.isEmpty, "\(quiet.stdout)\(quiet.stderr)")
    let both = try predict(["-q", "-v"], "b.nii.gz")
    #expect(both.status == 64 && both.stderr.contains("exclude each other"), "\(both.stderr)")

    let combine = try VibeSegBinary.run(
      ["combine", "--water", SegmentCommandTests.image.path, "-o", dir.appendingPathComponent("c.nii.gz").path, "-v",
       "--model", SegmentCommandTests.main.path, "--roi-model", SegmentCommandTests.roi.path, "--pad", "0"],
      environment: SegmentCommandTests.isolated(dir))
    #expect(combine.status == 0 && combine.stderr.contains("] water segmented") && combine.stderr.contains("] model "), "\(combine.stderr)")
  }
}
