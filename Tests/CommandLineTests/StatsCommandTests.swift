import Foundation
import NiftiIO
import Testing
import VolumeCore
import _TestSupport

@Suite("vibeseg stats")
struct StatsCommandTests {
  @Test("real scan: CSV and JSON with the golden volume of the liver", .enabled(if: Fixtures.realDataAvailable, Fixtures.realDataSkipMessage))
  func realScan() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let base = ["stats", Fixtures.real("example_seg_mr.nii.gz").path, "--image", "mr=" + Fixtures.real("example_mr_sm.nii.gz").path,
      "--label-names", Fixtures.real("example_seg_mr.labels.json").path, "--spine", Fixtures.committed("stats/spine_synthetic.nii.gz").path]
    let csv = try VibeSegBinary.run(base + ["-o", dir.appendingPathComponent("s.csv").path])
    #expect(csv.status == 0, "\(csv.stderr)")
    let text = try String(contentsOf: dir.appendingPathComponent("s.csv"), encoding: .utf8)
    #expect(text.contains("\n5,liver,18480,498.96"), "\(text.prefix(400))")
    let body = try String(contentsOf: dir.appendingPathComponent("s.bodycomposition.csv"), encoding: .utf8)
    #expect(body.contains("\nL3,"))
    let json = try VibeSegBinary.run(base + ["--labels", "liver", "spleen", "-o", dir.appendingPathComponent("s.json").path])
    #expect(json.status == 0, "\(json.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("s.json"))) as? [String: Any])
    #expect(object["schemaVersion"] as? Int == 1)
    #expect((object["labels"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [5, 1])
    let printed = try VibeSegBinary.run(Array(base.prefix(2)))
    #expect(printed.status == 0 && printed.stdout.contains("117 x 91 x 20"))
  }

  @Test("a missing segmentation exits 66; an image off-grid or a non-integer map exits 65; bad flags 64")
  func errors() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let missing = try VibeSegBinary.run(["stats", "/nonexistent/seg.nii.gz"])
    #expect(missing.status == 66 && missing.stderr.contains("/nonexistent/seg.nii.gz"))
    let seg = dir.appendingPathComponent("seg.nii.gz"), img = dir.appendingPathComponent("img.nii.gz"), float = dir.appendingPathComponent("f.nii.gz")
    try NiftiImage(Synthetic.box(shape: [5, 5, 5], lower: [1, 1, 1], upper: [3, 3, 3])).write(to: seg)
    try NiftiImage(Synthetic.ramp(Float.self, shape: [5, 5, 6])).write(to: img)
    try NiftiImage(Synthetic.ramp(Float.self, shape: [5, 5, 5]) { i, _, _, _ in Double(i) + 0.25 }).write(to: float)
    let offGrid = try VibeSegBinary.run(["stats", seg.path, "--image", "t1=" + img.path])
    #expect(offGrid.status == 65 && offGrid.stderr.contains("t1"), "\(offGrid.stderr)")
    let nonInteger = try VibeSegBinary.run(["stats", float.path])
    #expect(nonInteger.status == 65 && nonInteger.stderr.contains("not a label map"), "\(nonInteger.stderr)")
    // `--image PATH` is a path (column "image"): a missing one is 66; `NAME=` with no path is 64.
    let missingImage = try VibeSegBinary.run(["stats", seg.path, "--image", "noequals"])
    #expect(missingImage.status == 66 && missingImage.stderr.contains("noequals"), "\(missingImage.stderr)")
    #expect(try VibeSegBinary.run(["stats", seg.path, "--image", "t1="]).status == 64)
    #expect(try VibeSegBinary.run(["stats", seg.path, "--water", img.path]).status == 64)
    #expect(try VibeSegBinary.run(["stats", seg.path, "--labels", "nonsense"]).status == 64)
    let cannot = try VibeSegBinary.run(["stats", seg.path, "-o", "/nonexistent/dir/out.csv"])
    #expect(cannot.status == 73)
  }
}
