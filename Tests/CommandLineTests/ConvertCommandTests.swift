import Foundation
import NiftiIO
import Testing
import VolumeCore
import VolumeTransforms
import _TestSupport

@Suite("vibeseg convert")
struct ConvertCommandTests {
  @Test("reorient to RAS keeps every voxel and its world position", .enabled(if: Fixtures.realDataAvailable, Fixtures.realDataSkipMessage))
  func reorient() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = Fixtures.real("example_mr_sm.nii.gz")
    let output = dir.appendingPathComponent("ras.nii.gz")
    let result = try VibeSegBinary.run(["convert", input.path, "--orientation", "RAS", "-o", output.path])
    #expect(result.status == 0, "\(result.stderr)")
    let original = try NiftiImage(contentsOf: input)
    let converted = try NiftiImage(contentsOf: output)
    #expect(converted.grid.orientation == .ras)
    #expect(converted.volume.scalarType == .int16)
    // LPS -> RAS flips i and j: voxel (i, j, k) moves to (nI-1-i, nJ-1-j, k), same world point.
    let a = original.volume.converted(to: Int16.self), b = converted.volume.converted(to: Int16.self)
    let s = a.shape
    for (i, j, k) in [(0, 0, 0), (5, 17, 3), (116, 90, 19)] {
      #expect(a[i, j, k] == b[s[0] - 1 - i, s[1] - 1 - j, k])
      let w1 = a.grid.affine.apply([Double(i), Double(j), Double(k)])
      let w2 = b.grid.affine.apply([Double(s[0] - 1 - i), Double(s[1] - 1 - j), Double(k)])
      #expect(zip(w1, w2).allSatisfy { abs($0 - $1) < 1e-4 })
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["ras.nii.gz"], "no temporary files left")
  }

  @Test("resampling to a new spacing keeps the world position of voxel 0")
  func resample() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let output = dir.appendingPathComponent("iso.nii")
    let input = Fixtures.committed("nifti/int16_le.nii")  // 4x5x6 at 1.25 x 1.5 x 2 mm
    let result = try VibeSegBinary.run(["convert", input.path, "--spacing", "1", "1", "1", "--order", "1", "-o", output.path])
    #expect(result.status == 0, "\(result.stderr)")
    let original = try NiftiImage(contentsOf: input)
    let converted = try NiftiImage(contentsOf: output)
    #expect(converted.grid.shape == [5, 8, 12])  // rint(4·1.25)=5, rint(5·1.5)=8 (7.5 → 8), 6·2=12
    #expect(converted.volume.scalarType == .int16)
    expectClose(converted.grid.affine.origin, original.grid.affine.origin, atol: 1e-6)
    expectClose(converted.grid.spacingMillimeters, [1, 1, 1], atol: 1e-6)
  }

  @Test("--dtype casts with rounding and clamping")
  func cast() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let output = dir.appendingPathComponent("u8.nii.gz")
    let input = Fixtures.committed("nifti/float32_le.nii")
    let result = try VibeSegBinary.run(["convert", input.path, "--dtype", "uint8", "-o", output.path])
    #expect(result.status == 0, "\(result.stderr)")
    let original = try NiftiImage(contentsOf: input).volume.converted(to: Float.self)
    let converted = try NiftiImage(contentsOf: output)
    #expect(converted.volume.scalarType == .uint8)
    let expected = original.voxels.map { UInt8(converting: Double($0)) }
    #expect(converted.volume.converted(to: UInt8.self).voxels == expected)
  }

  @Test("bad flags exit 64, a missing output folder 73, a malformed input 65, leaving no output")
  func failures() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = Fixtures.committed("nifti/float32_le.nii").path
    let out = dir.appendingPathComponent("o.nii.gz").path
    #expect(try VibeSegBinary.run(["convert", input, "--orientation", "RAR", "-o", out]).status == 64)
    #expect(try VibeSegBinary.run(["convert", input, "--spacing", "1", "0", "1", "-o", out]).status == 64)
    #expect(try VibeSegBinary.run(["convert", input, "-o", dir.appendingPathComponent("x.png").path]).status == 64)
    let noFolder = try VibeSegBinary.run(["convert", input, "-o", dir.appendingPathComponent("missing/o.nii").path])
    #expect(noFolder.status == 73, "\(noFolder.stderr)")
    let truncated = dir.appendingPathComponent("truncated.nii")
    try Data(try Data(contentsOf: URL(fileURLWithPath: input)).prefix(500)).write(to: truncated)
    let bad = try VibeSegBinary.run(["convert", truncated.path, "-o", out])
    #expect(bad.status == 65)
    #expect(bad.stderr.contains("truncated"), "\(bad.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["truncated.nii"])
  }
}

/// Issue 18: `convert --spacing` of a label map must not invent labels.
@Suite("convert: label maps")
struct ConvertLabelMapTests {
  @Test("a label map is resampled with nearest neighbour by default (no new labels); --order 3 warns")
  func labelMap() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = Fixtures.committed("segment_upstream/case_asr/seg_padd5_input.nii.gz")
    let before = Set(try NiftiImage(contentsOf: input).volume.converted(to: Int32.self).voxels)
    let out = dir.appendingPathComponent("labels.nii.gz")
    let r = try VibeSegBinary.run(["convert", input.path, "-o", out.path, "--spacing", "1.5", "1.5", "1.5"])
    #expect(r.status == 0 && r.stderr.contains("looks like a label map"), "\(r.stderr)")
    let after = Set(try NiftiImage(contentsOf: out).volume.converted(to: Int32.self).voxels)
    #expect(after.isSubset(of: before), "new labels: \(after.subtracting(before).sorted())")
    let cubic = try VibeSegBinary.run(["convert", input.path, "-o", out.path, "--spacing", "1.5", "1.5", "1.5", "--order", "3", "--overwrite"])
    #expect(cubic.status == 0 && cubic.stderr.contains("will create label values"), "\(cubic.stderr)")
    // An MR image is not a label map: cubic as before, no note.
    let image = try VibeSegBinary.run([
      "convert", Fixtures.committed("segment/case_asr/image.nii.gz").path, "-o", dir.appendingPathComponent("img.nii.gz").path,
      "--spacing", "2", "2", "2",
    ])
    #expect(image.status == 0 && !image.stderr.contains("label map"), "\(image.stderr)")
  }
}
