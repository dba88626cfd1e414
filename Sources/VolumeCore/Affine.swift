/// A 4x4 homogeneous voxel-to-world transform in millimetres, as NIfTI's sform/qform and nibabel's
/// `img.affine`: `world = A · [i, j, k, 1]ᵀ`, world axes in RAS+ (x to the Right, y Anterior,
/// z Superior). Stored row-major.
public struct Affine: Equatable, Hashable, Sendable, CustomStringConvertible {
  /// Row-major 16 entries; the last row is normally `[0, 0, 0, 1]`.
  public var entries: [Double]

  public init(rows: [[Double]]) {
    precondition(rows.count == 4 && rows.allSatisfy { $0.count == 4 }, "Affine needs 4x4 rows")
    entries = rows.flatMap { $0 }
  }

  public init(entries: [Double]) {
    precondition(entries.count == 16, "Affine needs 16 entries")
    self.entries = entries
  }

  public static let identity = Affine(entries: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])

  /// A diagonal affine with the given voxel spacing (mm) and origin (world position of voxel 0).
  public static func scaling(_ spacing: [Double], origin: [Double] = [0, 0, 0]) -> Affine {
    Affine(rows: [
      [spacing[0], 0, 0, origin[0]], [0, spacing[1], 0, origin[1]],
      [0, 0, spacing[2], origin[2]], [0, 0, 0, 1],
    ])
  }

  public subscript(row: Int, column: Int) -> Double {
    get { entries[row * 4 + column] }
    set { entries[row * 4 + column] = newValue }
  }

  public var rows: [[Double]] { (0..<4).map { r in (0..<4).map { c in self[r, c] } } }

  /// The world position of voxel (0, 0, 0): the translation column.
  public var origin: [Double] { [self[0, 3], self[1, 3], self[2, 3]] }

  /// Voxel spacing in mm per voxel axis: the Euclidean norm of each of the first three columns
  /// (nibabel `voxel_sizes(affine)`).
  public var columnNorms: [Double] {
    (0..<3).map { c in (0..<3).reduce(0.0) { $0 + self[$1, c] * self[$1, c] }.squareRoot() }
  }

  /// The 3x3 rotation-zoom-shear block, row-major.
  public var linearPart: [[Double]] { (0..<3).map { r in (0..<3).map { c in self[r, c] } } }

  public static func * (lhs: Affine, rhs: Affine) -> Affine {
    var out = [Double](repeating: 0, count: 16)
    for r in 0..<4 {
      for c in 0..<4 {
        var sum = 0.0
        for k in 0..<4 { sum += lhs.entries[r * 4 + k] * rhs.entries[k * 4 + c] }
        out[r * 4 + c] = sum
      }
    }
    return Affine(entries: out)
  }

  /// Applies the transform to a point (homogeneous coordinate 1).
  public func apply(_ point: [Double]) -> [Double] {
    (0..<3).map { r in self[r, 0] * point[0] + self[r, 1] * point[1] + self[r, 2] * point[2] + self[r, 3] }
  }

  /// Determinant of the 3x3 linear part.
  public var determinant: Double {
    let m = linearPart
    return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
      - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
      + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
  }

  public var isFinite: Bool { entries.allSatisfy { $0.isFinite } }

  /// The inverse of an affine whose last row is `[0, 0, 0, 1]`, or nil when the linear part is
  /// singular or non-finite.
  public var inverse: Affine? {
    let det = determinant
    guard det != 0, det.isFinite else { return nil }
    let m = linearPart
    var inv = [[Double]](repeating: [0, 0, 0], count: 3)
    inv[0][0] = (m[1][1] * m[2][2] - m[1][2] * m[2][1]) / det
    inv[0][1] = (m[0][2] * m[2][1] - m[0][1] * m[2][2]) / det
    inv[0][2] = (m[0][1] * m[1][2] - m[0][2] * m[1][1]) / det
    inv[1][0] = (m[1][2] * m[2][0] - m[1][0] * m[2][2]) / det
    inv[1][1] = (m[0][0] * m[2][2] - m[0][2] * m[2][0]) / det
    inv[1][2] = (m[0][2] * m[1][0] - m[0][0] * m[1][2]) / det
    inv[2][0] = (m[1][0] * m[2][1] - m[1][1] * m[2][0]) / det
    inv[2][1] = (m[0][1] * m[2][0] - m[0][0] * m[2][1]) / det
    inv[2][2] = (m[0][0] * m[1][1] - m[0][1] * m[1][0]) / det
    let t = origin
    var rows = [[Double]]()
    for r in 0..<3 {
      let tr = -(inv[r][0] * t[0] + inv[r][1] * t[1] + inv[r][2] * t[2])
      rows.append([inv[r][0], inv[r][1], inv[r][2], tr])
    }
    rows.append([0, 0, 0, 1])
    return Affine(rows: rows)
  }

  /// Largest absolute entry-wise difference to another affine.
  public func maxAbsDifference(to other: Affine) -> Double {
    zip(entries, other.entries).map { abs($0 - $1) }.max() ?? 0
  }

  public var description: String {
    rows.map { "[" + $0.map { String($0) }.joined(separator: ", ") + "]" }.joined(separator: "\n")
  }
}
