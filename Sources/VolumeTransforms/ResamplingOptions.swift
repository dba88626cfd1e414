/// The spline order of an interpolation: scipy.ndimage's `order` argument (0, 1 or 3).
///
/// - `nearest` (0): the value of the nearest input voxel, `floor(x + 0.5)` per axis (half-way
///   points round up, as scipy does; not NumPy's half-to-even).
/// - `linear` (1): linear B-spline, i.e. trilinear interpolation between `floor(x)` and
///   `floor(x) + 1`; no prefilter.
/// - `cubic` (3): cubic B-spline of the prefiltered input (`scipy.ndimage.spline_filter`), the
///   default of TPTBox `NII.rescale` for images and of nnU-Net for data.
public enum InterpolationOrder: Int, Sendable, Hashable, CaseIterable, Codable {
  case nearest = 0
  case linear = 1
  case cubic = 3

  /// Number of taps per axis (`order + 1`).
  var tapCount: Int { rawValue + 1 }
}

/// How scipy.ndimage treats sample points outside the input (its `mode` argument).
///
/// - `nearest` (scipy `'nearest'`): edge extension; the input is extended by repeating its edge
///   voxels, so points outside take (for order 0/1 exactly, for order 3 up to the spline's edge
///   behaviour) the value of the closest edge. Not to be confused with nearest-neighbour
///   *interpolation* (`InterpolationOrder.nearest`): TPTBox's `rescale(mode='nearest')` is cubic
///   interpolation with edge extension.
/// - `constant` (scipy `'constant'`): a point whose coordinate along any axis lies outside
///   `[0, n - 1]` gets `cval`; points inside are interpolated with taps mirrored at the edges
///   (`-i`, `2n - 2 - i`) and, for order 3, a mirror-boundary prefilter.
public enum BoundaryMode: String, Sendable, Hashable, CaseIterable, Codable {
  case nearest
  case constant
}
