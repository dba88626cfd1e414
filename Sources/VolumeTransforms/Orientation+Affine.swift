import VolumeCore

extension OrientationArray {
  /// The orientation of an affine's voxel axes in world (RAS+) axes: nibabel
  /// `io_orientation(affine, tol)` for a 4x4 affine (3 voxel axes to 3 world axes).
  ///
  /// 1. `RS` = the 3x3 linear part with each column divided by its norm (a zero column stays zero).
  /// 2. `R` = orthogonal polar factor of `RS` over the singular values above `tolerance`
  ///    (default `max(S) · 3 · eps`); see `PolarFactor`.
  /// 3. Voxel axes are visited from strongest to weakest: ascending `min_r(-R[r, n]²)`, stable on
  ///    ties (nibabel ≥ 5.3; older versions visit i, j, k in order).
  /// 4. For each visited axis `n` whose column is not `allclose(0)` (every `|R[r, n]| <= 1e-8`), the
  ///    world axis is `argmax_r |R[r, n]|` (first on ties), the direction its sign; that row of `R`
  ///    is then zeroed so no other voxel axis can claim it. Otherwise the row stays nil (NaN).
  ///
  /// Returns nil when the affine has a non-finite entry (nibabel's SVD raises `LinAlgError`).
  ///
  /// Agreement: the committed goldens (axis-aligned, oblique, sheared, rank-deficient, 45° rotations
  /// whose sine and cosine differ in the last bit) match exactly. Against 5000 random affines
  /// (rotations, general, near-45°, small integer and near-singular matrices) only exact ties in
  /// the polar factor (integer matrices such as columns `(2, 2, -2)`) and a singular value within
  /// rounding of `tolerance` differed: those are decided by LAPACK's last bits.
  public init?(ioOrientationOf affine: Affine, tolerance: Double? = nil) {
    var rs = affine.linearPart
    for c in 0..<3 {
      var zoom = (rs[0][c] * rs[0][c] + rs[1][c] * rs[1][c] + rs[2][c] * rs[2][c]).squareRoot()
      if zoom == 0 { zoom = 1 }
      for r in 0..<3 { rs[r][c] /= zoom }
    }
    guard var polar = PolarFactor.orthogonalFactor(rs, tolerance: tolerance) else { return nil }
    let strength = (0..<3).map { n in (0..<3).map { r in -(polar[r][n] * polar[r][n]) }.min()! }
    let order = (0..<3).sorted {
      strength[$0] < strength[$1] || (strength[$0] == strength[$1] && $0 < $1)
    }
    var rows = [Row?](repeating: nil, count: 3)
    for n in order {
      let column = (0..<3).map { polar[$0][n] }
      guard !column.allSatisfy({ abs($0) <= 1e-8 }) else { continue }  // np.allclose(col, 0)
      var best = 0
      for r in 1..<3 where abs(column[r]) > abs(column[best]) { best = r }
      rows[n] = Row(axis: best, direction: column[best] < 0 ? -1 : 1)
      polar[best] = [0, 0, 0]
    }
    self.init(rows)
  }
}

extension Orientation {
  /// The axis codes of an affine (e.g. `RAS`, `LPS`): nibabel `aff2axcodes(affine)`, i.e.
  /// `ornt2axcodes(io_orientation(affine))` with the labels `(('L','R'), ('P','A'), ('I','S'))`.
  ///
  /// Nil when the affine is non-finite or rank-deficient so that a voxel axis has no world axis
  /// (nibabel returns `None` for that axis); see `OrientationArray(ioOrientationOf:)` for the
  /// full `(3, 2)` answer.
  public init?(of affine: Affine) {
    guard let orientation = OrientationArray(ioOrientationOf: affine)?.orientation else {
      return nil
    }
    self = orientation
  }
}

extension Affine {
  /// nibabel `aff2axcodes(affine)` per voxel axis i, j, k; an entry is nil where nibabel returns
  /// `None` (a dropped axis). Nil as a whole when the affine is non-finite.
  public var axisCodes: [AxisDirection?]? {
    OrientationArray(ioOrientationOf: self).map { array in
      array.rows.map { $0.map { AxisDirection(worldAxis: $0.axis, sign: $0.direction) } }
    }
  }

  /// The orientation of the voxel axes (`Orientation(of: self)`); nil if undetermined.
  public var orientation: Orientation? { Orientation(of: self) }
}

extension ImageGrid {
  /// The orientation of the grid's voxel axes (nibabel `aff2axcodes(img.affine)`); nil if undetermined.
  public var orientation: Orientation? { Orientation(of: affine) }
}
