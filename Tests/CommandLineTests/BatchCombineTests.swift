import Foundation
import Testing
import _TestSupport

/// `vibeseg batch --task combine` through the built binary, against `vibeseg combine` per case,
/// with the committed tiny TotalVibe cascade (`Tests/Fixtures/segment`, made by
/// `scripts/fixtures/make_segment_fixtures.py`).
@Suite("vibeseg batch --task combine", .serialized)
struct BatchCombineTests {
  static let main = Fixtures.committed("segment/main/nnUNetTrainerNoMirroring__nnUNetPlans__3d_fullres")
  static let roi = Fixtures.committed("segment/roi/nnUNetTrainer__nnUNetPlans__3d_fullres")
  static let asr = Fixtures.committed("segment/case_asr/image.nii.gz")
  static let ilp = Fixtures.committed("segment/case_ilp_scaled/image.nii.gz")

  /// The decompressed bytes of a `.nii.gz` (the system's gzip, which also checks the CRC).
  static func gunzipped(_ url: URL) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["gzip", "-dc", url.path]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "gzip -dc \(url.path)")
    return data
  }

  @Test(
    "batch --task combine writes what vibeseg combine writes per case (map and sidecar); bad contrasts fail only their case (exit 2); a rerun does no work"
  )
  func combineEqualsSingle() throws {
    let dir = try Fixtures.temporaryDirectory("vibeseg-batch-combine")
    defer { try? FileManager.default.removeItem(at: dir) }
    let images = dir.appendingPathComponent("images")
    try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: Self.asr, to: images.appendingPathComponent("asr.nii.gz"))
    try FileManager.default.copyItem(at: Self.ilp, to: images.appendingPathComponent("ilp.nii.gz"))
    let whole = try Data(contentsOf: Self.ilp)
    try whole.prefix(whole.count / 2).write(to: images.appendingPathComponent("truncated.nii.gz"))
    // Columns out of contrast order on purpose: the column names decide, not their position.
    let list = dir.appendingPathComponent("cases.csv")
    try """
    id,opposed_phase,in_phase,water
    two,,images/ilp.nii.gz,images/asr.nii.gz
    outonly,images/asr.nii.gz,,
    torn,,images/truncated.nii.gz,images/asr.nii.gz
    gone,,,images/missing.nii.gz

    """.write(to: list, atomically: true, encoding: .utf8)
    let out = dir.appendingPathComponent("out")
    let arguments = [
      "batch", list.path, "-o", out.path, "--task", "combine", "--model", Self.main.path, "--roi-model", Self.roi.path,
    ]
    let first = try VibeSegBinary.run(arguments)
    #expect(first.status == 2, "two cases have bad contrasts\n\(first.stderr)")
    #expect(first.stdout.hasPrefix("processed 4,"), "\(first.stdout)")
    #expect(first.stderr.contains("case torn failed") && first.stderr.contains("truncated.nii.gz"), "\(first.stderr)")
    #expect(first.stderr.contains("case gone failed") && first.stderr.contains("missing.nii.gz"), "\(first.stderr)")
    let written = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { !$0.hasPrefix(".") }.sorted()
    #expect(written == ["outonly.json", "outonly.nii.gz", "two.json", "two.nii.gz"])

    // Each good case as `vibeseg combine` would run it.
    let single = dir.appendingPathComponent("single")
    let cases: [(id: String, flags: [String])] = [
      (
        "two",
        [
          "--water", images.appendingPathComponent("asr.nii.gz").path, "--in-phase",
          images.appendingPathComponent("ilp.nii.gz").path,
        ]
      ),
      ("outonly", ["--opposed-phase", images.appendingPathComponent("asr.nii.gz").path]),
    ]
    for (id, flags) in cases {
      let target = single.appendingPathComponent("\(id).nii.gz")
      try FileManager.default.createDirectory(at: single, withIntermediateDirectories: true)
      let r = try VibeSegBinary.run(
        ["combine"] + flags + ["-o", target.path, "--model", Self.main.path, "--roi-model", Self.roi.path])
      #expect(r.status == 0, "\(r.stderr)")
      let batchMap = try Self.gunzipped(out.appendingPathComponent("\(id).nii.gz"))
      let singleMap = try Self.gunzipped(target)
      #expect(!batchMap.isEmpty && batchMap == singleMap, "\(id).nii.gz differs from vibeseg combine's")
      // Byte-identical but for the provenance's creation time (SegmentBatchEquivalenceTests' rule).
      let batchSidecar = SegmentBatchEquivalenceTests.withoutCreationTime(try Data(contentsOf: out.appendingPathComponent("\(id).json")))
      let singleSidecar = SegmentBatchEquivalenceTests.withoutCreationTime(try Data(contentsOf: single.appendingPathComponent("\(id).json")))
      #expect(batchSidecar == singleSidecar, "\(id).json differs")
    }
    // The contrasts went where their columns say: the sidecars name them.
    let two =
      try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("two.json"))) as? [String: Any]
    #expect((two?["inputs"] as? [String: String]) == ["water": "asr.nii.gz", "inphase": "ilp.nii.gz"])
    let outOnly =
      try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("outonly.json")))
      as? [String: Any]
    #expect((outOnly?["inputs"] as? [String: String]) == ["outphase": "asr.nii.gz"])

    // A rerun computes nothing, reads no output and rewrites nothing. Only the case whose file is
    // missing is tried again (the file may have appeared; it fails in reading, before any work).
    func modificationTimes() throws -> [String: Date] {
      var result = [String: Date]()
      for name in written {
        result[name] =
          try FileManager.default.attributesOfItem(atPath: out.appendingPathComponent(name).path)[.modificationDate]
          as? Date
      }
      return result
    }
    let before = try modificationTimes()
    let again = try VibeSegBinary.run(arguments)
    #expect(again.status == 2 && again.stdout.hasPrefix("processed 1,"), "\(again.stdout)\(again.stderr)")
    #expect(again.stderr.contains("1 to run, 2 already done, 1 failed before"), "\(again.stderr)")
    #expect(again.stderr.contains("0 recorded outputs re-hashed"), "\(again.stderr)")
    #expect(again.stderr.contains("case gone failed") && again.stderr.contains("case torn failed"), "\(again.stderr)")
    #expect(try modificationTimes() == before)
    // --verify-outputs reads every recorded output (2 cases x map and sidecar) and finds them intact.
    let verified = try VibeSegBinary.run(arguments + ["--verify-outputs"])
    #expect(verified.status == 2 && verified.stdout.hasPrefix("processed 1,"), "\(verified.stdout)")
    #expect(verified.stderr.contains("4 recorded outputs re-hashed"), "\(verified.stderr)")
    #expect(try modificationTimes() == before)
  }

  @Test("--female (combine only) and --fill-holes (combine, segment) on another task are usage errors (64)")
  func usage() throws {
    let dir = try Fixtures.temporaryDirectory("vibeseg-batch-combine-usage")
    defer { try? FileManager.default.removeItem(at: dir) }
    for (task, flag, message) in [
      ("segment", "--female", "applies to --task combine"), ("spine", "--fill-holes", "applies to --task combine and --task segment"),
      ("predict", "--fill-holes", "applies to --task combine and --task segment"),
    ] {
      let r = try VibeSegBinary.run([
        "batch", dir.path, "-o", dir.appendingPathComponent("o").path, "--task", task, flag,
      ])
      #expect(r.status == 64 && r.stderr.contains(message), "\(task) \(flag): \(r.stderr)")
    }
  }
}
