/// A box of voxels in i, j, k (file order): `lower` inclusive, `upper` exclusive per axis, as
/// Python slices `arr[lower[0]:upper[0], lower[1]:upper[1], lower[2]:upper[2]]` and nnU-Net's
/// `bbox_used_for_cropping` (`[[lo_i, hi_i], [lo_j, hi_j], [lo_k, hi_k]]`, in its own axis order).
public struct VoxelBox: Hashable, Sendable, Codable, CustomStringConvertible {
  /// First voxel index inside the box per axis.
  public var lower: [Int]
  /// One past the last voxel index inside the box per axis.
  public var upper: [Int]

  /// - Precondition: three entries each and `lower[n] <= upper[n]`.
  public init(lower: [Int], upper: [Int]) {
    precondition(
      lower.count == 3 && upper.count == 3 && zip(lower, upper).allSatisfy { $0 <= $1 },
      "VoxelBox needs 3 lower <= upper bounds, got \(lower) ..< \(upper)")
    self.lower = lower
    self.upper = upper
  }

  /// The box covering a whole grid of `shape`: `[0, shape[n])` per axis.
  public init(covering shape: [Int]) {
    self.init(lower: [0, 0, 0], upper: shape)
  }

  /// Voxel counts along i, j, k: `upper - lower`.
  public var shape: [Int] { zip(upper, lower).map { $0 - $1 } }

  public var voxelCount: Int { shape.reduce(1, *) }

  /// True when some axis has no voxels.
  public var isEmpty: Bool { zip(lower, upper).contains { $0 == $1 } }

  public func contains(_ i: Int, _ j: Int, _ k: Int) -> Bool {
    (lower[0]..<upper[0]).contains(i) && (lower[1]..<upper[1]).contains(j)
      && (lower[2]..<upper[2]).contains(k)
  }

  /// True when the box lies inside a grid of `shape` (`0 <= lower`, `upper <= shape`).
  public func isInside(shape: [Int]) -> Bool {
    shape.count == 3 && lower.allSatisfy { $0 >= 0 } && zip(upper, shape).allSatisfy { $0 <= $1 }
  }

  /// The box grown by `margin` voxels on both sides of every axis and clipped to a grid of
  /// `shape` (a negative margin shrinks it, never below empty).
  public func expanded(by margin: Int, clippedTo shape: [Int]) -> VoxelBox {
    let lo = (0..<3).map { min(max(lower[$0] - margin, 0), shape[$0]) }
    let hi = (0..<3).map { max(min(upper[$0] + margin, shape[$0]), lo[$0]) }
    return VoxelBox(lower: lo, upper: hi)
  }

  /// `[lo_i, hi_i) x [lo_j, hi_j) x [lo_k, hi_k)`.
  public var description: String {
    (0..<3).map { "[\(lower[$0]), \(upper[$0]))" }.joined(separator: " x ")
  }
}
