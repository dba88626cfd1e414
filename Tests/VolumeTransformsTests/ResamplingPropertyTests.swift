import Foundation
import Testing
import VolumeCore
import VolumeTransforms
import _TestSupport

/// A smooth test volume with noise-like detail (deterministic).
private func wavy(_ shape: [Int], affine: Affine = .identity, channels: Int = 1) -> Volume<Double> {
  Synthetic.ramp(Double.self, shape: shape, channels: channels, affine: affine) { i, j, k, c in
    let x = Double(i), y = Double(j), z = Double(k)
    return 100 * sin(0.7 * x + 0.3) * cos(0.5 * y - 0.2) + 7 * z + Double((i * 7919 + j * 104729 + k * 31 + c * 17) % 13) - 10 * Double(c)
  }
}

@Suite("Resampling properties")
struct ResamplingPropertyTests {
  static let mappings: [(String, VoxelMapping)] = [
    ("diagonal", VoxelMapping(matrix: [[0.7, 0, 0], [0, 1.3, 0], [0, 0, 0.55]], offset: [-0.4, 0.25, 1.1])),
    ("oblique", VoxelMapping(matrix: [[0.9, 0.2, -0.1], [-0.15, 1.1, 0.05], [0.1, 0.0, 0.8]], offset: [0.5, -1, 0.3])),
  ]

  @Test("results do not depend on the thread count", arguments: [InterpolationOrder.nearest, .linear, .cubic], [BoundaryMode.nearest, .constant])
  func threadIndependence(order: InterpolationOrder, mode: BoundaryMode) {
    let volume = wavy([23, 19, 17])
    for (_, mapping) in Self.mappings {
      let grid = ImageGrid(shape: [29, 15, 21], affine: .identity)
      let serial = volume.resampledInternal(through: mapping, onto: grid, order: order, mode: mode, cval: -5, as: Double.self, parallel: false)
      let parallel = volume.resampledInternal(through: mapping, onto: grid, order: order, mode: mode, cval: -5, as: Double.self, parallel: true)
      // Bitwise: every voxel is computed by the same operations whichever thread runs it.
      #expect(serial.voxels.map(\.bitPattern) == parallel.voxels.map(\.bitPattern))
    }
  }

  @Test("the identity map reproduces the input (exactly for orders 0 and 1)", arguments: [InterpolationOrder.nearest, .linear, .cubic])
  func identity(order: InterpolationOrder) {
    let volume = wavy([9, 8, 7])
    let result = volume.resampled(through: .identity, onto: volume.grid, order: order)
    if order == .cubic {
      // The cubic spline interpolates its samples; prefilter and evaluation round at ~1e-16 relative.
      expectClose(result.voxels, volume.voxels, rtol: 0, atol: 1e-12)
    } else {
      #expect(result.voxels == volume.voxels)
    }
  }

