/// Where a volume's voxels sit in the world: its shape (i, j, k, in file order, i fastest) and
/// its voxel-to-world affine (mm, RAS+).
public struct ImageGrid: Equatable, Hashable, Sendable {
  /// Voxel counts along i, j, k.
  public var shape: [Int]
  public var affine: Affine

  public init(shape: [Int], affine: Affine) {
    precondition(shape.count == 3 && shape.allSatisfy { $0 >= 1 }, "ImageGrid needs 3 positive sizes, got \(shape)")
    self.shape = shape
    self.affine = affine
  }

  /// Number of voxels (i·j·k).
  public var voxelCount: Int { shape[0] * shape[1] * shape[2] }

  /// Voxel spacing in mm along i, j, k (column norms of the affine, nibabel `header.get_zooms()`
  /// for a consistent header).
  public var spacingMillimeters: [Double] { affine.columnNorms }

  /// Volume of one voxel in cubic millimetres (|det| of the linear part).
  public var voxelVolumeCubicMillimeters: Double { abs(affine.determinant) }
}
