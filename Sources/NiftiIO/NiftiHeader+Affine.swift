import VolumeCore

extension NiftiHeader {
  /// Valid NIfTI xform codes: 0 unknown, 1 scanner, 2 aligned, 3 talairach, 4 mni, 5 template.
  static let validXformCodes = 0...5

  /// The sform affine from `srow_x/y/z` (nibabel `get_sform`), whatever `sform_code` says.
  public var sformAffine: Affine {
    Affine(rows: srow + [[0, 0, 0, 1]])
  }

  /// The qform affine, computed exactly as nibabel `Nifti1Header.get_qform` does after
  /// `check_fix`: the quaternion's w from `fillpositive` (b²+c²+d² may exceed 1 by at most
  /// 3·eps of the field type, else nil), rotation from `quat2mat`, voxel sizes |pixdim[1...3]|,
  /// the third scaled by qfac (pixdim[0]; anything but -1 counts as 1), origin `qoffset_x/y/z`.
  /// NIfTI-1 arithmetic runs in float32 like nibabel's (the fields are float32 and NumPy keeps
  /// that precision), NIfTI-2 in float64. Nil when the quaternion is invalid or non-finite.
  public var qformAffine: Affine? {
    switch version {
    case .nifti1: qform(Float.self)
    case .nifti2: qform(Double.self)
    }
  }

  private func qform<T: BinaryFloatingPoint>(_: T.Type) -> Affine? {
    let b = T(quaternB), c = T(quaternC), d = T(quaternD)
    guard b.isFinite, c.isFinite, d.isFinite, qoffset.allSatisfy(\.isFinite) else { return nil }
    // quaternions.fillpositive
    let w2: T = 1 - (b * b + c * c + d * d)
    let w: T
    if w2 < 0 {
      guard w2 >= -3 * T.ulpOfOne else { return nil }
      w = 0
    } else {
      w = w2.squareRoot()
    }
    // quaternions.quat2mat
    let nq = w * w + b * b + c * c + d * d
    var r: [[T]]
    if nq < T(Double.ulpOfOne) {
      r = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    } else {
      let s = 2 / nq
      let X = b * s, Y = c * s, Z = d * s
      let wX = w * X, wY = w * Y, wZ = w * Z
      let xX = b * X, xY = b * Y, xZ = b * Z
      let yY = c * Y, yZ = c * Z, zZ = d * Z
      r = [
        [1 - (yY + zZ), xY - wZ, xZ + wY],
        [xY + wZ, 1 - (xX + zZ), yZ - wX],
        [xZ - wY, yZ + wX, 1 - (xX + yY)],
      ]
    }
    var vox = (1...3).map { T(abs(pixdim[$0])) }
    let qfac: T = pixdim[0] == -1 ? -1 : 1
    vox[2] *= qfac
    var rows = [[Double]]()
    for row in 0..<3 {
      rows.append((0..<3).map { Double(r[row][$0] * vox[$0]) } + [qoffset[row]])
    }
    rows.append([0, 0, 0, 1])
    return Affine(rows: rows)
  }

  /// The pixdim-only affine nibabel falls back to when both codes are 0
  /// (`SpmAnalyzeHeader.get_base_affine`): x flipped, centred on the volume:
  /// `diag(-dx, dy, dz)` with origin `-(shape-1)/2 · (-dx, dy, dz)`.
  public var baseAffine: Affine {
    let zooms = (1...3).map { abs(pixdim[$0]) }
    let shape = spatialShape.map(Double.init)
    let signed = [-zooms[0], zooms[1], zooms[2]]
    let origin = (0..<3).map { -((shape[$0] - 1) / 2) * signed[$0] }
    return Affine(rows: [
      [signed[0], 0, 0, origin[0]], [0, signed[1], 0, origin[1]], [0, 0, signed[2], origin[2]], [0, 0, 0, 1],
    ])
  }

  /// Which transform the reader uses.
  public enum AffineSource: String, Sendable { case sform, qform, pixdimOnly = "pixdim-only" }

