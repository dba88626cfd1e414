import Foundation
import NiftiIO
import Testing
import VolumeCore
import _TestSupport

/// `vibeseg segment`, `spine`, `combine` and `labels` through the built binary: outputs, sidecars,
/// model lookup through the zoo's search paths, and bad input (exit codes, nothing written).
@Suite("segment / combine / labels commands", .serialized)
struct SegmentCommandTests {
  static let main = Fixtures.committed("segment/main/nnUNetTrainerNoMirroring__nnUNetPlans__3d_fullres")
  static let roi = Fixtures.committed("segment/roi/nnUNetTrainer__nnUNetPlans__3d_fullres")
  static let image = Fixtures.committed("segment/case_asr/image.nii.gz")

  /// An empty cache and no search paths: nothing can be found or downloaded.
  static func isolated(_ dir: URL) -> [String: String] {
    var env = ProcessInfo.processInfo.environment
    env["VIBESEG_HOME"] = dir.appendingPathComponent("home").path
    env["VIBESEG_RELEASE_URL"] = "http://127.0.0.1:9/releases"
    env["VIBESEG_DOWNLOAD_TIMEOUT"] = "2"
    env.removeValue(forKey: "VIBESEG_WEIGHTS_PATH")
    env.removeValue(forKey: "TOTALVIBE_WEIGHTS_PATH")
    return env
  }

  static func labels(_ url: URL) throws -> [UInt8] {
    try NiftiImage(contentsOf: url).volume.converted(to: UInt8.self).voxels
  }

