import Foundation
import NiftiIO
import Testing
import VolumeCore
import _TestSupport

/// Issue 19: compressed DICOM goes through dcm2niix, contained (dicom.md 6.3): the real one gives
/// the native reader's voxels; a fake one that hangs, crashes, fails, writes nothing or a wrong
/// affine gets the documented exit code, and no scratch folder is left.
@Suite("compressed DICOM through dcm2niix", .serialized)
struct DCM2NIIXTests {
  static let rle = Fixtures.committed("dicom/volume/cases/rle")
  static let native = Fixtures.committed("dicom/volume/series")

  /// Every voxel of `a` against the voxel of `b` at the same world point.
  static func sameInWorld(_ a: NiftiImage, _ b: NiftiImage) throws -> Bool {
    let inverse = try #require(b.grid.affine.inverse)
    let va = a.volume.converted(to: Double.self), vb = b.volume.converted(to: Double.self)
    let (sa, sb) = (a.grid.shape, b.grid.shape)
    guard sa.reduce(1, *) == sb.reduce(1, *) else { return false }
    for k in 0..<sa[2] { for j in 0..<sa[1] { for i in 0..<sa[0] {
      let v = inverse.apply(a.grid.affine.apply([Double(i), Double(j), Double(k)]))
      let n = v.map { Int($0.rounded()) }
      guard zip(v, n).allSatisfy({ abs($0 - Double($1)) < 1e-3 }), zip(n, sb).allSatisfy({ $0 >= 0 && $0 < $1 }) else { return false }
      guard va.voxels[i + sa[0] * (j + sa[1] * k)] == vb.voxels[n[0] + sb[0] * (n[1] + sb[1] * n[2])] else { return false }
    } } }
    return true
  }

