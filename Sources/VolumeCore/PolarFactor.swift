/// The orthogonal polar factor of a 3x3 matrix as nibabel's `io_orientation` computes it:
/// `P, S, Qs = numpy.linalg.svd(M)`, `keep = S > tol`, `R = P[:, keep] · Qs[keep]`, with
/// `tol = max(S) · 3 · eps` (eps = 2⁻⁵²) unless a tolerance is given.
///
/// `R = Σ_{σ_n > tol} u_n v_nᵀ` does not depend on which SVD produced it (it equals
/// `M · (MᵀM)^{+1/2}` restricted to the kept singular values), so a one-sided Jacobi SVD
/// (Hestenes) reproduces LAPACK's `R` to a few ulps. Jacobi keeps small singular values accurate
/// (unlike an eigen-decomposition of `MᵀM`), so the rank decision matches NumPy's.
///
/// Complexity: a handful of sweeps of three 3x3 rotations; exact for an already orthogonal `M`.
package enum PolarFactor {
  /// Returns `R` row-major (`R[r][c]`), or nil when `m` has a non-finite entry (NumPy's SVD raises
  /// `LinAlgError` then).
  package static func orthogonalFactor(_ m: [[Double]], tolerance: Double? = nil) -> [[Double]]? {
    guard m.count == 3, m.allSatisfy({ $0.count == 3 && $0.allSatisfy(\.isFinite) }) else {
      return nil
    }
    // Columns of U start as the columns of M; V accumulates the rotations: M·V = U, Uᵀ U diagonal.
    var u = (0..<3).map { c in (0..<3).map { r in m[r][c] } }  // u[column][row]
    var v: [[Double]] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]  // v[column][row]
    let eps = Double.ulpOfOne
    for _ in 0..<60 {
      var rotated = false
      for (p, q) in [(0, 1), (0, 2), (1, 2)] {
        var alpha = 0.0
        var beta = 0.0
        var gamma = 0.0
        for r in 0..<3 {
          alpha += u[p][r] * u[p][r]
          beta += u[q][r] * u[q][r]
          gamma += u[p][r] * u[q][r]
        }
        guard gamma != 0, abs(gamma) > eps * (alpha * beta).squareRoot() else { continue }
        rotated = true
        let zeta = (beta - alpha) / (2 * gamma)
        let t = (zeta >= 0 ? 1.0 : -1.0) / (abs(zeta) + (1 + zeta * zeta).squareRoot())
        let c = 1 / (1 + t * t).squareRoot()
        let s = c * t
        for r in 0..<3 {
          let up = u[p][r]
          let uq = u[q][r]
          u[p][r] = c * up - s * uq
          u[q][r] = s * up + c * uq
          let vp = v[p][r]
          let vq = v[q][r]
          v[p][r] = c * vp - s * vq
          v[q][r] = s * vp + c * vq
        }
      }
      if !rotated { break }
    }
    let sigma = u.map { column in column.reduce(0) { $0 + $1 * $1 }.squareRoot() }
    let tol = tolerance ?? (sigma.max() ?? 0) * 3 * eps
    var result: [[Double]] = [[0, 0, 0], [0, 0, 0], [0, 0, 0]]
    for n in 0..<3 where sigma[n] > tol {
      for r in 0..<3 {
        for c in 0..<3 { result[r][c] += (u[n][r] / sigma[n]) * v[n][c] }
      }
    }
    return result
  }
}
