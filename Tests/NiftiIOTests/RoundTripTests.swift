import Foundation
import Testing
import VolumeCore
import _TestSupport
import NiftiIO

@Suite("NIfTI writing round-trips")
struct RoundTripTests {
  @Test("write then read returns identical voxels and affine; a second write is byte-identical",
    arguments: NibabelGoldens.loaded.synthetic.keys.sorted(), [".nii", ".nii.gz"])
  func roundTrip(name: String, suffix: String) throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let original = try NiftiImage(contentsOf: Fixtures.committed("nifti/\(name)"))
    let first = dir.appendingPathComponent("a" + suffix)
    try original.write(to: first)
    let reread = try NiftiImage(contentsOf: first)
    #expect(reread.warnings.isEmpty, "\(reread.warnings)")
    #expect(reread.volume.scalarType == original.volume.scalarType)
    #expect(reread.volume.channelCount == original.volume.channelCount)
    #expect(reread.grid.shape == original.grid.shape)
    let a = original.volume.apply { v in v.withUnsafeVoxelBytes { Array($0) } }
    let b = reread.volume.apply { v in v.withUnsafeVoxelBytes { Array($0) } }
    #expect(a == b, "voxels differ")
    #expect(reread.scaling?.slope == original.scaling?.slope && reread.scaling?.intercept == original.scaling?.intercept)
    // The sform holds the float32-rounded affine; original affines here are float32 values.
    #expect(reread.grid.affine.maxAbsDifference(to: original.grid.affine) < 1e-6)
    // The qform written beside the sform decodes to the same affine.
    let q = try #require(reread.header.qformAffine)
    #expect(q.maxAbsDifference(to: reread.header.sformAffine) < 1e-5, "qform \(q) vs sform \(reread.header.sformAffine)")
    let second = dir.appendingPathComponent("b" + suffix)
    try reread.write(to: second)
    #expect(try Data(contentsOf: first) == Data(contentsOf: second), "second-generation file differs")
  }

  @Test("label maps are written in the smallest integer type that holds them")
  func labelMapType() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cases: [(Int32, Int32, ScalarType)] = [(0, 71, .uint8), (0, 255, .uint8), (0, 256, .int16), (-1, 5, .int8), (0, 40000, .uint16), (0, 70000, .int32)]
    for (lo, hi, type) in cases {
      var labels = Volume<Int32>(grid: ImageGrid(shape: [3, 2, 2], affine: .scaling([1, 2, 3])), repeating: 0)
      labels[0, 0, 0] = lo
      labels[2, 1, 1] = hi
      let url = dir.appendingPathComponent("labels.nii.gz")
      try NiftiImage.labelMap(labels).write(to: url)
      let read = try NiftiImage(contentsOf: url)
      #expect(read.volume.scalarType == type, "\(lo)...\(hi)")
      #expect(read.volume.converted(to: Int32.self).voxels == labels.voxels)
    }
  }

  @Test("oblique and flipped affines survive sform and qform", arguments: [false, true])
  func obliqueAffine(flipped: Bool) throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let angle = 0.3
    var affine = Affine(rows: [
      [cos(angle) * 0.8, -sin(angle) * 1.2, 0, -5], [sin(angle) * 0.8, cos(angle) * 1.2, 0, 7], [0, 0, flipped ? -2.5 : 2.5, 1], [0, 0, 0, 1],
    ])
    affine = Affine(entries: affine.entries.map { Double(Float($0)) })
    let volume = Synthetic.ramp(Float.self, shape: [3, 4, 5], affine: affine)
    let url = dir.appendingPathComponent("oblique.nii")
    try NiftiImage(volume).write(to: url)
    let read = try NiftiImage(contentsOf: url)
    #expect(read.header.pixdim[0] == (flipped ? -1 : 1), "qfac")
    #expect(read.grid.affine == affine)
    #expect(try #require(read.header.qformAffine).maxAbsDifference(to: affine) < 1e-6)
  }

  @Test("a dimension above 32767 is written as NIfTI-2 and read back")
  func nifti2ForLargeDimensions() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let volume = Synthetic.ramp(UInt8.self, shape: [40000, 2, 1], affine: .scaling([0.5, 1, 2], origin: [1, 2, 3]))
    let url = dir.appendingPathComponent("wide.nii.gz")
    try NiftiImage(volume).write(to: url)
    let read = try NiftiImage(contentsOf: url)
    #expect(read.header.version == .nifti2)
    #expect(read.grid == volume.grid)
    #expect(read.volume.converted(to: UInt8.self).voxels == volume.voxels)
  }

  @Test("a failed write leaves nothing behind")
  func failedWrite() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let volume = Synthetic.ramp(Float.self, shape: [3, 4, 5])
    #expect(throws: NiftiError.self) { try NiftiImage(volume).write(to: dir.appendingPathComponent("missing/out.nii.gz")) }
    #expect(throws: NiftiError.self) { try NiftiImage(volume).write(to: dir.appendingPathComponent("out.txt")) }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
  }
}
