import Foundation
import VolumeCore
import VolumeTransforms

/// The output grid of a stitch: TPTBox 1.1.0 `get_max_affine_and_shape` (corners from
/// `get_all_corner_points`), re-derived and computed in Double in nibabel's operation order.
///
/// For station `s` with affine `A_s`, shape `n_s`:
/// 1. corners: the 8 index vectors `c` with each component in `{1, n_a + 1}` (`.tptbox`, sic) or
///    `{-0.5, n_a - 0.5}` (`.centered`), mapped `p = M_s·c + t_s` (nibabel `apply_affine`, each row
///    summed left to right, then the translation); all 8N points pooled.
/// 2. per station: spacing `z_s[c] = ‖column c of M_s‖` (`sqrt(Σ_r M[r][c]²)`), rotation
///    `R_s = M_s / z_s` column-wise; every point rotated `q = R_sᵀ·p`; `lo_s`, `hi_s` = per-axis
///    min/max of `q`; volume `V_s = (hi−lo)₀·(hi−lo)₁·(hi−lo)₂`. (Upstream takes the min/max over
///    the convex hull's vertices, which have the same bounding box; no hull is needed here, so
///    single-slice stations, on which Qhull throws, work.)
/// 3. the station with the smallest `V_s` gives `R`, `lo`, `hi`; ties go to the later station
///    (`≤`).
/// 4. spacing per axis *index* `a`: `z[a] = min_s round(|z_s[a]|, 6)` (NumPy `round`: `rint(x·1e6)/1e6`),
///    then `max(minSpacing, z[a])` when a nonzero `minSpacing` is given.
/// 5. shape `ceil((hi − lo) / z)` (`.centered`: `ceil((hi − lo)/z − 1e-6)`, so an exact fit does
///    not gain a plane from rounding); affine `[R·diag(z) | R·lo]` (`.centered`: `R·(lo + z/2)`),
///    `R·lo` summed left to right.
///
/// Consequence of `.tptbox` for stations sharing a rotation: output voxel `(i, j, k)` is voxel
/// `(i+1, j+1, k+1)` of the station that defines `lo`, the first plane is lost and the last is empty.
public enum StitchGrid {
  /// The grid and the (0-based) station whose rotation it uses.
  ///
  /// - Throws: `StitchError.invalidGrid` when the shape is empty, not finite or above
  ///   `ResamplingLimits.maxVoxels`.
  public static func grid(for grids: [ImageGrid], rule: StitchOptions.GridRule, minSpacing: Double?)
    throws(StitchError) -> (grid: ImageGrid, rotationStation: Int)
  {
    precondition(!grids.isEmpty, "StitchGrid: no stations")
    var points = [[Double]]()
    for g in grids { points += corners(of: g, rule: rule) }
    var best: (volume: Double, station: Int, rotation: [[Double]], lo: [Double], hi: [Double])?
    var spacings = [[Double]]()
    for (s, g) in grids.enumerated() {
      let (rotation, spacing) = rotationAndSpacing(g.affine)
      spacings.append(spacing.map { abs($0) })
      var lo = [Double](repeating: .infinity, count: 3)
      var hi = [Double](repeating: -.infinity, count: 3)
      for p in points {
        for c in 0..<3 {
          // q = Rᵀ·p: column c of R against p, summed over rows in order.
          var q = rotation[0][c] * p[0]
          q += rotation[1][c] * p[1]
          q += rotation[2][c] * p[2]
          lo[c] = Swift.min(lo[c], q)
          hi[c] = Swift.max(hi[c], q)
        }
      }
      let d = (0..<3).map { hi[$0] - lo[$0] }
      let volume = d[0] * d[1] * d[2]
      if best == nil || volume <= best!.volume { best = (volume, s, rotation, lo, hi) }
    }
    let chosen = best!
    var spacing = (0..<3).map { a in spacings.map { roundSix($0[a]) }.min()! }
    if let minSpacing, minSpacing != 0 { spacing = spacing.map { Swift.max(minSpacing, $0) } }
    let sizes = (0..<3).map { a -> Double in
      let extent = (chosen.hi[a] - chosen.lo[a]) / spacing[a]
      return (rule == .tptbox ? extent : extent - 1e-6).rounded(.up)
    }
    let shape: [Int]
    do {
      shape = try ResamplingLimits.checkedShape(sizes, what: "stitching \(grids.count) stations")
    } catch {
      throw StitchError(.invalidGrid, error.message)
    }
    let origin = rule == .tptbox ? chosen.lo : (0..<3).map { chosen.lo[$0] + spacing[$0] / 2 }
    var rows = [[Double]](repeating: [0, 0, 0, 0], count: 4)
    rows[3] = [0, 0, 0, 1]
    for r in 0..<3 {
      for c in 0..<3 { rows[r][c] = chosen.rotation[r][c] * spacing[c] }
      var t = chosen.rotation[r][0] * origin[0]
      t += chosen.rotation[r][1] * origin[1]
      t += chosen.rotation[r][2] * origin[2]
      rows[r][3] = t
    }
    return (ImageGrid(shape: shape, affine: Affine(rows: rows)), chosen.station)
  }

  /// The 8 corner points in world mm, index vectors in `itertools.product([0, 1], repeat=3)` order.
  static func corners(of grid: ImageGrid, rule: StitchOptions.GridRule) -> [[Double]] {
    var out = [[Double]]()
    let m = grid.affine
    for a in 0..<2 {
      for b in 0..<2 {
        for c in 0..<2 {
          let bits = [a, b, c]
          let index = (0..<3).map { axis -> Double in
            let n = Double(grid.shape[axis])
            switch rule {
            case .tptbox: return bits[axis] == 0 ? 1 : n + 1
            case .centered: return bits[axis] == 0 ? -0.5 : n - 0.5
            }
          }
          out.append(
            (0..<3).map { r in
              var p = m[r, 0] * index[0]
              p += m[r, 1] * index[1]
              p += m[r, 2] * index[2]
              return p + m[r, 3]
            })
        }
      }
    }
    return out
  }

  /// `(M / z, z)` with `z` the column norms of the linear part (TPTBox
  /// `get_rotation_and_spacing_from_affine`).
  static func rotationAndSpacing(_ affine: Affine) -> (rotation: [[Double]], spacing: [Double]) {
    let spacing = (0..<3).map { c -> Double in
      var s = affine[0, c] * affine[0, c]
      s += affine[1, c] * affine[1, c]
      s += affine[2, c] * affine[2, c]
      return s.squareRoot()
    }
    let rotation = (0..<3).map { r in (0..<3).map { c in affine[r, c] / spacing[c] } }
    return (rotation, spacing)
  }

  /// NumPy `np.round(x, 6)`: `rint(x · 10⁶) / 10⁶`, half to even.
  static func roundSix(_ x: Double) -> Double { (x * 1e6).rounded(.toNearestOrEven) / 1e6 }
}
