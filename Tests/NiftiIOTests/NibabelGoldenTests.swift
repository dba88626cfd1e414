import Foundation
import Testing
import VolumeCore
import _TestSupport
import NiftiIO

/// What nibabel 5.4.2 reports for a file (scripts/fixtures/make_nifti_goldens.py).
struct NibabelExpectation: Decodable {
  var shape: [Int]
  var zooms: [Double]
  var axcodes: String
  var affine: [[Double]]
  var dtype: String
  var byteOrder: String
  var slope: Double?
  var intercept: Double?
  var sformCode: Int
  var qformCode: Int
  var niftiVersion: Int
  var sum: Double
  var weightedSum: Double
  var min: Double?
  var max: Double?
  var nonFinite: Int
}

struct NibabelGoldens: Decodable {
  var synthetic: [String: NibabelExpectation]
  var real: [String: NibabelExpectation]

  static let loaded: NibabelGoldens = {
    let data = try! Data(contentsOf: Fixtures.committed("nifti/expected.json"))
    return try! JSONDecoder().decode(NibabelGoldens.self, from: data)
  }()
}

/// Compares one file read by NiftiIO with nibabel's view of it.
func checkAgainstNibabel(_ url: URL, _ expected: NibabelExpectation) throws {
  let image = try NiftiImage(contentsOf: url)
  let name = url.lastPathComponent
  let shape = image.grid.shape + (image.volume.channelCount > 1 ? [image.volume.channelCount] : [])
  #expect(shape == expected.shape, "\(name): shape")
  #expect(image.volume.scalarType.rawValue == expected.dtype, "\(name): dtype")
  #expect(image.header.byteOrder.rawValue == expected.byteOrder, "\(name): byte order")
  #expect(image.header.version.rawValue == expected.niftiVersion, "\(name): version")
  #expect(image.scaling?.slope == expected.slope && image.scaling?.intercept == expected.intercept, "\(name): scaling")
  // Affine to 1e-6 absolute (the figure); in practice the values are identical since
  // both compute the qform in float32 from the same header fields.
  expectClose(image.grid.affine.entries, expected.affine.flatMap { $0 }, atol: 1e-6, "\(name): affine")
  // Header pixdims and affine column norms agree for these files.
  expectClose(image.grid.spacingMillimeters, expected.zooms, atol: 1e-6, "\(name): spacing")
  // Voxel checksums of get_fdata() in float64, Fortran order (our storage order).
  let values = image.scaledVolume(as: Double.self).voxels
  var sum = 0.0, weighted = 0.0
  for (n, v) in values.enumerated() where v.isFinite {
    sum += v
    weighted += v * Double(n % 1009 + 1)
  }
  // Summation order differs from NumPy's pairwise sum; 1e-12 relative covers float64 rounding.
  expectClose([sum, weighted], [expected.sum, expected.weightedSum], rtol: 1e-12, "\(name): checksums")
  #expect(image.nonFiniteVoxelCount == expected.nonFinite, "\(name): non-finite voxels")
}

@Suite("NIfTI reading matches nibabel")
struct NibabelGoldenTests {
  @Test("synthetic files: every datatype, both byte orders, NIfTI-2, 4-D, scaled, qform-only",
    arguments: NibabelGoldens.loaded.synthetic.keys.sorted())
  func synthetic(name: String) throws {
    try checkAgainstNibabel(Fixtures.committed("nifti/\(name)"), NibabelGoldens.loaded.synthetic[name]!)
  }

  @Test("real scans written by other tools", .enabled(if: Fixtures.realDataAvailable, Fixtures.realDataSkipMessage),
    arguments: NibabelGoldens.loaded.real.keys.sorted())
  func real(name: String) throws {
    try checkAgainstNibabel(Fixtures.real(name), NibabelGoldens.loaded.real[name]!)
  }

  @Test("every datatype and byte order is covered by the goldens")
  func coverage() {
    let names = Set(NibabelGoldens.loaded.synthetic.keys)
    for type in ScalarType.allCases {
      #expect(names.contains("\(type.rawValue)_le.nii") && names.contains("\(type.rawValue)_be.nii"), "\(type)")
    }
  }
}
