import Foundation
import NiftiIO
import Testing
import _TestSupport

/// Issue 17: every command that takes a model accepts the same forms (`ModelLocator`) and refuses
/// the same bad ones with the same exit code and reason.
@Suite("model forms through every command", .serialized)
struct ModelFormsTests {
  static let model = CommittedModels.folder("plain_1ch")
  static let image = Fixtures.committed("predictions/plain_fold0_nomirror/case_0000.nii.gz")

  /// A weights folder as upstream lays it out (`Dataset042_plain/<Trainer>__<Plans>__<config>`),
  /// found by id through `TOTALVIBE_WEIGHTS_PATH`; nothing can be downloaded.
  static func environment(_ dir: URL) throws -> [String: String] {
    let weights = dir.appendingPathComponent("weights/Dataset042_plain")
    try FileManager.default.createDirectory(at: weights, withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: model, to: weights.appendingPathComponent(model.lastPathComponent))
    var env = SegmentCommandTests.isolated(dir)
    env["TOTALVIBE_WEIGHTS_PATH"] = dir.appendingPathComponent("weights").path
    return env
  }

  @Test("a model folder, a dataset folder and an installed id give the same map (predict, batch) and report (model-info)")
  func accepted() throws {
    let dir = try Fixtures.temporaryDirectory()
    let env = try Self.environment(dir)
    var maps = [[UInt8]]()
    var reports = Set<String>()
    var listings = Set<String>()
    for (index, form) in [Self.model.path, Self.model.deletingLastPathComponent().path, "42", "042"].enumerated() {
      let out = dir.appendingPathComponent("out\(index).nii.gz")
      let r = try VibeSegBinary.run(["predict", "-m", form, "-i", Self.image.path, "-o", out.path, "--folds", "0", "--no-tta"], environment: env)
      #expect(r.status == 0, "\(form): \(r.stderr)")
      maps.append(try SegmentCommandTests.labels(out))
      let info = try VibeSegBinary.run(["model-info", form, "--json", "--folds", "0"], environment: env)
      #expect(info.status == 0, "\(form): \(info.stderr)")
      // The same report, apart from where the folder lies (the id form finds the copy in weights/).
      let installed = dir.appendingPathComponent("weights/Dataset042_plain").path.replacingOccurrences(of: "/", with: "\\/")
      let committed = Self.model.deletingLastPathComponent().path.replacingOccurrences(of: "/", with: "\\/")
      reports.insert(info.stdout.replacingOccurrences(of: installed, with: committed))
      let labels = try VibeSegBinary.run(["labels", "--model", form, "--json"], environment: env)
      #expect(labels.status == 0, "\(form): \(labels.stderr)")
      let object = try JSONSerialization.jsonObject(with: Data(labels.stdout.utf8)) as? [String: Any]
      let rows = try JSONSerialization.data(withJSONObject: object?["labels"] ?? [], options: [.sortedKeys])
      listings.insert(String(decoding: rows, as: UTF8.self))
    }
    #expect(listings.count == 1, "labels --model gives one listing for every form")
    #expect(Set(maps.map { $0.hashValue }).count == 1 && !maps[0].isEmpty)
    #expect(reports.count == 1)
    let cohort = dir.appendingPathComponent("cohort")
    try FileManager.default.createDirectory(at: cohort, withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: Self.image, to: cohort.appendingPathComponent("case_0000.nii.gz"))
    let batch = try VibeSegBinary.run(
      ["batch", cohort.path, "-o", dir.appendingPathComponent("results").path, "--task", "predict", "--model", "42", "--folds", "0", "--no-tta"],
      environment: env)
    #expect(batch.status == 0, "\(batch.stderr)")
    #expect(try SegmentCommandTests.labels(dir.appendingPathComponent("results/case.nii.gz")) == maps[0])
  }