  @Test("separable and general paths agree for diagonal matrices", arguments: [InterpolationOrder.nearest, .cubic], [BoundaryMode.nearest, .constant])
  func pathsAgree(order: InterpolationOrder, mode: BoundaryMode) {
    let volume = wavy([15, 12, 10])
    let mapping = Self.mappings[0].1
    let shape = [20, 10, 19]
    let input = volume.voxels
    let separable = ResamplingEngine.separable(input, shape: volume.shape,
      coordinates: ResamplingEngine.separableCoordinates(mapping, outputShape: shape, order: order, mode: mode)!,
      order: order, mode: mode, cval: 2.5, parallel: true)
    let general = ResamplingEngine.general(input, shape: volume.shape, mapping: mapping, outputShape: shape,
      order: order, mode: mode, cval: 2.5, parallel: true)
    // Same sums regrouped per axis: ~1e-15 relative on values of ~100.
    expectClose(separable, general, rtol: 0, atol: 1e-11)
    if order == .nearest { #expect(separable == general) }
  }

  @Test("a nearly diagonal matrix (1e-17 off-diagonal) stays within 1e-9 of the exact general path")
  func nearlyDiagonal() {
    let volume = wavy([15, 12, 10])
    let mapping = VoxelMapping(matrix: [[0.7, 1e-17, 0], [-2e-17, 1.3, 0], [0, 3e-17, 0.55]], offset: [-0.4, 0.25, 1.1])
    let shape = [20, 10, 19]
    #expect(ResamplingEngine.separableCoordinates(mapping, outputShape: shape, order: .cubic, mode: .nearest) != nil)
    #expect(ResamplingEngine.separableCoordinates(mapping, outputShape: shape, order: .nearest, mode: .nearest) == nil)
    #expect(ResamplingEngine.separableCoordinates(mapping, outputShape: shape, order: .cubic, mode: .constant) == nil)
    let fast = ResamplingEngine.affineTransform(volume.voxels, shape: volume.shape, mapping: mapping, outputShape: shape, order: .cubic, mode: .nearest, cval: 0)
    let exact = ResamplingEngine.general(volume.voxels, shape: volume.shape, mapping: mapping, outputShape: shape, order: .cubic, mode: .nearest, cval: 0, parallel: true)
    expectClose(fast, exact, rtol: 0, atol: 1e-9)
  }

  @Test("scipy's integer store: t ± 0.5, clamp, truncate")
  func integerCast() {
    let values: [Double] = [0.5, -0.5, 1.5, 2.5, -2.5, 0.49999999999999994, 40000, -40000, 32767.4, .nan, -0.4]
    #expect(ResamplingConversion.convert(values, to: Int16.self) == [1, -1, 2, 3, -3, 1, 32767, -32768, 32767, 0, 0])
    #expect(ResamplingConversion.convert(values, to: UInt8.self) == [1, 0, 2, 3, 0, 1, 255, 0, 255, 0, 0])
    #expect(ResamplingConversion.convert([1e30, -1e30, 9.3e18], to: Int64.self) == [.max, .min, .max])
    #expect(ResamplingConversion.convert([0.1], to: Float.self) == [Float(0.1)])
  }

  @Test("4-D volumes are resampled channel by channel")
  func channels() {
    let volume = wavy([8, 7, 6], channels: 3)
    let grid = ImageGrid(shape: [5, 9, 4], affine: .scaling([1.5, 0.8, 1.4]))
    let all = volume.resampled(onto: grid, order: .cubic)
    #expect(all.channelCount == 3)
    for c in 0..<3 {
      let one = volume.channel(c).resampled(onto: grid, order: .cubic)
      #expect(Array(all.voxels[(c * grid.voxelCount)..<((c + 1) * grid.voxelCount)]) == one.voxels)
    }
  }

  @Test("AnyVolume keeps the scalar type")
  func anyVolume() throws {
    let volume = AnyVolume(Synthetic.ramp(Int16.self, shape: [6, 6, 6], affine: .scaling([1, 1, 1])))
    let rescaled = try volume.rescaled(toSpacing: [2, 1.5, 1], order: .cubic)
    #expect(rescaled.scalarType == .int16)
    #expect(rescaled.grid.shape == [3, 4, 6])
    let labels = AnyVolume(Synthetic.box(shape: [6, 6, 6], lower: [1, 1, 1], upper: [4, 4, 4], label: 7))
    let back = labels.resampled(onto: ImageGrid(shape: [12, 12, 12], affine: .scaling([0.5, 0.5, 0.5])), order: .nearest)
    #expect(back.scalarType == .uint8)
    let values = Set(back.converted(to: UInt8.self).voxels)
    #expect(values == [0, 7])
  }

  @Test("resized keeps the shape unchanged when equal and clips to the input range")
  func resized() throws {
    let volume = wavy([8, 7, 6])
    #expect(try volume.resized(toShape: [8, 7, 6], order: .cubic).voxels == volume.voxels)
    let up = try volume.resized(toShape: [16, 13, 11], order: .cubic)
    let range = volume.valueRange!
    #expect(up.voxels.allSatisfy { $0 >= range.min && $0 <= range.max })
    // Grid-mode geometry: the new first voxel centre lies a quarter input voxel inside voxel 0.
    #expect(abs(up.grid.affine.origin[0] - (-0.25)) < 1e-15)
  }

  @Test("VoxelMapping inverts axis-aligned affines with NumPy's bits: 1/d and -(t·(1/d))")
  func numpyInverse() throws {
    let source = Affine.scaling([0.7, 1.3, 2.9], origin: [-123.4, 56.7, 8.9])
    let mapping = try #require(VoxelMapping(sampling: source, at: .identity))
    #expect(mapping.matrix[0][0] == 1 / 0.7 && mapping.matrix[1][1] == 1 / 1.3 && mapping.matrix[2][2] == 1 / 2.9)
    #expect(mapping.offset == [-(-123.4 * (1 / 0.7)), -(56.7 * (1 / 1.3)), -(8.9 * (1 / 2.9))])
    #expect(VoxelMapping(sampling: Affine.scaling([1, 0, 1]), at: .identity) == nil)
  }
}