  @Test("segment with explicit folders writes the upstream labels, a sidecar and masks")
  func segmentFolders() throws {
    let dir = try Fixtures.temporaryDirectory()
    let out = dir.appendingPathComponent("seg.nii.gz")
    let r = try VibeSegBinary.run(
      ["segment", Self.image.path, "-o", out.path, "--model", Self.main.path, "--roi-model", Self.roi.path,
       "--split-masks", dir.appendingPathComponent("masks").path], environment: Self.isolated(dir))
    #expect(r.status == 0, "\(r.stderr)")
    let got = try Self.labels(out)
    // Upstream's own cascade (TPTBox 1.1.0, padd 5 as run_vibeseg), see SegmentParityTests.
    let expected = try Self.labels(Fixtures.committed("segment_upstream/case_asr/seg_padd5_input.nii.gz"))
    let agreement = Double(zip(got, expected).filter { $0 == $1 }.count) / Double(got.count)
    #expect(agreement >= 0.998, "agreement \(agreement)")
    let written = try NiftiImage(contentsOf: out)
    let input = try NiftiImage(contentsOf: Self.image)
    #expect(written.volume.scalarType == .uint8)
    #expect(written.grid.shape == input.grid.shape)
    let sidecar = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("seg.json"))) as? [String: Any]
    #expect(sidecar?["schemaVersion"] as? Int == 1)
    #expect((sidecar?["labels"] as? [String: String])?["5"] == "liver")
    // Provenance: tool, input path and hash, both models' folders, folds and hashes, time.
    let provenance = sidecar?["provenance"] as? [String: Any]
    #expect(provenance?["tool"] as? String == "vibeseg 0.1.0")
    #expect(provenance?["input"] as? String == Self.image.standardizedFileURL.path)
    #expect((provenance?["inputSHA256"] as? String)?.count == 64)
    let model = provenance?["model"] as? [String: Any]
    #expect(model?["folds"] as? [String] == ["0:checkpoint_final.pth", "1:checkpoint_final.pth"])
    #expect(model?["folder"] as? String == Self.main.standardizedFileURL.path && (model?["sha256"] as? String)?.count == 64)
    #expect((provenance?["roiModel"] as? [String: Any])?["folder"] as? String == Self.roi.standardizedFileURL.path)
    #expect((provenance?["created"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) } != nil)
    let liver = try Self.labels(dir.appendingPathComponent("masks/liver.nii.gz"))
    #expect(liver.count == got.count)
    #expect(zip(liver, got).allSatisfy { ($0 == 1) == ($1 == 5) })
    #expect(Set(liver).isSubset(of: [0, 1]))
  }

  @Test("the ROI model is found by id in a TOTALVIBE_WEIGHTS_PATH folder; --roi-subset keeps one structure")
  func roiFromSearchPath() throws {
    let dir = try Fixtures.temporaryDirectory()
    let weights = dir.appendingPathComponent("weights/Dataset978_roi")
    try FileManager.default.createDirectory(at: weights, withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: Self.roi, to: weights.appendingPathComponent(Self.roi.lastPathComponent))
    var env = Self.isolated(dir)
    env["TOTALVIBE_WEIGHTS_PATH"] = dir.appendingPathComponent("weights").path
    let out = dir.appendingPathComponent("liver.nii.gz")
    let r = try VibeSegBinary.run(
      ["segment", Self.image.path, "-o", out.path, "--model", Self.main.path, "--roi-subset", "liver"], environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    let got = try Self.labels(out)
    #expect(Set(got).isSubset(of: [0, 5]))
    #expect(got.contains(5))
  }

  @Test("bad input: exit codes and nothing written", arguments: [
    ("missing image", ["segment", "/nonexistent/x.nii.gz"], 66, "no such file"),
    ("unknown structure", ["segment", "IMAGE", "--roi-subset", "wing"], 64, "wing"),
    ("no model folder", ["segment", "IMAGE", "--model", "/nonexistent-model-dir"], 69, "model"),
    ("cascade without its ROI model, offline", ["segment", "IMAGE", "--model", "MAIN", "--offline"], 69, "label map of ROI model 978"),
  ])
  func badInput(name: String, arguments: [String], code: Int32, message: String) throws {
    let dir = try Fixtures.temporaryDirectory()
    let out = dir.appendingPathComponent("out.nii.gz")
    var args = arguments.map { $0 == "IMAGE" ? Self.image.path : $0 == "MAIN" ? Self.main.path : $0 }
    args += ["-o", out.path]
    if !args.contains("--model") { args += ["--model", Self.main.path, "--roi-model", Self.roi.path] }
    let r = try VibeSegBinary.run(args, environment: Self.isolated(dir))
    #expect(r.status == code, "\(name): \(r.stderr)")
    #expect(r.stderr.contains(message), "\(name): \(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out.path), "\(name): output written")
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0 != "home" }
    #expect(leftovers.isEmpty, "\(name): left \(leftovers)")
  }

  @Test("--max-folds 1 is --folds 0; fold choices apply to the main model, the ROI model runs every fold")
  func foldChoices() throws {
    let dir = try Fixtures.temporaryDirectory()
    func segment(_ name: String, _ extra: [String], roi: URL = Self.roi) throws -> (CommandResult, URL) {
      let out = dir.appendingPathComponent(name)
      let r = try VibeSegBinary.run(
        ["segment", Self.image.path, "-o", out.path, "--model", Self.main.path, "--roi-model", roi.path, "--pad", "0"] + extra,
        environment: Self.isolated(dir))
      return (r, out)
    }
    let (first, firstOut) = try segment("max1.nii.gz", ["--max-folds", "1"])
    let (fold0, fold0Out) = try segment("fold0.nii.gz", ["--folds", "0"])
    #expect(first.status == 0 && fold0.status == 0, "\(first.stderr) \(fold0.stderr)")
    #expect(try Self.labels(firstOut) == Self.labels(fold0Out))
    // The main model has fold_0 and fold_1; a ROI model with a broken fold_1 fails even with
    // --folds 0 / --max-folds 1, because upstream's run script runs the ROI model on every fold.
    let roi = dir.appendingPathComponent("roi/\(Self.roi.lastPathComponent)")
    try FileManager.default.createDirectory(at: roi.deletingLastPathComponent(), withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: Self.roi, to: roi)
    try FileManager.default.createDirectory(at: roi.appendingPathComponent("fold_1"), withIntermediateDirectories: true)
    try Data("not a checkpoint".utf8).write(to: roi.appendingPathComponent("fold_1/checkpoint_final.pth"))
    for extra in [["--folds", "0"], ["--max-folds", "1"]] {
      let (broken, out) = try segment("broken.nii.gz", extra, roi: roi)
      #expect(broken.status != 0 && broken.stderr.contains("fold_1"), "\(extra): \(broken.stderr)")
      #expect(!FileManager.default.fileExists(atPath: out.path))
    }
    let (both, _) = try segment("both.nii.gz", ["--folds", "0", "--max-folds", "1"])
    #expect(both.status == 64 && both.stderr.contains("--max-folds"), "\(both.stderr)")
  }

  @Test("segment --stats and --preview: map, volumes and a QC picture from one command, published together")
  func statsAndPreview() throws {
    let dir = try Fixtures.temporaryDirectory()
    let out = dir.appendingPathComponent("seg.nii.gz")
    let stats = dir.appendingPathComponent("seg.csv")
    let picture = dir.appendingPathComponent("seg.png")
    let args = ["segment", Self.image.path, "-o", out.path, "--model", Self.main.path, "--roi-model", Self.roi.path, "--pad", "0",
                "--stats", stats.path, "--preview", picture.path]
    let r = try VibeSegBinary.run(args, environment: Self.isolated(dir))
    #expect(r.status == 0 && r.stdout.contains("seg.csv") && r.stdout.contains("seg.png"), "\(r.stderr)")
    let csv = try String(contentsOf: stats, encoding: .utf8)
    // One row per present label, named from the model (as `vibeseg stats` on the written map gives).
    let labels = Set(try Self.labels(out).filter { $0 != 0 })
    #expect(csv.split(separator: "\n").count == labels.count + 1, "\(csv)")
    #expect(csv.contains("liver"))
    let standalone = try VibeSegBinary.run(["stats", out.path, "--image", "image=\(Self.image.path)"])
    #expect(standalone.status == 0 && standalone.stdout.contains("liver"), "\(standalone.stderr)")
    #expect(try Data(contentsOf: picture).prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
    // --preview with --keep-size is refused before anything runs.
    let refused = try VibeSegBinary.run(args + ["--keep-size", "--overwrite"], environment: Self.isolated(dir))
    #expect(refused.status == 64 && refused.stderr.contains("--keep-size"), "\(refused.stderr)")
  }

  @Test("a 4-D image is refused with 65 and nothing is written")
  func fourD() throws {
    let dir = try Fixtures.temporaryDirectory()
    let image = try NiftiImage(contentsOf: Self.image)
    let v = image.volume.converted(to: Float.self)
    let twoVolumes = Volume<Float>(grid: v.grid, channelCount: 2, voxels: v.voxels + v.voxels)
    let input = dir.appendingPathComponent("four-d.nii.gz")
    try NiftiImage(twoVolumes).write(to: input)
    let out = dir.appendingPathComponent("out.nii.gz")
    let r = try VibeSegBinary.run(
      ["segment", input.path, "-o", out.path, "--model", Self.main.path, "--roi-model", Self.roi.path],
      environment: Self.isolated(dir))
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.contains("2 volumes"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out.path))
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.json").path))
  }

  @Test("an existing output is kept unless --overwrite")
  func overwrite() throws {
    let dir = try Fixtures.temporaryDirectory()
    let out = dir.appendingPathComponent("seg.nii.gz")
    try Data("keep".utf8).write(to: out)
    let args = ["segment", Self.image.path, "-o", out.path, "--model", Self.main.path, "--roi-model", Self.roi.path]
    let r = try VibeSegBinary.run(args, environment: Self.isolated(dir))
    #expect(r.status == 73 && r.stderr.contains("exists; pass --overwrite"), "\(r.stderr)")
    #expect(try Data(contentsOf: out) == Data("keep".utf8))
    let again = try VibeSegBinary.run(args + ["--overwrite"], environment: Self.isolated(dir))
    #expect(again.status == 0, "\(again.stderr)")
    #expect(try NiftiImage(contentsOf: out).volume.scalarType == .uint8)
  }

  @Test("labels lists the 72-id registry; --json carries a schemaVersion")
  func labelsCommand() throws {
    let r = try VibeSegBinary.run(["labels", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    #expect(object?["schemaVersion"] as? Int == 1)
    let rows = object?["labels"] as? [[String: Any]] ?? []
    #expect(rows.count == 72)
    #expect(rows.first { $0["id"] as? Int == 5 }?["name"] as? String == "liver")
    #expect(rows.first { $0["id"] as? Int == 5 }?["group"] as? String == "organ")
    let table = try VibeSegBinary.run(["labels"])
    #expect(table.stdout.contains("iliopsoas_left"))
  }

  @Test("combine segments each contrast and writes the combined map with validation findings")
  func combineCommand() throws {
    let dir = try Fixtures.temporaryDirectory()
    let out = dir.appendingPathComponent("combined.nii.gz")
    let r = try VibeSegBinary.run(
      ["combine", "--water", Self.image.path, "--in-phase", Fixtures.committed("segment/case_ilp_scaled/image.nii.gz").path,
       "-o", out.path, "--model", Self.main.path, "--roi-model", Self.roi.path,
       "--intermediate", dir.appendingPathComponent("parts").path], environment: Self.isolated(dir))
    #expect(r.status == 0, "\(r.stderr)")
    let combined = try NiftiImage(contentsOf: out)
    #expect(combined.grid.shape == (try NiftiImage(contentsOf: Self.image)).grid.shape)
    let parts = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("parts").path).sorted()
    #expect(parts == ["image_part-inphase_seg.nii.gz", "image_part-water_seg.nii.gz"])
    let sidecar = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("combined.json"))) as? [String: Any]
    let validation = sidecar?["validation"] as? [String: Any]
    #expect(Set(validation?.keys.map { $0 } ?? []) == ["water", "inphase", "combined"])
  }

  @Test("batch --task segment loads the cascade once and writes what segment writes for each case")
  func batchSegment() throws {
    let dir = try Fixtures.temporaryDirectory()
    let input = dir.appendingPathComponent("in")
    try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
    for name in ["case_asr", "case_ilp_scaled"] {
      try FileManager.default.copyItem(
        at: Fixtures.committed("segment/\(name)/image.nii.gz"), to: input.appendingPathComponent("\(name).nii.gz"))
    }
    let weights = dir.appendingPathComponent("weights/Dataset978_roi")
    try FileManager.default.createDirectory(at: weights, withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: Self.roi, to: weights.appendingPathComponent(Self.roi.lastPathComponent))
    var env = Self.isolated(dir)
    env["TOTALVIBE_WEIGHTS_PATH"] = dir.appendingPathComponent("weights").path
    let out = dir.appendingPathComponent("out")
    let r = try VibeSegBinary.run(
      ["batch", input.path, "-o", out.path, "--task", "segment", "--model", Self.main.path, "--stats"], environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    for name in ["case_asr", "case_ilp_scaled"] {
      let single = dir.appendingPathComponent("\(name)-single.nii.gz")
      let s = try VibeSegBinary.run(
        ["segment", input.appendingPathComponent("\(name).nii.gz").path, "-o", single.path, "--model", Self.main.path,
         "--roi-model", Self.roi.path], environment: Self.isolated(dir))
      #expect(s.status == 0, "\(s.stderr)")
      let batch = try NiftiImage(contentsOf: out.appendingPathComponent("\(name).nii.gz"))
      let one = try NiftiImage(contentsOf: single)
      #expect(batch.grid == one.grid, "\(name)")
      #expect(batch.volume.converted(to: UInt8.self).voxels == one.volume.converted(to: UInt8.self).voxels, "\(name)")
      #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("\(name).stats.csv").path))
    }
    // A second run finds everything done.
    let again = try VibeSegBinary.run(
      ["batch", input.path, "-o", out.path, "--task", "segment", "--model", Self.main.path, "--stats"], environment: env)
    #expect(again.status == 0, "\(again.stderr)")
    #expect(again.stderr.contains("processed 0") || again.stdout.contains("processed 0"), "\(again.stderr)")
  }
}

