import Foundation
import NiftiIO
import Testing
import VolumeCore
import _TestSupport

/// `vibeseg augment`: outputs and names, the replayed TPTBox parity case through the binary,
/// usage and input errors with their exit codes.
@Suite("vibeseg augment")
struct AugmentCommandTests {
  static func fixture(_ name: String) -> String { Fixtures.committed("augment/\(name)").path }

  static func files(_ folder: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
  }

  @Test("--target-total/--cases copies with --dump-params: names, types, grid, sidecar, disk note")
  func copies() throws {
    let dir = try Fixtures.temporaryDirectory("augment-cli")
    defer { try? FileManager.default.removeItem(at: dir) }
    let result = try VibeSegBinary.run([
      "augment", "--image", Self.fixture("inputs/water.nii.gz"), "--label", Self.fixture("inputs/seg16.nii.gz"),
      "--case-id", "sub-01", "--seed", "3", "--target-total", "10", "--cases", "5", "--dump-params", "--threads", "2",
      "-o", dir.path,
    ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr.contains("3 copies of 17920 voxels"), "\(result.stderr)")
    // factor = clamp(round(10 / 5), 4, 500) = 4: three copies.
    let expected = (1...3).flatMap { ["water_d\($0).nii.gz", "seg16_d\($0).nii.gz", "sub-01_d\($0).json"] }.sorted()
    #expect(Self.files(dir) == expected)
    let source = try NiftiImage(contentsOf: URL(fileURLWithPath: Self.fixture("inputs/seg16.nii.gz")))
    let labels = try NiftiImage(contentsOf: dir.appendingPathComponent("seg16_d2.nii.gz"))
    let image = try NiftiImage(contentsOf: dir.appendingPathComponent("water_d2.nii.gz"))
    #expect(labels.volume.scalarType == .int16 && image.volume.scalarType == .float32)
    #expect(labels.grid == source.grid && image.grid == source.grid)
    let json =
      try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("sub-01_d2.json")))
      as? [String: Any]
    let sidecar = try #require(json)
    #expect(sidecar["schemaVersion"] as? Int == 1 && sidecar["seed"] as? Int == 3 && sidecar["copyIndex"] as? Int == 2)
    let points = try #require(sidecar["points"] as? Int)
    #expect((sidecar["displacement"] as? [[[[Double]]]])?.count == 3)
    #expect((sidecar["displacement"] as? [[[[Double]]]])?[2].count == points)
    let check = try #require(sidecar["labels"] as? [String: Any])
    #expect(check["sourceValues"] as? [Double] == [0, 3, 300])
  }

  @Test("--replay-params reproduces TPTBox + elasticdeform on the committed case")
  func replay() throws {
    let dir = try Fixtures.temporaryDirectory("augment-cli-replay")
    defer { try? FileManager.default.removeItem(at: dir) }
    let result = try VibeSegBinary.run([
      "augment", "--image", Self.fixture("inputs/water.nii.gz"), "--label", Self.fixture("inputs/seg.nii.gz"),
      "--replay-params", Self.fixture("p3_strong/params.json"), "-o", dir.path,
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let ours = try NiftiImage(contentsOf: dir.appendingPathComponent("seg_d1.nii.gz")).volume.converted(to: Int64.self)
    let expected = try NiftiImage(contentsOf: URL(fileURLWithPath: Self.fixture("p3_strong/expected_seg.nii.gz")))
      .volume
      .converted(to: Int64.self)
    #expect(ours.voxels == expected.voxels)
  }

  @Test("usage and input errors: exit code, a message naming the problem, nothing written")
  func errors() throws {
    let dir = try Fixtures.temporaryDirectory("augment-cli-errors")
    defer { try? FileManager.default.removeItem(at: dir) }
    let water = Self.fixture("inputs/water.nii.gz")
    let cases: [([String], Int32, String)] = [
      (["augment", "--image", water, "-o", dir.path], 64, "exactly one of"),
      (
        ["augment", "--image", water, "--copies", "2", "--target-total", "9", "--cases", "3", "-o", dir.path], 64,
        "exactly one of"
      ),
      (["augment", "--image", water, "--copies", "1", "--sigma", "-1", "-o", dir.path], 64, "--sigma"),
      (
        ["augment", "--image", water, "--image", water, "--copies", "1", "-o", dir.path], 64,
        "two inputs are named water"
      ),
      (
        ["augment", "--image", dir.appendingPathComponent("none.nii.gz").path, "--copies", "1", "-o", dir.path], 66,
        "none.nii.gz"
      ),
      (
        [
          "augment", "--image", water, "--label", Self.fixture("resample_to_missing.nii.gz"), "--copies", "1", "-o",
          dir.path,
        ], 66,
        "resample_to_missing"
      ),
    ]
    for (arguments, status, message) in cases {
      let result = try VibeSegBinary.run(arguments)
      #expect(result.status == status, "\(arguments): \(result.stderr)")
      #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
    }
    #expect(Self.files(dir).isEmpty)
  }
}
