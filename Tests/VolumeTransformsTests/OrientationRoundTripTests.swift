import Foundation
import Testing
import VolumeCore
import VolumeTransforms
import _TestSupport

/// A near-axis oblique affine (rotations of a few degrees, anisotropic spacing, voxel axes
/// pointing L, I, P) for a non-cubic 5x7x3 grid.
private let obliqueLIP: Affine = {
  let (a, b) = (8.0 * Double.pi / 180, -5.0 * Double.pi / 180)
  // Columns: i -> mostly -x, j -> mostly -z, k -> mostly -y; spacing 0.9, 1.3, 2.7 mm.
  let rows: [[Double]] = [
    [-0.9 * cos(b), 1.3 * sin(a) * 0.2, 2.7 * sin(b), 12.5],
    [0.9 * sin(b), -1.3 * sin(a), -2.7 * cos(a), -40.25],
    [0.9 * sin(a) * 0.3, -1.3 * cos(a), 2.7 * sin(a), 71],
    [0, 0, 0, 1],
  ]
  return Affine(rows: rows)
}()

/// Value encoding the source voxel: i + 10 j + 100 k + 1000 c.
private func encodedRamp() -> Volume<Float> {
  Synthetic.ramp(Float.self, shape: [5, 7, 3], channels: 2, affine: obliqueLIP) { i, j, k, c in
    Double(i + 10 * j + 100 * k + 1000 * c)
  }
}

@Suite("Reorientation round trips")
struct OrientationRoundTripTests {
  @Test("the synthetic affine is oblique but near LIP")
  func startOrientation() {
    #expect(obliqueLIP.orientation == Orientation("LIP"))
  }

  @Test(
    "each of the 48 orientations and back restores voxels and affine", arguments: Orientation.all)
  func roundTrip(_ target: Orientation) throws {
    let volume = encodedRamp()
    let reoriented = try volume.reoriented(to: target)
    #expect(reoriented.grid.orientation == target)
    #expect(reoriented.channelCount == 2)
    #expect(reoriented.shape.sorted() == [3, 5, 7])
    #expect(try volume.grid.reoriented(to: target) == reoriented.grid)
    let back = try reoriented.reoriented(to: Orientation("LIP")!)
    #expect(back.shape == volume.shape)
    #expect(back.voxels == volume.voxels)
    // The affine goes through two products with 0/±1/integer matrices: 1e-9 mm is far above rounding.
    #expect(back.grid.affine.maxAbsDifference(to: volume.grid.affine) <= 1e-9)
  }

  @Test("every voxel keeps its world position", arguments: Orientation.all)
  func worldPositionsKept(_ target: Orientation) throws {
    let volume = encodedRamp()
    let reoriented = try volume.reoriented(to: target)
    let n = reoriented.shape
    for c in 0..<2 {
      for k in 0..<n[2] {
        for j in 0..<n[1] {
          for i in 0..<n[0] {
            let code = Int(reoriented[i, j, k, channel: c])
            #expect(code / 1000 == c)
            let source = [code % 10, code / 10 % 10, code / 100 % 10].map(Double.init)
            let here = reoriented.grid.affine.apply([Double(i), Double(j), Double(k)])
            let there = volume.grid.affine.apply(source)
            // Positions up to ~80 mm from products with integer voxel indices: 1e-9 mm.
            expectClose(here, there, atol: 1e-9)
          }
        }
      }
    }
  }

  @Test("reorient(to:) mutates in place and AnyVolume dispatches to the same result")
  func mutatingAndAnyVolume() throws {
    let volume = encodedRamp().converted(to: Int16.self)
    var copy = volume
    try copy.reorient(to: .ras)
    let expected = try volume.reoriented(to: .ras)
    #expect(copy.voxels == expected.voxels && copy.grid == expected.grid)
    var any = AnyVolume(volume)
    try any.reorient(to: .ras)
    guard case .int16(let fromAny) = any else {
      Issue.record("AnyVolume changed its scalar type to \(any.scalarType)")
      return
    }
    #expect(fromAny.voxels == expected.voxels && fromAny.grid == expected.grid)
    #expect(try AnyVolume(volume).reoriented(to: .pir).grid.orientation == .pir)
  }

