import Foundation
import Testing
import VolumeCore
import VolumeTransforms
import _TestSupport

/// `Tests/Fixtures/orientation/orientation_goldens.json`, written by
/// `scripts/fixtures/make_orientation_goldens.py` (nibabel 5.4.2, numpy 2.4.6).
struct OrientationGoldens: Decodable {
  struct AxisCodes: Decodable, Sendable, CustomTestStringConvertible {
    var name: String
    var affine: [[Double]]
    var ornt: [[Int]?]
    var axcodes: [String?]
    var testDescription: String { name }
  }
  struct Reorientation: Decodable, Sendable, CustomTestStringConvertible {
    var start: String
    var target: String
    var shape: [Int]
    var channels: Int
    var affine: [[Double]]
    var transform: [[Int]?]
    var invOrntAff: [[Double]]
    var newShape: [Int]
    var newAffine: [[Double]]
    var newAxcodes: String
    var newDataFortran: [Int]
    var testDescription: String { "\(start) -> \(target)" }
  }
  struct Crop: Decodable, Sendable, CustomTestStringConvertible {
    var start: String
    var shape: [Int]
    var lower: [Int]
    var upper: [Int]
    var affine: [[Double]]
    var newShape: [Int]
    var newAffine: [[Double]]
    var testDescription: String { "\(start) \(lower)..<\(upper)" }
  }
  var versions: [String: String]
  var axcodes: [AxisCodes]
  var reorient: [Reorientation]
  var crop: [Crop]

  static let shared: OrientationGoldens = {
    let url = Fixtures.committed("orientation/orientation_goldens.json")
    do {
      let decoder = JSONDecoder()
      decoder.keyDecodingStrategy = .convertFromSnakeCase
      return try decoder.decode(OrientationGoldens.self, from: Data(contentsOf: url))
    } catch {
      fatalError(
        "cannot read \(url.path): \(error); run scripts/fixtures/make_orientation_goldens.py")
    }
  }()
}

private func orientationArray(_ rows: [[Int]?]) -> OrientationArray {
  OrientationArray(rows.map { $0.map { OrientationArray.Row(axis: $0[0], direction: $0[1]) } })
}

@Suite("Orientation goldens from nibabel")
struct OrientationGoldenTests {
  @Test("the fixture records the nibabel version it reproduces")
  func versions() {
    #expect(OrientationGoldens.shared.versions["nibabel"] == "5.4.2")
    #expect(OrientationGoldens.shared.axcodes.count >= 20)
  }

  @Test("io_orientation and aff2axcodes", arguments: OrientationGoldens.shared.axcodes)
  func axisCodes(_ golden: OrientationGoldens.AxisCodes) throws {
    let affine = Affine(rows: golden.affine)
    let ornt = try #require(OrientationArray(ioOrientationOf: affine))
    #expect(ornt == orientationArray(golden.ornt))
    let codes = try #require(affine.axisCodes)
    #expect(codes.map { $0.map { String($0.rawValue) } } == golden.axcodes)
    let complete = golden.axcodes.allSatisfy { $0 != nil }
    #expect((Orientation(of: affine) != nil) == complete)
    if complete {
      #expect(Orientation(of: affine)?.code == golden.axcodes.map { $0! }.joined())
      #expect(ImageGrid(shape: [2, 3, 4], affine: affine).orientation == Orientation(of: affine))
    }
  }

  @Test(
    "as_reoriented: transform, inv_ornt_aff, shape, affine and voxel order",
    arguments: OrientationGoldens.shared.reorient)
  func reorientation(_ golden: OrientationGoldens.Reorientation) throws {
    let affine = Affine(rows: golden.affine)
    let target = try #require(Orientation(golden.target))
    let ramp = Synthetic.ramp(
      Float.self, shape: golden.shape, channels: golden.channels, affine: affine
    ) {
      i, j, k, c in Double(i + 10 * j + 100 * k + 1000 * c)
    }
    let transform = try ramp.grid.orientationTransform(to: target)
    #expect(transform == orientationArray(golden.transform))
    // inv_ornt_aff holds only 0, ±1 and shape - 1: exact.
    #expect(transform.inverseAffine(shape: golden.shape) == Affine(rows: golden.invOrntAff))

    let reoriented = try ramp.reoriented(to: target)
    #expect(reoriented.shape == golden.newShape)
    #expect(reoriented.channelCount == golden.channels)
    // A·inv_ornt_aff sums at most 3 products with integer factors; 1e-12 mm allows for BLAS's
    // summation order in numpy.dot.
    expectClose(
      reoriented.grid.affine.entries, Affine(rows: golden.newAffine).entries, atol: 1e-12)
    #expect(reoriented.grid.orientation?.code == golden.newAxcodes)
    #expect(reoriented.voxels.map { Int($0) } == golden.newDataFortran)

    // The kernel works on raw bytes per element size: every size must give the same voxel order.
    let asInt16 = ramp.converted(to: Int16.self).reoriented(using: transform)
    #expect(asInt16.voxels.map { Int($0) } == golden.newDataFortran)
    let asDouble = ramp.converted(to: Double.self).reoriented(using: transform)
    #expect(asDouble.voxels.map { Int($0) } == golden.newDataFortran)
    let asUInt8 = Synthetic.ramp(
      UInt8.self, shape: golden.shape, channels: golden.channels, affine: affine
    ) {
      i, j, k, c in Double((i + 7 * j + 49 * k + 150 * c) % 256)
    }.reoriented(using: transform)
    #expect(
      asUInt8.voxels.map { Int($0) }
        == golden.newDataFortran.map { value in
          let (i, j, k, c) = (value % 10, value / 10 % 10, value / 100 % 10, value / 1000)
          return (i + 7 * j + 49 * k + 150 * c) % 256
        })
  }

  @Test("crop affine equals nibabel's img.slicer affine", arguments: OrientationGoldens.shared.crop)
  func cropAffine(_ golden: OrientationGoldens.Crop) {
    let grid = ImageGrid(shape: golden.shape, affine: Affine(rows: golden.affine))
    let cropped = grid.cropped(to: VoxelBox(lower: golden.lower, upper: golden.upper))
    #expect(cropped.shape == golden.newShape)
    // affine.dot(T) with integer offsets: 1e-12 mm covers BLAS summation order.
    expectClose(cropped.affine.entries, Affine(rows: golden.newAffine).entries, atol: 1e-12)
  }
}
