import Foundation
import Testing
import VolumeCore
import _TestSupport

@testable import VolumeTransforms

/// Properties of `ElasticDeformation` whose answers are known without elasticdeform (its parity
/// with elasticdeform is tested on committed fixtures in VibeSegKitTests/AugmentParityTests).
@Suite("elastic deformation")
struct ElasticDeformationTests {
  static let shape = [14, 11, 9]

  static func image() -> Volume<Float> {
    var generator = SeededGenerator(seed: 7)
    let grid = ImageGrid(shape: shape, affine: .identity)
    let values = (0..<grid.voxelCount).map { index -> Float in
      let i = index % shape[0]
      let j = (index / shape[0]) % shape[1]
      let k = index / (shape[0] * shape[1])
      return Float(sin(Double(i) / 2.0) * 40 + Double(j * k)) + Float.random(in: 0..<3, using: &generator)
    }
    return Volume(grid: grid, voxels: values)
  }

  static func labels() -> AnyVolume {
    let image = image()
    return AnyVolume(Volume(grid: image.grid, voxels: image.voxels.map { UInt8(Int($0.magnitude) % 5) }))
  }

  static func field(_ p: Int, _ value: (Int) -> Double) -> ElasticDeformation {
    ElasticDeformation(controlShape: [p, p, p], displacements: (0..<(3 * p * p * p)).map(value))
  }

  @Test("zero displacement returns the image (float32 prefilter rounding only) and the labels exactly")
  func identity() {
    let input = Self.image()
    let out = Self.field(4) { _ in 0 }.apply(
      images: [input], label: Self.labels(), crop: VoxelBox(covering: Self.shape), threads: 2)
    #expect(out.outsideCount == 0)
    let scale = Double(input.voxels.map(\.magnitude).max()!)
    let worst = zip(out.images[0].voxels, input.voxels).map { Double(abs($0 - $1)) }.max()!
    // Interpolating float32 coefficients at the nodes reproduces the samples to a few float32 ulp.
    #expect(worst <= 1e-5 * scale, "worst \(worst) of \(scale)")
    guard case .uint8(let labels) = out.label!, case .uint8(let source) = Self.labels() else {
      Issue.record("label type changed")
      return
    }
    #expect(labels.voxels == source.voxels)
  }

  @Test("a constant displacement of +1 voxel along j shifts labels by one row; the last row samples outside")
  func shift() {
    let p = 3
    // D[1][...] = 1: cubic B-splines reproduce constants, so u = (0, 1, 0) everywhere.
    let field = Self.field(p) { index in index / (p * p * p) == 1 ? 1.0 : 0.0 }
    let source = Self.labels()
    let out = field.apply(images: [], label: source, crop: VoxelBox(covering: Self.shape), threads: 1)
    guard case .uint8(let shifted) = out.label!, case .uint8(let original) = source else {
      Issue.record("label type changed")
      return
    }
    let (n0, n1, n2) = (Self.shape[0], Self.shape[1], Self.shape[2])
    for k in 0..<n2 {
      for j in 0..<n1 {
        for i in 0..<n0 {
          let expected = j + 1 < n1 ? original[i, j + 1, k] : 0
          #expect(shifted[i, j, k] == expected, "voxel \(i) \(j) \(k)")
        }
      }
    }
    #expect(out.outsideCount == n0 * n2)
  }

  @Test("output does not depend on the thread count, and a crop equals the cropped full output")
  func threadsAndCrop() {
    let field = Self.field(5) { index in sin(Double(index) * 0.37) * 2.5 }
    let images = [Self.image(), Self.image()]
    let full = VoxelBox(covering: Self.shape)
    let one = field.apply(images: images, label: Self.labels(), crop: full, threads: 1)
    let three = field.apply(images: images, label: Self.labels(), crop: full, threads: 3)
    #expect(one.images.map(\.voxels) == three.images.map(\.voxels))
    #expect(one.outsideCount == three.outsideCount && one.outsideCount > 0)
    guard case .uint8(let a) = one.label!, case .uint8(let b) = three.label! else { return }
    #expect(a.voxels == b.voxels)

    let box = VoxelBox(lower: [2, 1, 3], upper: [12, 9, 8])
    let cropped = field.apply(images: images, label: Self.labels(), crop: box, threads: 2)
    #expect(cropped.images[0].voxels == one.images[0].cropped(to: box).voxels)
    #expect(cropped.images[0].grid == one.images[0].grid.cropped(to: box))
  }

  @Test("the float32 prefilter rounds after every axis pass (elasticdeform), unlike the float64 one")
  func float32Prefilter() {
    let input = Self.image()
    let single = ElasticDeformation.float32Coefficients(input.voxels, shape: Self.shape, parallel: false)
    let (double, _, _) = ResamplingEngine.cubicCoefficients(
      input.voxels.map(Double.init), shape: Self.shape, mode: .constant, parallel: false)
    // Same filter: agreement to float32 precision, but not bit-identical after rounding to float32.
    let scale = double.map(\.magnitude).max()!
    let worst = zip(single, double).map { abs(Double($0) - $1) }.max()!
    #expect(worst <= 1e-5 * scale)
    #expect(single != double.map { Float($0) })
  }
}
