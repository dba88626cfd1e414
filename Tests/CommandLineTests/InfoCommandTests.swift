import Foundation
import Testing
import _TestSupport

@Suite("vibeseg info")
struct InfoCommandTests {
  @Test("text report of a real scan", .enabled(if: Fixtures.realDataAvailable, Fixtures.realDataSkipMessage))
  func realScan() throws {
    let result = try VibeSegBinary.run(["info", Fixtures.real("example_mr_sm.nii.gz").path])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("117 x 91 x 20"))
    #expect(result.stdout.contains("axis codes:  LPS"))
    #expect(result.stdout.contains("int16"))
  }

  @Test("--json carries schemaVersion, geometry and warnings")
  func json() throws {
    let result = try VibeSegBinary.run(["info", "--json", Fixtures.committed("nifti/sform_oblique.nii.gz").path])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(object["schemaVersion"] as? Int == 1)
    #expect(object["shape"] as? [Int] == [4, 5, 6])
    #expect(object["axisCodes"] as? String == "RAS")
    #expect(object["affineSource"] as? String == "sform")
    let warnings = try #require(object["warnings"] as? [String])
    #expect(warnings.contains { $0.contains("oblique by 20.00°") }, "\(warnings)")
    let affine = try #require(object["affine"] as? [[Double]])
    #expect(affine.count == 4 && affine[0][3] == -10.5)
  }

  @Test("a missing file exits 66 naming it")
  func missing() throws {
    let result = try VibeSegBinary.run(["info", "/nonexistent/scan.nii.gz"])
    #expect(result.status == 66)
    #expect(result.stderr.contains("/nonexistent/scan.nii.gz"))
    #expect(result.stdout.isEmpty)
  }

  @Test("a malformed file exits 65 naming the file and the field")
  func malformed() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var bytes = [UInt8](try Data(contentsOf: Fixtures.committed("nifti/float32_le.nii")))
    bytes[84...87] = [0, 0, 0, 0]  // pixdim[2] = 0
    let url = dir.appendingPathComponent("bad.nii")
    try Data(bytes).write(to: url)
    let result = try VibeSegBinary.run(["info", url.path])
    #expect(result.status == 65)
    #expect(result.stderr.contains(url.path) && result.stderr.contains("pixdim[2]"), "\(result.stderr)")
  }

  @Test("an unknown flag is a usage error (64)")
  func usage() throws {
    let result = try VibeSegBinary.run(["info", "--frobnicate", "x.nii"])
    #expect(result.status == 64)
  }
}