  /// Chooses the voxel-to-world affine as nibabel's `get_best_affine` (sform if its code > 0, else
  /// qform if its code > 0, else pixdim-only), but stricter (reliability.md 1.8): a transform is
  /// used only when it is finite and non-singular; an unusable sform falls back to the qform with
  /// a warning; codes outside 0...5 count as 0 with a warning. With neither usable, returns the
  /// pixdim-only affine only if `allowMissing`, else nil.
  func chooseAffine(allowMissing: Bool, warnings: inout [NiftiWarning]) -> (Affine, AffineSource)? {
    let sCode = Self.validXformCodes.contains(sformCode) ? sformCode : 0
    let qCode = Self.validXformCodes.contains(qformCode) ? qformCode : 0
    if sCode > 0 {
      let s = sformAffine
      if s.isFinite && s.determinant != 0 { return (s, .sform) }
      warnings.append(NiftiWarning(field: "srow_x/y/z",
        message: "sform_code is \(sformCode) but the sform is \(s.isFinite ? "singular" : "not finite"); using the qform instead"))
    }
    if qCode > 0 {
      if let q = qformAffine, q.isFinite, q.determinant != 0 { return (q, .qform) }
      warnings.append(NiftiWarning(field: "quatern_b/c/d",
        message: "qform_code is \(qformCode) but the quaternion is invalid (b²+c²+d² > 1 or not finite)"))
    }
    guard allowMissing else { return nil }
    warnings.append(NiftiWarning(field: "qform_code/sform_code",
      message: "no usable orientation: using the pixdim-only affine; left/right may be wrong"))
    return (baseAffine, .pixdimOnly)
  }

  /// Stores `affine` as both sform and qform, as nibabel `set_sform` + `set_qform` do:
  /// pixdim[1...3] = column norms; qfac = -1 when the normalised rotation has a negative
  /// determinant (its third column then flipped); the quaternion of the nearest orthogonal matrix
  /// (SVD polar factor, `PolarFactor`, as nibabel) with w ≥ 0 (`mat2quat`); `qoffset` = translation.
  mutating func setAffine(_ affine: Affine, code: Int) {
    srow = (0..<3).map { r in (0..<4).map { affine[r, $0] } }
    sformCode = code
    qformCode = code
    let zooms = affine.columnNorms.map { $0 == 0 ? 1 : $0 }
    var rot = (0..<3).map { r in (0..<3).map { affine[r, $0] / zooms[$0] } }
    var qfac = 1.0
    if determinant3(rot) <= 0 {
      qfac = -1
      for r in 0..<3 { rot[r][2] = -rot[r][2] }
    }
    let q = quaternion(of: PolarFactor.orthogonalFactor(rot) ?? rot)
    quaternB = q[1]
    quaternC = q[2]
    quaternD = q[3]
    qoffset = affine.origin
    pixdim[0] = qfac
    for n in 0..<3 { pixdim[n + 1] = zooms[n] }
  }
}

func determinant3(_ m: [[Double]]) -> Double {
  m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
    + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

/// Unit quaternion [w, x, y, z] with w ≥ 0 of a rotation matrix (Shepperd's method; equals
/// nibabel `mat2quat` for orthogonal input up to rounding).
func quaternion(of m: [[Double]]) -> [Double] {
  let trace = m[0][0] + m[1][1] + m[2][2]
  var q: [Double]
  if trace > 0 {
    let s = (trace + 1).squareRoot() * 2
    q = [0.25 * s, (m[2][1] - m[1][2]) / s, (m[0][2] - m[2][0]) / s, (m[1][0] - m[0][1]) / s]
  } else if m[0][0] > m[1][1] && m[0][0] > m[2][2] {
    let s = (1 + m[0][0] - m[1][1] - m[2][2]).squareRoot() * 2
    q = [(m[2][1] - m[1][2]) / s, 0.25 * s, (m[0][1] + m[1][0]) / s, (m[0][2] + m[2][0]) / s]
  } else if m[1][1] > m[2][2] {
    let s = (1 + m[1][1] - m[0][0] - m[2][2]).squareRoot() * 2
    q = [(m[0][2] - m[2][0]) / s, (m[0][1] + m[1][0]) / s, 0.25 * s, (m[1][2] + m[2][1]) / s]
  } else {
    let s = (1 + m[2][2] - m[0][0] - m[1][1]).squareRoot() * 2
    q = [(m[1][0] - m[0][1]) / s, (m[0][2] + m[2][0]) / s, (m[1][2] + m[2][1]) / s, 0.25 * s]
  }
  if q[0] < 0 { q = q.map { -$0 } }
  return q
}
