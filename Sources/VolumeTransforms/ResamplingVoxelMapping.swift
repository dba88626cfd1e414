import VolumeCore

/// An affine map from output voxel indices to input voxel coordinates, scipy.ndimage
/// `affine_transform`'s `(matrix, offset)`: output voxel `o = (i, j, k)` samples the input at
///
///     x[h] = offset[h] + o[0]·matrix[h][0] + o[1]·matrix[h][1] + o[2]·matrix[h][2]
///
/// summed in exactly that order (scipy's `NI_GeometricTransform`), for h = 0, 1, 2 (axis 0 = i).
public struct VoxelMapping: Hashable, Sendable, CustomStringConvertible {
  /// Row-major 3x3 linear part.
  public var matrix: [[Double]]
  /// Translation in input voxels.
  public var offset: [Double]

  /// - Precondition: `matrix` is 3x3 and `offset` has 3 entries.
  public init(matrix: [[Double]], offset: [Double]) {
    precondition(matrix.count == 3 && matrix.allSatisfy { $0.count == 3 } && offset.count == 3,
      "VoxelMapping needs a 3x3 matrix and 3 offsets")
    self.matrix = matrix
    self.offset = offset
  }

  /// The identity map.
  public static let identity = VoxelMapping(matrix: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], offset: [0, 0, 0])

  /// Takes the linear part and translation of a 4x4 voxel-to-voxel affine (nibabel `to_matvec`).
  public init(_ affine: Affine) {
    self.init(matrix: affine.linearPart, offset: affine.origin)
  }

  /// The map that samples an image with voxel-to-world affine `input` at the voxel centres of a
  /// grid with affine `output`: `inv(input) · output`, as nibabel/TPTBox
  /// `npl.inv(from_affine).dot(to_affine)`.
  ///
  /// The inverse and the product follow NumPy's arithmetic where it matters for exactness:
  /// LU with partial pivoting and reciprocal multiplication (OpenBLAS `dgesv`), so that an
  /// axis-aligned affine with spacing `d` and origin `t` inverts to exactly `1/d` and
  /// `-(t · (1/d))`, and products are summed left to right. For axis-aligned and permuted grids
  /// this gives NumPy's bits (so order-0 half-voxel ties fall the same way); for oblique grids it
  /// agrees to about 1e-16 relative.
  ///
  /// - Returns: nil when `input` is singular or not finite.
  public init?(sampling input: Affine, at output: Affine) {
    guard input.isFinite, output.isFinite, let inverse = NumPyLinearAlgebra.inverse(input.rows) else { return nil }
    let product = NumPyLinearAlgebra.product(inverse, output.rows)
    self.init(matrix: (0..<3).map { r in Array(product[r][0..<3]) }, offset: (0..<3).map { product[$0][3] })
  }

  /// True when every off-diagonal entry is exactly zero (an axis-aligned scaling and shift).
  public var isDiagonal: Bool {
    (0..<3).allSatisfy { r in (0..<3).allSatisfy { c in r == c || matrix[r][c] == 0 } }
  }

  /// The input coordinate of output voxel `o`, in scipy's summation order.
  @inlinable public func inputCoordinate(of o: [Int]) -> [Double] {
    (0..<3).map { h in
      var t = offset[h]
      t += Double(o[0]) * matrix[h][0]
      t += Double(o[1]) * matrix[h][1]
      t += Double(o[2]) * matrix[h][2]
      return t
    }
  }

  public var description: String {
    "VoxelMapping(matrix: \(matrix), offset: \(offset))"
  }
}

/// The few dense linear-algebra operations TPTBox and nibabel perform with NumPy, reproduced
/// with NumPy's (LAPACK/OpenBLAS) operation order for small matrices.
enum NumPyLinearAlgebra {
  /// `numpy.linalg.inv` of a small square matrix: LU factorisation with partial pivoting
  /// (first largest |pivot|, rows swapped, multipliers scaled by the reciprocal pivot), then
  /// `A X = I` solved by unit-lower forward and upper backward substitution, each backward step
  /// multiplying by the reciprocal of the diagonal (OpenBLAS `trsm`). nil when a pivot is 0 or
  /// the result is not finite.
  static func inverse(_ matrix: [[Double]]) -> [[Double]]? {
    let n = matrix.count
    var a = matrix
    var permutation = Array(0..<n)
    for j in 0..<n {
      var pivot = j
      for i in (j + 1)..<n where abs(a[i][j]) > abs(a[pivot][j]) { pivot = i }
      guard a[pivot][j] != 0, a[pivot][j].isFinite else { return nil }
      if pivot != j {
        a.swapAt(pivot, j)
        permutation.swapAt(pivot, j)
      }
      let reciprocal = 1.0 / a[j][j]
      for i in (j + 1)..<n {
        a[i][j] *= reciprocal
        for k in (j + 1)..<n { a[i][k] -= a[i][j] * a[j][k] }
      }
    }
    var inverse = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
    for column in 0..<n {
      // b = P · e_column
      var b = (0..<n).map { permutation[$0] == column ? 1.0 : 0.0 }
      for k in 0..<n { for i in (k + 1)..<n { b[i] -= b[k] * a[i][k] } }
      for k in stride(from: n - 1, through: 0, by: -1) {
        b[k] *= 1.0 / a[k][k]
        for i in 0..<k { b[i] -= b[k] * a[i][k] }
      }
      for r in 0..<n { inverse[r][column] = b[r] }
    }
    guard inverse.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { return nil }
    return inverse
  }

  /// Matrix product with each entry summed left to right (`a[r][0]·b[0][c] + a[r][1]·b[1][c] + ...`).
  static func product(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] {
    a.map { row in
      (0..<b[0].count).map { c in
        var sum = row[0] * b[0][c]
        for k in 1..<row.count { sum += row[k] * b[k][c] }
        return sum
      }
    }
  }
}
