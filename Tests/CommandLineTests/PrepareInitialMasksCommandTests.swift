import Foundation
import NiftiIO
import VolumeCore
import Testing
import _TestSupport

/// `vibeseg prepare-initial-masks merge` end to end: outputs, exit codes, nothing half-written.
/// (Parity with the cc3d reference: InitialMaskMergeTests.)
@Suite("vibeseg prepare-initial-masks")
struct PrepareInitialMasksCommandTests {
  static func fixture(_ name: String) -> String { Fixtures.committed("initial_masks/\(name)").path }

  static var sources: [String] {
    ["--source", "spineps=\(fixture("spineps.nii.gz"))", "--source", "totalseg=\(fixture("totalseg.nii.gz"))",
      "--source", "bodycomp=\(fixture("bodycomp.nii.gz"))", "--map", "bodycomp=\(fixture("bodycomp_map.json"))"]
  }

  @Test("merge writes the map and the report; the map equals the cc3d reference; a rerun needs --overwrite")
  func merge() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("init.nii.gz"), report = dir.appendingPathComponent("init.json")
    let args = ["prepare-initial-masks", "merge"] + Self.sources + ["-o", out.path, "--report", report.path]
    let r = try VibeSegBinary.run(args)
    #expect(r.status == 0, "\(r.stderr)")
    let ours = try NiftiImage(contentsOf: out).volume.converted(to: Int64.self).voxels
    let theirs = try NiftiImage(contentsOf: URL(fileURLWithPath: Self.fixture("expected_sources.nii.gz"))).volume.converted(to: Int64.self).voxels
    #expect(ours == theirs)
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as! [String: Any]
    let sources = json["sources"] as! [[String: Any]]
    #expect(sources.map { $0["name"] as! String } == ["spineps", "totalseg", "bodycomp"])
    #expect((sources[1]["droppedVoxels"] as! [String: Int])["31"] == 27, "vertebrae_L1 dropped on purpose")
    #expect(r.stderr.contains("thyroid_gland (17): all 1 component(s) removed"), "\(r.stderr)")
    let again = try VibeSegBinary.run(args)
    #expect(again.status == 73, "\(again.stderr)")
  }

  @Test("usage errors: a source without a mapping, a --map for no source, no NAME=, no source", arguments: [
    (["--source", "bodycomp=x.nii.gz"], "no built-in mapping"),
    (["--source", "totalseg=x.nii.gz", "--map", "spineps=m.json"], "no --source is named spineps"),
    (["--source", "x.nii.gz"], "needs NAME=FILE"),
    (["--source", "totalseg=a.nii.gz", "--source", "totalseg=b.nii.gz"], "given twice"),
    ([], "at least one --source"),
  ])
  func usageErrors(extra: [String], message: String) throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try VibeSegBinary.run(["prepare-initial-masks", "merge"] + extra + ["-o", dir.appendingPathComponent("o.nii.gz").path])
    #expect(r.status == 64, "\(r.stderr)")
    #expect(r.stderr.contains(message), "\(r.stderr)")
  }

  @Test("unmapped values: exit 65 naming the file and values, nothing written; --drop-unmapped goes on")
  func unmapped() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let map = dir.appendingPathComponent("partial.json")
    try Data(#"{"1": "subcutaneous_fat", "2": "muscle"}"#.utf8).write(to: map)
    let out = dir.appendingPathComponent("init.nii.gz"), report = dir.appendingPathComponent("init.json")
    let args = ["prepare-initial-masks", "merge", "--source", "bodycomp=\(Self.fixture("bodycomp.nii.gz"))",
      "--map", "bodycomp=\(map.path)", "-o", out.path, "--report", report.path]
    let r = try VibeSegBinary.run(args)
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.contains("bodycomp.nii.gz") && r.stderr.contains("3 (") && r.stderr.contains("4 ("), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out.path) && !FileManager.default.fileExists(atPath: report.path))
    let dropped = try VibeSegBinary.run(args + ["--drop-unmapped"])
    #expect(dropped.status == 0, "\(dropped.stderr)")
    #expect(dropped.stderr.contains("values without a mapping set to 0 (--drop-unmapped): 3, 4"), "\(dropped.stderr)")
  }

  @Test("a mapping file naming an unknown structure: exit 65 naming the file")
  func badMapping() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let map = dir.appendingPathComponent("bad.json")
    try Data(#"{"1": "belly_fat"}"#.utf8).write(to: map)
    let r = try VibeSegBinary.run(["prepare-initial-masks", "merge", "--source", "bodycomp=\(Self.fixture("bodycomp.nii.gz"))",
      "--map", "bodycomp=\(map.path)", "-o", dir.appendingPathComponent("o.nii.gz").path])
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.contains(map.path) && r.stderr.contains("belly_fat"), "\(r.stderr)")
  }

  @Test("help shows examples")
  func help() throws {
    let r = try VibeSegBinary.run(["prepare-initial-masks", "merge", "--help"])
    #expect(r.status == 0 && r.stdout.contains("Examples:") && r.stdout.contains("vibeseg prepare-initial-masks merge "))
  }
}

