import Foundation
import NiftiIO
import Testing
import VolumeCore
import _TestSupport

@Suite("vibeseg stitch")
struct StitchCommandTests {
  static func station(_ name: String, _ n: Int) -> String {
    Fixtures.committed("stitch/\(name)/st\(n).nii.gz").path
  }

  @Test("stitches the fixture stations like TPTBox and writes the report")
  func stitchWithReport() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("out.nii.gz")
    let report = dir.appendingPathComponent("stitch.json")
    let result = try VibeSegBinary.run(
      [
        "stitch", Self.station("zstack_u16", 0), Self.station("zstack_u16", 1), Self.station("zstack_u16", 2),
        "-o", out.path, "--dtype", "auto", "--report", report.path,
      ])
    #expect(result.status == 0, "\(result.stderr)")
    let written = try NiftiImage(contentsOf: out)
    let expected = try NiftiImage(contentsOf: Fixtures.committed("stitch/zstack_u16_auto/expected.nii.gz"))
    #expect(written.volume.scalarType == .uint16)
    #expect(written.grid.shape == expected.grid.shape)
    #expect(written.volume.converted(to: UInt16.self).voxels == expected.volume.converted(to: UInt16.self).voxels)
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as! [String: Any]
    #expect(json["schemaVersion"] as? Int == 1)
    #expect(json["rotationStation"] as? Int == 2, "equal boxes: the later station wins")
    let pairs = json["pairs"] as! [[String: Any]]
    // TPTBox's grid drops each station's first row and column: 19 x 15 voxels per plane, 6 planes.
    #expect(pairs.map { $0["overlapVoxels"] as! Int }[0...1] == [19 * 15 * 6, 0])
    #expect((pairs[2]["overlapVoxels"] as! Int) > 0)
  }

  @Test("fewer than two stations is a usage error (64)")
  func tooFew() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let result = try VibeSegBinary.run([
      "stitch", Self.station("gap", 0), "-o", dir.appendingPathComponent("o.nii.gz").path,
    ])
    #expect(result.status == 64)
    #expect(result.stderr.contains("at least 2 stations"))
  }

  @Test("a missing station is named (66) and nothing is written")
  func missing() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let missing = dir.appendingPathComponent("nope.nii.gz").path
    let result = try VibeSegBinary.run([
      "stitch", Self.station("gap", 0), missing, "-o", dir.appendingPathComponent("o.nii.gz").path,
    ])
    #expect(result.status == 66)
    #expect(result.stderr.contains(missing))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
  }

  @Test("a 4-D station is rejected with its name (65)")
  func fourD() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let grid = ImageGrid(shape: [4, 4, 4], affine: .identity)
    let fourD = dir.appendingPathComponent("fourD.nii.gz")
    try NiftiImage(Volume<Float>(grid: grid, channelCount: 2, repeating: 1)).write(to: fourD)
    let out = dir.appendingPathComponent("o.nii.gz")
    let result = try VibeSegBinary.run(["stitch", Self.station("gap", 0), fourD.path, "-o", out.path])
    #expect(result.status == 65)
    #expect(result.stderr.contains("fourD.nii.gz") && result.stderr.contains("3-D"))
    #expect(!FileManager.default.fileExists(atPath: out.path))
  }

  @Test("the contained station's warning is printed")
  func containedWarning() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let result = try VibeSegBinary.run(
      [
        "stitch", Self.station("contained", 0), Self.station("contained", 1), Self.station("contained", 2),
        "-o", dir.appendingPathComponent("o.nii.gz").path,
      ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr.contains("vibeseg: warning:") && result.stderr.contains("lies fully inside"))
  }

  @Test("an existing output is kept without --overwrite (73) and replaced with it")
  func existingOutput() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("o.nii.gz")
    try Data("keep".utf8).write(to: out)
    let args = ["stitch", Self.station("gap", 0), Self.station("gap", 1), "-o", out.path, "--dtype", "float32", "--min-value", "5"]
    let refused = try VibeSegBinary.run(args)
    #expect(refused.status == 73)
    #expect(try Data(contentsOf: out) == Data("keep".utf8))
    let replaced = try VibeSegBinary.run(args + ["--overwrite"])
    #expect(replaced.status == 0, "\(replaced.stderr)")
    let expected = try NiftiImage(contentsOf: Fixtures.committed("stitch/gap/expected.nii.gz"))
    #expect(try NiftiImage(contentsOf: out).volume.converted(to: Float.self).voxels == expected.volume.converted(to: Float.self).voxels)
  }
}