/// Issue 18: one image syntax (`PATH` or `NAME=PATH`) for stats and preview; preview finds the
/// image in the sidecar's provenance when `--image` is left out.
@Suite("image arguments", .serialized)
struct ImageArgumentCommandTests {
  @Test("stats --image PATH names the column 'image'; preview without --image uses the sidecar's input")
  func forms() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("seg.nii.gz")
    let made = try VibeSegBinary.run(
      ["segment", SegmentCommandTests.image.path, "-o", out.path, "--model", SegmentCommandTests.main.path, "--roi-model",
       SegmentCommandTests.roi.path, "--pad", "0"], environment: SegmentCommandTests.isolated(dir))
    #expect(made.status == 0, "\(made.stderr)")
    let bare = try VibeSegBinary.run(["stats", out.path, "--image", SegmentCommandTests.image.path, "-o", dir.appendingPathComponent("a.csv").path])
    let named = try VibeSegBinary.run(["stats", out.path, "--image", "image=\(SegmentCommandTests.image.path)", "-o", dir.appendingPathComponent("b.csv").path])
    #expect(bare.status == 0 && named.status == 0, "\(bare.stderr) \(named.stderr)")
    #expect(try Data(contentsOf: dir.appendingPathComponent("a.csv")) == Data(contentsOf: dir.appendingPathComponent("b.csv")))
    let twice = try VibeSegBinary.run(["stats", out.path, "--image", SegmentCommandTests.image.path, "--image", SegmentCommandTests.image.path])
    #expect(twice.status == 64 && twice.stderr.contains("its own name"), "\(twice.stderr)")
    let fromSidecar = try VibeSegBinary.run(["preview", out.path, "-o", dir.appendingPathComponent("p.png").path])
    let explicit = try VibeSegBinary.run(["preview", out.path, "--image", SegmentCommandTests.image.path, "-o", dir.appendingPathComponent("q.png").path])
    #expect(fromSidecar.status == 0 && explicit.status == 0, "\(fromSidecar.stderr) \(explicit.stderr)")
    #expect(try Data(contentsOf: dir.appendingPathComponent("p.png")) == Data(contentsOf: dir.appendingPathComponent("q.png")))
    try FileManager.default.removeItem(at: dir.appendingPathComponent("seg.json"))
    let none = try VibeSegBinary.run(["preview", out.path, "-o", dir.appendingPathComponent("r.png").path])
    #expect(none.status == 64 && none.stderr.contains("--image"), "\(none.stderr)")
  }
}