extension PrepareInitialMasksCommandTests {
  @Test("manipulate: W'' written with its masks and report; help shows examples")
  func manipulate() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    // 1 mL voxels: a 12 x 10 x 6 body (in-phase 500, water 300) with one 4 x 4 x 4 air pocket.
    let grid = ImageGrid(shape: [16, 14, 6], affine: .scaling([10, 10, 10]))
    var water = Volume<Float>(grid: grid, repeating: 5), inPhase = Volume<Float>(grid: grid, repeating: 0)
    for k in 0..<6 { for j in 2..<12 { for i in 2..<14 { water[i, j, k] = 300; inPhase[i, j, k] = 500 } } }
    for k in 1..<5 { for j in 4..<8 { for i in 4..<8 { water[i, j, k] = 20; inPhase[i, j, k] = 10 } } }
    let w = dir.appendingPathComponent("w.nii.gz"), i = dir.appendingPathComponent("i.nii.gz")
    try NiftiImage(water).write(to: w)
    try NiftiImage(inPhase).write(to: i)
    let out = dir.appendingPathComponent("out.nii.gz"), lung = dir.appendingPathComponent("lung.nii.gz")
    let r = try VibeSegBinary.run([
      "prepare-initial-masks", "manipulate", "--water", w.path, "--in-phase", i.path, "--lung-min-ml", "50",
      "-o", out.path, "--lung-mask", lung.path, "--report", dir.appendingPathComponent("r.json").path,
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("found 1 interior air component(s)"), "\(r.stderr)")
    let result = try NiftiImage(contentsOf: out).volume.converted(to: Float.self)
    #expect(result[0, 0, 0] == -595 && result[5, 5, 2] == -580 && result[3, 3, 3] == 300)
    #expect(try NiftiImage(contentsOf: lung).volume.converted(to: Int64.self).voxels.reduce(0, +) == 64)
    let help = try VibeSegBinary.run(["prepare-initial-masks", "manipulate", "--help"])
    #expect(help.stdout.contains("Examples:") && help.stdout.contains("vibeseg prepare-initial-masks manipulate "))
  }
}

extension PrepareInitialMasksCommandTests {
  @Test("--exec runs the command that writes a source, then merges it; failures are named and write nothing")
  func exec() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let ts = dir.appendingPathComponent("ts.nii.gz"), out = dir.appendingPathComponent("init.nii.gz")
    func run(_ command: String, _ extra: [String] = []) throws -> CommandResult {
      try VibeSegBinary.run(
        ["prepare-initial-masks", "merge", "--source", "totalseg=\(ts.path)", "--exec", "totalseg=\(command)", "-o", out.path] + extra)
    }
    // A stand-in network: copies the committed TotalSegmentator map to {output}.
    let ok = try run("cp '\(Self.fixture("totalseg.nii.gz"))' {output}")
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect(FileManager.default.fileExists(atPath: ts.path) && FileManager.default.fileExists(atPath: out.path))
    let exists = try run("cp '\(Self.fixture("totalseg.nii.gz"))' {output}", ["--overwrite"])
    #expect(exists.status == 0, "\(exists.stderr)")
    try FileManager.default.removeItem(at: out)
    let refused = try run("true")
    #expect(refused.status == 73 && refused.stderr.contains("--exec command for totalseg would replace it"), "\(refused.stderr)")
    try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: ts.path)
    let stale = try run("true", ["--overwrite"])
    #expect(stale.status == 66 && stale.stderr.contains("did not write this file"), "\(stale.stderr)")
    try FileManager.default.removeItem(at: ts)
    let nothing = try run("true")
    #expect(nothing.status == 66 && nothing.stderr.contains("wrote no file"), "\(nothing.stderr)")
    let failed = try run("false")
    #expect(failed.status == 69 && failed.stderr.contains("false failed with exit status 1"), "\(failed.stderr)")
    let missing = try run("vibeseg-no-such-network -o {output}")
    #expect(missing.status == 69 && missing.stderr.contains("cannot start vibeseg-no-such-network"), "\(missing.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out.path))
    let unknown = try VibeSegBinary.run(
      ["prepare-initial-masks", "merge", "--source", "totalseg=\(ts.path)", "--exec", "spineps=true", "-o", out.path])
    #expect(unknown.status == 64 && unknown.stderr.contains("no --source is named spineps"), "\(unknown.stderr)")
  }
}