  @Test("the real dcm2niix: an RLE series reads as the same voxels in world space as its uncompressed original; so does the uncompressed multi-frame (enhanced) copy (native); the RLE multi-frame copy is refused")
  func real() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/dcm2niix") else {
      print("skipped: /usr/bin/dcm2niix is not installed (apt-get install dcm2niix)")
      return
    }
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let tmp = dir.appendingPathComponent("tmp")
    try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    let env = ["TMPDIR": tmp.path, "PATH": "/usr/bin:/bin"]
    let enhancedRLE = Fixtures.committed("dicom/volume/cases/enhanced_rle")
    let enhancedNative = Fixtures.committed("dicom/volume/cases/enhanced_native")
    for (name, source) in [("rle", Self.rle), ("native", Self.native), ("enhanced_native", enhancedNative)] {
      let r = try VibeSegBinary.run(["convert", source.path, "-o", dir.appendingPathComponent("\(name).nii.gz").path], environment: env)
      #expect(r.status == 0, "\(name): \(r.stderr)")
    }
    let a = try NiftiImage(contentsOf: dir.appendingPathComponent("rle.nii.gz"))
    let b = try NiftiImage(contentsOf: dir.appendingPathComponent("native.nii.gz"))
    #expect(a.scaling?.slope == b.scaling?.slope && a.scaling?.intercept == b.scaling?.intercept)
    #expect(try Self.sameInWorld(a, b))
    // dcm2niix 1.0.20220720 decodes the RLE multi-frame copy to wrong values (exit 0, right
    // geometry): refused (65) naming the file, nothing written.
    let refused = try VibeSegBinary.run(["convert", enhancedRLE.path, "-o", dir.appendingPathComponent("enhanced_rle.nii.gz").path], environment: env)
    #expect(refused.status == 65 && refused.stderr.contains("enhanced_rle/0001.dcm") && refused.stderr.contains("compressed multi-frame"), "\(refused.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("enhanced_rle.nii.gz").path))
    for name in ["enhanced_native"] {
      let e = try NiftiImage(contentsOf: dir.appendingPathComponent("\(name).nii.gz"))
      #expect(e.scaling?.slope == b.scaling?.slope && e.scaling?.intercept == b.scaling?.intercept, "\(name)")
      #expect(try Self.sameInWorld(e, b), "\(name)")
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty, "no scratch folder left")
  }

  /// A fake dcm2niix: `body` is the shell script after the shebang. `$5`... are its arguments
  /// (`-o` folder is argument 14, `${14}` in sh, the list 15).
  static func fake(_ dir: URL, _ body: String) throws -> URL {
    let url = dir.appendingPathComponent("fake-dcm2niix-\(UUID().uuidString)")
    try ("#!/bin/sh\nout=\"${14}\"\n" + body + "\n").write(to: url, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
    return url
  }

  @Test("a fake dcm2niix that hangs, crashes, fails, writes nothing, too much or a wrong affine: the documented exit code, nothing written, no scratch left")
  func contained() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let tmp = dir.appendingPathComponent("tmp")
    try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    // What a good conversion writes: the native series as a NIfTI (the checks accept it).
    let good = dir.appendingPathComponent("good.nii")
    #expect(try VibeSegBinary.run(["convert", Self.native.path, "-o", good.path]).status == 0)
    var wrong = try NiftiImage(contentsOf: good)
    wrong.volume.grid = ImageGrid(shape: wrong.grid.shape, affine: Affine.identity)
    let wrongURL = dir.appendingPathComponent("wrong.nii")
    try wrong.write(to: wrongURL)
    let cases: [(String, String, Int32, String)] = [
      ("accepted", "cp '\(good.path)' \"$out/vol.nii\"; echo '{}' > \"$out/vol.json\"", 0, ""),
      ("hangs", "sleep 30", 65, "timed out"),
      ("crashes", "kill -SEGV $$", 65, "crashed"),
      ("exit 1", "echo 'Error: something'; exit 1", 65, "failed with exit 1"),
      ("exit 2", "exit 2", 65, "failed with exit 2"),
      ("exit 4", "exit 4", 65, "failed with exit 4"),
      ("exit 8", "exit 8", 65, "failed with exit 8"),
      ("exit 10", "exit 10", 65, "failed with exit 10"),
      ("exit 11", "exit 11", 65, "failed with exit 11"),
      ("exit 5", "exit 5", 70, "could not read the file list"),
      ("exit 6", "exit 6", 73, "could not write"),
      ("nothing", "exit 0", 65, "wrote nothing"),
      ("extra", "cp '\(good.path)' \"$out/vol.nii\"; echo '{}' > \"$out/vol.json\"; cp '\(good.path)' \"$out/vol_e2.nii\"", 65, "instead of vol.nii"),
      ("warning", "cp '\(good.path)' \"$out/vol.nii\"; echo '{}' > \"$out/vol.json\"; echo 'Warning: Interslice distance varies in this volume'", 65, "Interslice distance varies"),
      ("wrong affine", "cp '\(wrongURL.path)' \"$out/vol.nii\"; echo '{}' > \"$out/vol.json\"", 65, "voxel centres differ"),
      ("garbage", "echo junk > \"$out/vol.nii\"; echo '{}' > \"$out/vol.json\"", 65, "reader refuses"),
    ]
    for (name, body, status, message) in cases {
      let fake = try Self.fake(dir, body)
      let out = dir.appendingPathComponent("out-\(name.replacingOccurrences(of: " ", with: "_")).nii.gz")
      let r = try VibeSegBinary.run(
        ["convert", Self.rle.path, "-o", out.path], environment: ["TMPDIR": tmp.path, "VIBESEG_DCM2NIIX": fake.path, "VIBESEG_DCM2NIIX_TIMEOUT": "2"])
      #expect(r.status == status && (message.isEmpty || r.stderr.contains(message)), "\(name): \(r.status) \(r.stderr)")
      #expect(FileManager.default.fileExists(atPath: out.path) == (status == 0), "\(name)")
      #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty, "\(name): no scratch folder left")
    }
    let missing = try VibeSegBinary.run(
      ["info", Self.rle.path], environment: ["TMPDIR": tmp.path, "VIBESEG_DCM2NIIX": "/nonexistent/dcm2niix"])
    #expect(missing.status == 69 && missing.stderr.contains("VIBESEG_DCM2NIIX"), "\(missing.stderr)")
    let none = try VibeSegBinary.run(["info", Self.rle.path], environment: ["TMPDIR": tmp.path, "PATH": dir.path])
    #expect(none.status == 69 && none.stderr.contains("apt-get install dcm2niix"), "\(none.stderr)")
  }
}