  @Test("the identity transform returns the volume unchanged (nibabel returns the same image)")
  func identity() throws {
    let volume = encodedRamp()
    let same = try volume.reoriented(to: Orientation("LIP")!)
    #expect(same.voxels == volume.voxels && same.grid == volume.grid)
    #expect(volume.reoriented(using: .identity).grid == volume.grid)
  }

  @Test("a singular affine throws instead of guessing an orientation")
  func singularAffine() {
    let flat = Affine(rows: [[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    let volume = Volume<UInt8>(grid: ImageGrid(shape: [2, 2, 2], affine: flat), repeating: 1)
    #expect(Orientation(of: flat) == nil)
    #expect(flat.axisCodes! == [.right, nil, .superior])
    #expect(throws: OrientationError.self) { try volume.reoriented(to: .ras) }
    let nan = Affine(entries: [.nan] + Array(Affine.identity.entries.dropFirst()))
    #expect(OrientationArray(ioOrientationOf: nan) == nil)
    #expect(nan.axisCodes == nil)
  }
}

@Suite("Orientation arrays")
struct OrientationArrayTests {
  @Test(
    "axcodes2ornt and ornt2axcodes are inverse for all 48 orientations", arguments: Orientation.all)
  func axisCodesRoundTrip(_ orientation: Orientation) {
    let array = OrientationArray(orientation)
    #expect(array.orientation == orientation)
    #expect(array.isComplete)
  }

  @Test("ornt_transform composed with its inverse is the identity", arguments: Orientation.all)
  func inverse(_ end: Orientation) throws {
    let start = OrientationArray(Orientation("PIR")!)
    let transform = try #require(start.transform(to: OrientationArray(end)))
    let back = try #require(OrientationArray(end).transform(to: start))
    #expect(transform.inverse == back)
    #expect(transform.inverse.inverse == transform)
    #expect(OrientationArray(end).transform(to: OrientationArray(end)) == .identity)
  }

  @Test("small transforms match values printed by nibabel 5.4.2")
  func nibabelValues() {
    // ornt_transform(axcodes2ornt('RAS'), axcodes2ornt('LPS')) == [[0, -1], [1, -1], [2, 1]]
    let rasToLPS = OrientationArray(.ras).transform(to: OrientationArray(.lps))
    #expect(rasToLPS == OrientationArray(pairs: [(0, -1), (1, -1), (2, 1)]))
    // inv_ornt_aff([[1, -1], [0, 1], [2, 1]], (4, 5, 6)): x = -x'[1] + 3, y = x'[0], z = x'[2]
    let affine = OrientationArray(pairs: [(1, -1), (0, 1), (2, 1)]).inverseAffine(shape: [4, 5, 6])
    #expect(affine == Affine(rows: [[0, -1, 0, 3], [1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]))
    #expect(
      OrientationArray(pairs: [(1, -1), (0, 1), (2, 1)]).transformedShape([4, 5, 6]) == [5, 4, 6])
    #expect(
      OrientationArray(pairs: [(1, -1), (0, 1), (2, 1)]).description == "[[1, -1], [0, 1], [2, 1]]")
  }

  @Test("a dropped axis makes ornt_transform fail, as nibabel's ValueError")
  func droppedAxis() {
    let partial = OrientationArray([
      .init(axis: 0, direction: 1), nil, .init(axis: 2, direction: 1),
    ])
    #expect(!partial.isComplete)
    #expect(partial.orientation == nil)
    #expect(partial.transform(to: .identity) == nil)
    #expect(partial.description == "[[0, 1], [nan, nan], [2, 1]]")
  }
}
