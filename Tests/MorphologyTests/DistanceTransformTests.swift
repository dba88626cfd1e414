import Morphology
import Testing
import _TestSupport

/// Brute force: min over all feature voxels of the spacing-weighted squared distance.
func bruteForceSquared(_ features: [UInt8], shape: [Int], spacing: [Double]) -> [Double] {
  var points = [(Int, Int, Int)]()
  for k in 0..<shape[2] { for j in 0..<shape[1] { for i in 0..<shape[0] where features[i + shape[0] * (j + shape[1] * k)] != 0 { points.append((i, j, k)) } } }
  var out = [Double]()
  for k in 0..<shape[2] {
    for j in 0..<shape[1] {
      for i in 0..<shape[0] {
        var best = Double.infinity
        for (a, b, c) in points {
          let x = spacing[0] * Double(i - a), y = spacing[1] * Double(j - b), z = spacing[2] * Double(k - c)
          best = min(best, x * x + y * y + z * z)
        }
        out.append(best)
      }
    }
  }
  return out
}

/// Deterministic pseudo-random bytes (a linear congruential generator; the values only need to vary).
func randomMask(count: Int, density: Double, seed: UInt64) -> [UInt8] {
  var state = seed
  return (0..<count).map { _ in
    state = state &* 6364136223846793005 &+ 1442695040888963407
    return Double(state >> 11) / Double(1 << 53) < density ? 1 : 0
  }
}

@Suite("Exact Euclidean distance transform")
struct DistanceTransformTests {
  @Test("matches brute force on anisotropic random masks", arguments: [
    ([7, 5, 6], [0.8, 1.25, 3.0], 0.05, UInt64(1)),
    ([11, 9, 4], [1.40625, 1.40625, 3.0], 0.02, UInt64(2)),
    ([1, 13, 9], [2.0, 0.5, 0.7], 0.1, UInt64(3)),
    ([20, 1, 1], [0.3, 1, 1], 0.1, UInt64(4)),
    ([17, 16, 3], [1, 1, 1], 0.3, UInt64(5)),
    ([19, 18, 17], [0.9, 1.3, 2.5], 0.001, UInt64(6)),
  ])
  func bruteForce(shape: [Int], spacing: [Double], density: Double, seed: UInt64) {
    var mask = randomMask(count: shape.reduce(1, *), density: density, seed: seed)
    if !mask.contains(1) { mask[mask.count / 2] = 1 }
    let fast = DistanceTransform.squaredEuclidean(features: mask, shape: shape, spacingMillimeters: spacing)
    let slow = bruteForceSquared(mask, shape: shape, spacing: spacing)
    // Same sums in the same order except where two features tie: a few ulps at most.
    expectClose(fast, slow, rtol: 1e-14, atol: 0)
  }

  @Test("no feature: every distance is infinite")
  func empty() {
    let d = DistanceTransform.squaredEuclidean(features: [UInt8](repeating: 0, count: 24), shape: [2, 3, 4], spacingMillimeters: [1, 2, 3])
    #expect(d.allSatisfy { $0 == .infinity })
  }

  @Test("one feature: distances are the spacing-weighted offsets")
  func single() {
    var mask = [UInt8](repeating: 0, count: 4 * 3 * 5)
    mask[1 + 4 * (2 + 3 * 3)] = 1  // (1, 2, 3)
    let d = DistanceTransform.euclidean(features: mask, shape: [4, 3, 5], spacingMillimeters: [0.5, 2, 3])
    var expected = [Double]()
    for k in 0..<5 {
      for j in 0..<3 {
        for i in 0..<4 {
          let x: Double = 0.5 * Double(i - 1), y: Double = 2 * Double(j - 2), z: Double = 3 * Double(k - 3)
          let sum: Double = x * x + y * y + z * z
          expected.append(sum.squareRoot())
        }
      }
    }
    expectClose(d, expected, rtol: 0, atol: 0)
  }
}

@Suite("Boundary voxels (MONAI / scipy binary_erosion convention)")
struct BoundaryTests {
  @Test("a solid box keeps its shell", arguments: [([6, 5, 4], [1, 1, 1], [5, 4, 3]), ([8, 8, 8], [2, 2, 2], [7, 6, 5])])
  func box(shape: [Int], lower: [Int], upper: [Int]) {
    let v = Synthetic.box(shape: shape, lower: lower, upper: upper)
    let edges = Boundary.innerBoundary(of: v.voxels, shape: shape)
    let size = (0..<3).map { upper[$0] - lower[$0] }
    let interior = size.map { max($0 - 2, 0) }.reduce(1, *)
    #expect(edges.reduce(0) { $0 + Int($1) } == size.reduce(1, *) - interior)
  }

  @Test("voxels on the image border are boundary (border_value = 0)")
  func border() {
    let mask = [UInt8](repeating: 1, count: 27)
    let edges = Boundary.innerBoundary(of: mask, shape: [3, 3, 3])
    #expect(edges.reduce(0) { $0 + Int($1) } == 26)
    #expect(edges[13] == 0)
  }

  @Test("a single voxel and an empty mask")
  func tiny() {
    #expect(Boundary.innerBoundary(of: [0, 1, 0], shape: [3, 1, 1]) == [0, 1, 0])
    #expect(Boundary.innerBoundary(of: [0, 0, 0], shape: [1, 3, 1]) == [0, 0, 0])
  }

  @Test("VoxelBox union and border test")
  func voxelBox() {
    let a = VoxelBox(lower: [1, 2, 3], upper: [4, 5, 6]), b = VoxelBox(lower: [0, 3, 4], upper: [2, 7, 5])
    #expect(a.union(b) == VoxelBox(lower: [0, 2, 3], upper: [4, 7, 6]))
    #expect(a.shape == [4, 4, 4] && a.voxelCount == 64)
    #expect(!a.touchesBorder(of: [10, 10, 10]) && b.touchesBorder(of: [10, 10, 10]) && a.touchesBorder(of: [10, 10, 7]))
  }
}