  @Test("refused everywhere with 69 and the reason: unpublished id (before any download), no plans, a file, two models in one folder")
  func refused() throws {
    let dir = try Fixtures.temporaryDirectory()
    let env = try Self.environment(dir)
    let empty = dir.appendingPathComponent("empty")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    let two = dir.appendingPathComponent("two")
    for name in ["a__p__3d_fullres", "b__p__3d_fullres"] {
      try FileManager.default.createDirectory(at: two, withIntermediateDirectories: true)
      try FileManager.default.copyItem(at: Self.model, to: two.appendingPathComponent(name))
    }
    let cases: [(form: String, message: String)] = [
      ("999", "model 999 is not published and not installed"),
      (empty.path, "not a model folder"),
      (Self.image.path, "not a file"),
      (two.path, "2 model folders inside"),
    ]
    let cohort = dir.appendingPathComponent("cohort")
    try FileManager.default.createDirectory(at: cohort, withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: Self.image, to: cohort.appendingPathComponent("case_0000.nii.gz"))
    for (form, message) in cases {
      let out = dir.appendingPathComponent("out.nii.gz")
      let commands: [[String]] = [
        ["predict", "-m", form, "-i", Self.image.path, "-o", out.path],
        ["model-info", form],
        ["labels", "--model", form],
        ["segment", Self.image.path, "-o", out.path, "--model", form],
        ["batch", cohort.path, "-o", dir.appendingPathComponent("results").path, "--task", "predict", "--model", form],
        ["batch", cohort.path, "-o", dir.appendingPathComponent("results").path, "--task", "segment", "--model", form],
      ] + (form == "999" ? [] : [
        ["spine", Self.image.path, "-o", out.path, "--model", form],
        ["batch", cohort.path, "-o", dir.appendingPathComponent("results").path, "--task", "spine", "--model", form],
      ])
      for command in commands {
        let started = Date()
        let r = try VibeSegBinary.run(command, environment: env)
        #expect(r.status == 69 && r.stderr.contains(message), "\(command): \(r.status) \(r.stderr)")
        // Refused before any download attempt (the release URL is a closed port with retries).
        #expect(Date().timeIntervalSince(started) < 20, "\(command)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
      }
    }
  }

  @Test("spine --model takes 511/512 or a folder; a folder's relabelling comes from plans.json or --spine-labels, never by guess")
  func spineForms() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let env = SegmentCommandTests.isolated(dir)
    let roi = Fixtures.committed("segment/roi/nnUNetTrainer__nnUNetPlans__3d_fullres")
    // The same weights, declared a sub-region model by its plans.json (as the published 512 is).
    let declared = dir.appendingPathComponent("Dataset512_copy/\(roi.lastPathComponent)")
    try FileManager.default.createDirectory(at: declared.deletingLastPathComponent(), withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: roi, to: declared)
    let plansURL = declared.appendingPathComponent("plans.json")
    let plans = try String(contentsOf: plansURL, encoding: .utf8).replacingOccurrences(of: "Dataset978_roi", with: "Dataset512_copy")
    try plans.write(to: plansURL, atomically: true, encoding: .utf8)
    let image = Fixtures.committed("segment/case_asr/image.nii.gz")
    func spine(_ name: String, _ extra: [String]) throws -> (CommandResult, URL) {
      let out = dir.appendingPathComponent("\(name).nii.gz")
      return (try VibeSegBinary.run(["spine", image.path, "-o", out.path, "--pad", "0"] + extra, environment: env), out)
    }
    let (unknown, unknownOut) = try spine("unknown", ["--model", roi.path])
    #expect(unknown.status == 69 && unknown.stderr.contains("cannot tell which spine model") && unknown.stderr.contains("--spine-labels"), "\(unknown.stderr)")
    #expect(!FileManager.default.fileExists(atPath: unknownOut.path))
    let (inferred, inferredOut) = try spine("inferred", ["--model", declared.path])
    let (explicit, explicitOut) = try spine("explicit", ["--model", roi.path, "--spine-labels", "512"])
    let (legacy, legacyOut) = try spine("legacy", ["--model-folder", roi.path, "--model", "512"])
    let (instances, instancesOut) = try spine("instances", ["--model", roi.path, "--spine-labels", "511"])
    for r in [inferred, explicit, legacy, instances] { #expect(r.status == 0, "\(r.stderr)") }
    let map = try SegmentCommandTests.labels(inferredOut)
    #expect(try SegmentCommandTests.labels(explicitOut) == map)
    #expect(try SegmentCommandTests.labels(legacyOut) == map)
    // 511 and 512 relabel differently (512 sends 1...9 to 41...49), so the choice is visible.
    #expect(try SegmentCommandTests.labels(instancesOut) != map)
    let (bad, _) = try spine("bad", ["--model", "999"])
    #expect(bad.status == 69 && bad.stderr.contains("spine models are 511 and 512"), "\(bad.stderr)")
    let (contradiction, _) = try spine("contradiction", ["--model", "511", "--spine-labels", "512"])
    #expect(contradiction.status == 64 && contradiction.stderr.contains("contradicts"), "\(contradiction.stderr)")
  }
}
