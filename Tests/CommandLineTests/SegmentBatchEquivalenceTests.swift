import Foundation
import Testing
import _TestSupport

/// Issue 17: `batch --task segment` is a thin adapter over `vibeseg segment`'s per-case work
/// (`SegmentJob.compute`): for a matrix of flags both write byte-identical label maps, sidecars
/// and masks.
@Suite("segment and batch --task segment write the same bytes", .serialized)
struct SegmentBatchEquivalenceTests {
  static let image = Fixtures.committed("segment/case_asr/image.nii.gz")
  static let models = [
    "--model", Fixtures.committed("segment/main").path, "--roi-model", Fixtures.committed("segment/roi").path,
  ]

  static let matrix: [[String]] = [
    [],
    ["--pad", "0", "--fill-holes", "--roi-subset", "liver", "spleen"],
    ["--crop", "--keep-size", "--step-size", "0.7", "--folds", "0"],
    ["--split-masks", "--roi-subset", "liver", "kidney_left"],
  ]

  @Test("label map, sidecar and masks are byte-identical", arguments: matrix)
  func sameBytes(flags: [String]) throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let inputs = dir.appendingPathComponent("in")
    try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
    let input = inputs.appendingPathComponent("s01.nii.gz")
    try FileManager.default.copyItem(at: Self.image, to: input)
    let single = dir.appendingPathComponent("single")
    try FileManager.default.createDirectory(at: single, withIntermediateDirectories: true)
    let masks = flags.contains("--split-masks")
    let singleFlags = flags.flatMap { $0 == "--split-masks" ? ["--split-masks", single.appendingPathComponent("masks").path] : [$0] }
    let one = try VibeSegBinary.run(["segment", input.path, "-o", single.appendingPathComponent("s01.nii.gz").path] + Self.models + singleFlags)
    #expect(one.status == 0, "\(one.stderr)")
    let batch = dir.appendingPathComponent("batch")
    let many = try VibeSegBinary.run(["batch", inputs.path, "-o", batch.path, "--task", "segment"] + Self.models + flags)
    #expect(many.status == 0, "\(many.stdout)\(many.stderr)")
    var pairs = [("s01.nii.gz", "s01.nii.gz"), ("s01.json", "s01.json")]
    if masks {
      for name in ["liver", "kidney_left"] { pairs.append(("masks/\(name).nii.gz", "s01.mask-\(name).nii.gz")) }
      let written = try FileManager.default.contentsOfDirectory(atPath: single.appendingPathComponent("masks").path)
      #expect(written.sorted() == ["kidney_left.nii.gz", "liver.nii.gz"])
    }
    for (a, b) in pairs {
      let left = try Data(contentsOf: single.appendingPathComponent(a))
      let right = try Data(contentsOf: batch.appendingPathComponent(b))
      #expect(left == right, "\(flags): \(a) (segment) and \(b) (batch) differ")
    }
  }

  @Test("options of other tasks, and predict's checkpoint and TTA, are refused for segment with a reason")
  func refused() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    for (flags, message) in [
      (["--tta"], "never mirrors"), (["--checkpoint", "best"], "checkpoint_final for every fold"),
      (["--female"], "--task combine"),
    ] {
      let r = try VibeSegBinary.run(["batch", dir.path, "-o", dir.appendingPathComponent("out").path, "--task", "segment"] + flags)
      #expect(r.status == 64 && r.stderr.contains(message), "\(flags): \(r.stderr)")
    }
  }
}
