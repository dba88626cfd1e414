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
    ["--max-folds", "1", "--pad", "3"],
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
      let left = try Self.withoutCreationTime(Data(contentsOf: single.appendingPathComponent(a)))
      let right = try Self.withoutCreationTime(Data(contentsOf: batch.appendingPathComponent(b)))
      #expect(left == right, "\(flags): \(a) (segment) and \(b) (batch) differ")
    }
  }

  /// The file's bytes without a sidecar's `"created" : "..."` line (the one field that differs
  /// between two runs by design); other files unchanged.
  static func withoutCreationTime(_ data: Data) -> Data {
    guard let text = String(data: data, encoding: .utf8), text.hasPrefix("{") else { return data }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("\"created\" : ") }
    return Data(lines.joined(separator: "\n").utf8)
  }

  /// Runs `single` (writing into `dir/single`) and `batch` over a folder holding `input` as
  /// `caseFile`, and compares each (single, batch) file pair byte for byte.
  static func compare(
    _ dir: URL, input: URL, caseFile: String, single: (URL) -> [String], batch: [String], pairs: [(String, String)], label: String
  ) throws {
    let inputs = dir.appendingPathComponent("in")
    try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: input, to: inputs.appendingPathComponent(caseFile))
    let singleDir = dir.appendingPathComponent("single")
    try FileManager.default.createDirectory(at: singleDir, withIntermediateDirectories: true)
    let one = try VibeSegBinary.run(single(singleDir))
    #expect(one.status == 0, "\(label): \(one.stderr)")
    let batchDir = dir.appendingPathComponent("batch")
    let many = try VibeSegBinary.run(["batch", inputs.path, "-o", batchDir.path] + batch)
    #expect(many.status == 0, "\(label): \(many.stdout)\(many.stderr)")
    for (a, b) in pairs {
      let left = try withoutCreationTime(Data(contentsOf: singleDir.appendingPathComponent(a)))
      let right = try withoutCreationTime(Data(contentsOf: batchDir.appendingPathComponent(b)))
      #expect(left == right, "\(label): \(a) (single) and \(b) (batch) differ")
    }
  }

  @Test("predict and batch --task predict: byte-identical label maps", arguments: [
    [String](), ["--folds", "0", "--no-tta"], ["--step-size", "0.7", "--folds", "1", "--checkpoint", "final"], ["--tta", "--folds", "0", "1"],
  ])
  func predict(flags: [String]) throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = CommittedModels.folder("plain_1ch").path
    try Self.compare(
      dir, input: Fixtures.committed("predictions/plain_fold0_nomirror/case_0000.nii.gz"), caseFile: "c1_0000.nii.gz",
      single: { out in ["predict", "-m", model, "-i", dir.appendingPathComponent("in/c1_0000.nii.gz").path, "-o", out.appendingPathComponent("c1.nii.gz").path] + flags },
      batch: ["--task", "predict", "--model", model] + flags, pairs: [("c1.nii.gz", "c1.nii.gz")], label: "predict \(flags)")
  }

  @Test("spine and batch --task spine: byte-identical label map and sidecar")
  func spine() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    // Any one-channel TotalVibe-style model exercises the relabelling path; the ROI fixture is one.
    let model = Fixtures.committed("segment/roi").path
    try Self.compare(
      dir, input: Self.image, caseFile: "s01.nii.gz",
      single: { out in ["spine", dir.appendingPathComponent("in/s01.nii.gz").path, "-o", out.appendingPathComponent("s01.nii.gz").path, "--model", model, "--spine-labels", "511", "--pad", "0"] },
      batch: ["--task", "spine", "--model", model, "--spine-labels", "511", "--pad", "0"],
      pairs: [("s01.nii.gz", "s01.nii.gz"), ("s01.json", "s01.json")], label: "spine")
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
