import VolumeCore

/// A coarse-grid elastic deformation: the maths of elasticdeform 0.5.1's
/// `deform_grid(X, displacement, order=[3 …, 0], mode='constant', cval=0.0, crop=…,
/// prefilter=True)` (gvtulder/elasticdeform, `deform_grid.py` and `deform.c`; training.md §4.2),
/// for 3-D arrays.
///
/// For an input of shape `N` (voxels per axis, i j k file order = NumPy axes 0 1 2 of nibabel's
/// array) and a control grid of `P` points per axis with displacements `D[d]` (voxels along axis
/// `d`):
/// - the control coordinate of output voxel `p` is `g_a = (P_a − 1) · p_a / (N_a − 1)` (control
///   points on both borders; `p` is the position in the uncropped input, i.e. the output index
///   plus the crop offset);
/// - the displacement is `u_d(p) = Σ_k c_d[k] · Π_a β³(g_a − k_a)` with `c_d` the cubic-spline
///   prefilter of `D[d]` along each control axis (scipy `spline_filter1d(order=3, mode='mirror')`,
///   float64), coefficient indices mirrored (`−i`, `2P − 2 − i`);
/// - the sample position is `x = p + u(p)` (pull-back); if any `x_a < 0` or `x_a > N_a − 1` every
///   output gets `cval = 0` there;
/// - images (order 3): the input prefiltered along axis 0, 1, 2 in turn with the mirror cubic
///   prefilter, each pass rounded to float32 (elasticdeform filters in the input dtype:
///   `spline_filter1d(x, output=zeros_like(x))`; scipy's own `map_coordinates` would prefilter in
///   float64), then `Σ coefficient · w_0 · w_1 · w_2` over the 4×4×4 taps `floor(x_a) − 1 … + 2`
///   (mirrored at the edges; weights `BSplineCubic.weights`), accumulated in Double and stored as
///   float32;
/// - labels (order 0): the voxel `floor(x_a + 0.5)` per axis, stored in the label's own type.
///
/// The displacement is evaluated separably (per output slab and row, 12 multiply-adds a voxel
/// instead of elasticdeform's 64 per component); it differs from elasticdeform's by rounding
/// only (~1e-16 voxel), which moves order-3 values by about that times the local gradient and
/// changes an order-0 label only if a sample position lands within that distance of a half-voxel
/// tie.
///
/// ```swift
/// let field = ElasticDeformation(controlShape: [5, 5, 5], displacements: d)  // 3·125 values
/// let out = field.apply(images: [padded], label: paddedLabels, crop: box, threads: 2)
/// ```
public struct ElasticDeformation: Sendable, Equatable {
  /// Control points per axis (`P_i, P_j, P_k`), each at least 1.
  public let controlShape: [Int]
  /// `D`, shape `3 × P_i × P_j × P_k` in C order: `D[d][a][b][c]` at `((d·P_i + a)·P_j + b)·P_k + c`,
  /// the displacement in voxels along axis `d` (i, j, k) at control point `(a, b, c)` — the
  /// layout of elasticdeform's `displacement` array for a nibabel-ordered volume.
  public let displacements: [Double]

  /// - Precondition: three control sizes ≥ 1; `displacements.count == 3 · P_i · P_j · P_k`; all
  ///   finite (the caller validates user data and throws its own error).
  public init(controlShape: [Int], displacements: [Double]) {
    precondition(
      controlShape.count == 3 && controlShape.allSatisfy { $0 >= 1 },
      "ElasticDeformation: control shape \(controlShape) needs three sizes >= 1")
    precondition(
      displacements.count == 3 * controlShape.reduce(1, *),
      "ElasticDeformation: \(displacements.count) displacements for control shape \(controlShape)")
    precondition(displacements.allSatisfy(\.isFinite), "ElasticDeformation: non-finite displacement")
    self.controlShape = controlShape
    self.displacements = displacements
  }

  /// The prefiltered control coefficients `c`, same layout as `displacements`: the mirror cubic
  /// prefilter along control axes i, j, k in turn (elasticdeform's loop over
  /// `spline_filter1d(displacement, axis=d)` for d = 1, 2, 3), in float64.
  func controlCoefficients() -> [Double] {
    var c = displacements
    let (p0, p1, p2) = (controlShape[0], controlShape[1], controlShape[2])
    c.withUnsafeMutableBufferPointer { buffer in
      // C order: axis i has stride P_j·P_k, axis k is contiguous. In ResamplingLinePass's layout
      // `a + inner·(x + length·b)`, `inner` is the product of the faster (later) axes.
      let passes = [
        (inner: p1 * p2, length: p0, outer: 3), (inner: p2, length: p1, outer: 3 * p0),
        (inner: 1, length: p2, outer: 3 * p0 * p1),
      ]
      for pass in passes {
        ResamplingLinePass.run(
          source: buffer.baseAddress!, inner: pass.inner, length: pass.length, outer: pass.outer, padding: 0,
          prefilter: .mirror, plan: nil, destination: buffer.baseAddress!, parallel: false)
      }
    }
    return c
  }
}
