/// An axis-aligned box of voxel indices, bounds inclusive, in file order (i, j, k).
public struct VoxelBox: Equatable, Hashable, Sendable, Codable {
  /// Smallest index per axis (inclusive).
  public var lower: [Int]
  /// Largest index per axis (inclusive).
  public var upper: [Int]

  public init(lower: [Int], upper: [Int]) {
    precondition(lower.count == 3 && upper.count == 3 && (0..<3).allSatisfy { lower[$0] <= upper[$0] },
      "VoxelBox: invalid bounds \(lower) ... \(upper)")
    self.lower = lower
    self.upper = upper
  }

  /// Voxel counts along i, j, k.
  public var shape: [Int] { (0..<3).map { upper[$0] - lower[$0] + 1 } }

  public var voxelCount: Int { shape.reduce(1, *) }

  /// The smallest box holding both.
  public func union(_ other: VoxelBox) -> VoxelBox {
    VoxelBox(lower: (0..<3).map { min(lower[$0], other.lower[$0]) },
      upper: (0..<3).map { max(upper[$0], other.upper[$0]) })
  }

  /// Whether the box reaches the first or last voxel of `shape` on any axis.
  public func touchesBorder(of shape: [Int]) -> Bool {
    (0..<3).contains { lower[$0] == 0 || upper[$0] == shape[$0] - 1 }
  }
}
