import Foundation
import Testing
import VolumeCore
import VolumeStitching
import _TestSupport

/// Edge cases of `Stitching` on synthetic stations whose answers are known analytically.
@Suite("Stitching edge cases")
struct StitchEdgeCaseTests {
  /// An axis-aligned float32 station of `shape` at 2 x 2 x 3 mm starting at z = `z0` mm, value `value`.
  static func station(_ shape: [Int], z0: Double, value: Float, name: String) -> StitchStation {
    let grid = ImageGrid(shape: shape, affine: Affine.scaling([2, 2, 3], origin: [0, 0, z0]))
    return StitchStation(volume: AnyVolume(Volume(grid: grid, repeating: value)), name: name)
  }

  @Test("fewer than two stations are refused")
  func tooFew() {
    #expect(throws: StitchError.self) { try Stitching().stitch([Self.station([4, 4, 4], z0: 0, value: 1, name: "a")]) }
    do {
      _ = try Stitching().stitch([])
    } catch {
      #expect(error.code == .tooFewStations)
    }
  }

  @Test("a station that is not one 3-D volume is named")
  func notThreeDimensional() {
    let grid = ImageGrid(shape: [4, 4, 4], affine: .identity)
    let fourD = StitchStation(
      volume: AnyVolume(Volume<Float>(grid: grid, channelCount: 2, repeating: 1)), name: "fourD.nii.gz")
    do {
      _ = try Stitching().stitch([Self.station([4, 4, 4], z0: 0, value: 1, name: "a"), fourD])
      Issue.record("no error")
    } catch {
      #expect(error.code == .invalidStation && error.station == "fourD.nii.gz")
    }
  }

  @Test("an overlap of n planes blends with weights k/(n+1)")
  func linearRamp() throws {
    // 20 planes each, the second starting 14 planes later: an overlap of 6 planes.
    let a = Self.station([6, 6, 20], z0: 0, value: 100, name: "a")
    let b = Self.station([6, 6, 20], z0: 14 * 3, value: 200, name: "b")
    var options = StitchOptions(outputType: .scalar(.float64), grid: .centered)
    let result = try Stitching(options: options).stitch([a, b])
    #expect(result.volume.grid.shape == [6, 6, 34])
    let v = result.volume.converted(to: Double.self)
    for (offset, k) in (14..<20).enumerated() {
      let wa = Double(6 - offset) / 7
      #expect(abs(v[3, 3, k] - (100 * wa + 200 * (1 - wa))) < 1e-3, "plane \(k)")
    }
    #expect(v[3, 3, 0] == 100 && v[3, 3, 33] == 200, "centered grid keeps the first and last planes")
    #expect(result.report.pairs == [StitchPair(first: 0, second: 1, overlapVoxels: 6 * 6 * 6)])
    // The TPTBox grid loses the first plane and leaves the last empty.
    options.grid = .tptbox
    let upstream = try Stitching(options: options).stitch([a, b]).volume.converted(to: Double.self)
    #expect(upstream.shape == [6, 6, 34])
    #expect(upstream[5, 5, 33] == 0 && upstream[0, 0, 0] == 100)
  }

  @Test("an exclusive part thinner than the ramp anchors the ramp unopened, with a warning")
  func thinExclusiveRegion() throws {
    // b extends only 2 planes beyond a: its exclusive slab vanishes under a 5-voxel opening.
    let a = Self.station([8, 8, 20], z0: 0, value: 100, name: "a")
    let b = Self.station([8, 8, 12], z0: 10 * 3, value: 200, name: "b")
    let result = try Stitching(options: StitchOptions(grid: .centered)).stitch([a, b])
    #expect(result.report.warnings.contains { $0.contains("thinner than --ramp 5") })
    let v = result.volume.converted(to: Double.self)
    for k in 0..<v.shape[2] {
      #expect(
        v[4, 4, k] >= 100 - 1e-3 && v[4, 4, k] <= 200 + 1e-3, "plane \(k) blends between the stations: \(v[4, 4, k])")
    }
  }

  @Test("with kick-out off a contained station only warns")
  func keepContained() throws {
    let outer = Self.station([10, 10, 20], z0: 0, value: 100, name: "outer")
    let inner = StitchStation(
      volume: AnyVolume(
        Volume<Float>(
          grid: ImageGrid(shape: [4, 4, 4], affine: Affine.scaling([2, 2, 3], origin: [6, 6, 15])), repeating: 50)),
      name: "inner")
    var options = StitchOptions(grid: .centered)
    options.kickOutContained = false
    let result = try Stitching(options: options).stitch([outer, inner])
    #expect(result.report.kickedOut.isEmpty)
    #expect(result.report.warnings.contains { $0.contains("inner lies fully inside outer") })
    // The contained station has weight 0: the outer values stay.
    #expect(result.volume.converted(to: Double.self)[5, 5, 6] == 100)
    options.kickOutContained = true
    #expect(throws: StitchError.self) { try Stitching(options: options).stitch([outer, inner]) }
  }

  @Test("--min-spacing is a lower bound that coarsens the grid")
  func minSpacing() throws {
    let a = Self.station([6, 6, 10], z0: 0, value: 1, name: "a")
    let b = Self.station([6, 6, 10], z0: 27, value: 1, name: "b")
    let result = try Stitching(options: StitchOptions(minSpacing: 2.5)).stitch([a, b])
    #expect(result.volume.grid.spacingMillimeters == [2.5, 2.5, 3])
  }

  @Test("single-slice stations work (upstream's convex hull throws on them)")
  func singleSlices() throws {
    let a = Self.station([6, 6, 1], z0: 0, value: 10, name: "a")
    let b = Self.station([6, 6, 1], z0: 3, value: 20, name: "b")
    let result = try Stitching(options: StitchOptions(grid: .centered)).stitch([a, b])
    #expect(result.volume.grid.shape == [6, 6, 2])
    let v = result.volume.converted(to: Double.self)
    #expect(v[0, 0, 0] == 10 && v[5, 5, 1] == 20)
    // TPTBox's grid starts one plane later: the first station falls outside it entirely.
    let upstream = try Stitching().stitch([a, b])
    #expect(upstream.volume.grid.shape == [6, 6, 2])
    #expect(upstream.report.stations.map(\.occupiedVoxels) == [0, 25])
  }
}
