import DICOMCore
@testable import DICOMInput
import Foundation
import NiftiIO
import Testing
import VolumeCore
import _TestSupport

/// Native pixel decoding and stacking (issue 19, slice 2), checked against dcm2niix's NIfTI of the
/// same series (scripts/fixtures/make_dicom_reference.py; version in volume/versions.json).
@Suite("DICOM pixels: decoding and the stacked volume")
struct PixelVolumeTests {
  static func fixture(_ path: String) -> URL { Fixtures.committed("dicom/volume/\(path)") }

  static func volume(_ path: String) throws -> DICOMVolume {
    let index = try DICOMIndex(scanning: fixture(path))
    #expect(index.verdict == .accepted)
    #expect(index.groups.count == 1)
    return try DICOMVolume(group: try #require(index.groups.first))
  }

  @Test("8-bit unsigned, implicit VR: values as stored, one slice")
  func uint8() throws {
    let volume = try Self.volume("cases/uint8")
    #expect(volume.shape == [4, 3, 1])
    #expect(volume.values == .uint8((0..<12).map { UInt8(250 - 20 * $0) }))
    #expect(volume.scaling == nil)
    #expect(volume.warnings.count == 1 && volume.warnings[0].contains("single slice"))
    // Axial identity orientation at the origin: LPS to RAS negates x and y.
    #expect(volume.affine[0] == [-1, 0, 0, 0] && volume.affine[1] == [0, -1, 0, 0] && volume.affine[2] == [0, 0, 1, 0])
  }

  @Test("16-bit signed with rescale: stored values, slope 2, intercept -100, files in slice order")
  func int16Rescaled() throws {
    let volume = try Self.volume("series")
    #expect(volume.shape == [7, 6, 5])
    guard case .int16(let values) = volume.values else { Issue.record("not int16: \(volume.values)"); return }
    #expect(volume.scaling?.slope == 2 && volume.scaling?.intercept == -100)
    // The marker at row 0, column 0 of slice k is 1000 (k + 1); column 1 holds -7.
    for k in 0..<5 {
      #expect(values[k * 42] == Int16(1000 * (k + 1)))
      #expect(values[k * 42 + 1] == -7)
    }
    #expect(values.contains { $0 < 0 })
  }

  @Test("the same shape, affine to 1e-4 mm and values as dcm2niix, compared in world space")
  func matchesDcm2niix() throws {
    let volume = try Self.volume("series")
    let reference = try NiftiImage(contentsOf: Self.fixture("reference/series.nii"))
    let mine = Affine(rows: volume.affine)
    let theirs = reference.grid.affine
    let inverse = try #require(theirs.inverse)
    #expect(reference.grid.voxelCount == volume.shape.reduce(1, *))
    #expect(reference.grid.shape.sorted() == volume.shape.sorted())
    let refValues = reference.scaledVolume(as: Double.self)
    let (slope, intercept) = volume.scaling ?? (1, 0)
    let stored = volume.values.doubles
    var worst = 0.0, mismatches = 0
    var seen = Set<Int>()
    for k in 0..<volume.shape[2] {
      for j in 0..<volume.shape[1] {
        for i in 0..<volume.shape[0] {
          let world = mine.apply([Double(i), Double(j), Double(k)])
          let index = inverse.apply(world).map { Int($0.rounded()) }
          try #require(zip(index, reference.grid.shape).allSatisfy { $0 >= 0 && $0 < $1 }, "\(i),\(j),\(k) -> \(index)")
          let back = theirs.apply(index.map(Double.init))
          worst = max(worst, zip(back, world).map { abs($0 - $1) }.max()!)
          seen.insert(refValues.index(index[0], index[1], index[2]))
          let value = stored[i + volume.shape[0] * (j + volume.shape[1] * k)] * slope + intercept
          if value != refValues[index[0], index[1], index[2]] { mismatches += 1 }
        }
      }
    }
    #expect(worst < 1e-4, "largest voxel-centre distance to dcm2niix: \(worst) mm")
    #expect(seen.count == reference.grid.voxelCount)
    #expect(mismatches == 0)
    // Spacing as dcm2niix (0.9 mm rows, 1.3 mm columns, 2.5 mm slices), in some axis order.
    #expect(zip(mine.columnNorms.sorted(), theirs.columnNorms.sorted()).allSatisfy { abs($0 - $1) < 1e-4 })
  }

  @Test("compressed pixel data is refused, naming the file")
  func compressed() throws {
    let index = try DICOMIndex(scanning: Self.fixture("cases/compressed"))
    let group = try #require(index.groups.first)
    let error = try #require(throws: DICOMError.self) { try DICOMVolume(group: group) }
    #expect(error.code == .unsupported)
    #expect(error.path.hasSuffix("compressed/0001.dcm"))
    #expect(error.message.contains("compressed pixel data") && error.message.contains("through dcm2niix"))
  }

  @Test("pixel data of the wrong length is refused")
  func wrongLength() throws {
    let index = try DICOMIndex(scanning: Self.fixture("cases/uint8"))
    var group = try #require(index.groups.first)
    group.files[0].rows = 2
    let error = try #require(throws: DICOMError.self) { try DICOMVolume(group: group) }
    #expect(error.code == .invalidValue && error.message.contains("pixel data holds 12 bytes"))
  }

  @Test("BitsStored 12 of 16 with garbage in the top bits: masked and sign-extended as pydicom decodes it")
  func bitsStored() throws {
    let volume = try Self.volume("cases/bits12")
    let data = try Data(contentsOf: Self.fixture("cases/bits12_expected.json"))
    let expected = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    guard case .int16(let values) = volume.values else { Issue.record("not int16: \(volume.values)"); return }
    let perSlice = volume.shape[0] * volume.shape[1]
    #expect(volume.files.count == 5)
    for (k, path) in volume.files.enumerated() {
      let name = URL(fileURLWithPath: path).lastPathComponent
      let entry = try #require(expected[name] as? [String: Any])
      let theirs = try #require(entry["values"] as? [Int])
      #expect(Array(values[k * perSlice..<(k + 1) * perSlice]).map(Int.init) == theirs, "\(name)")
    }
    #expect(values.allSatisfy { (-2048...2047).contains($0) })
  }

  @Test("BitsStored larger than BitsAllocated, or a HighBit outside it, is refused naming the file")
  func bitsStoredRefused() throws {
    let index = try DICOMIndex(scanning: Self.fixture("cases/bits12"))
    for (stored, high) in [(17, 16), (12, 16), (12, 10), (0, 0)] {
      var group = try #require(index.groups.first)
      group.files[2].bitsStored = stored
      group.files[2].highBit = high
      let error = try #require(throws: DICOMError.self) { try DICOMVolume(group: group) }
      #expect(error.code == .invalidValue && error.message.contains("BitsStored"), "\(stored)/\(high)")
      #expect(error.path == group.files[2].path)
    }
  }
}
