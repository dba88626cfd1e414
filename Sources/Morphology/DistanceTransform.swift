/// Exact Euclidean distance transforms on anisotropic voxel grids.
///
/// The squared distance from voxel `p` to the nearest feature voxel `q` is
/// `(s₀·(p₀−q₀))² + (s₁·(p₁−q₁))² + (s₂·(p₂−q₂))²`, summed in that order, with `s` the spacing
/// in mm: the value `scipy.ndimage.distance_transform_edt(~features, sampling=s)` squares (scipy
/// takes the feature transform, scales the index differences per axis, squares and adds them in
/// axis order). The transform is computed separably with Felzenszwalb & Huttenlocher's lower
/// envelope of parabolas ("Distance Transforms of Sampled Functions", Theory of Computing 8,
/// 2012): an exact 1-D scan along i on the binary input, then one envelope pass along j and one
/// along k. Because every pass adds one axis' squared term to the previous sum, the results equal
/// scipy's to the last bit except where two features are equally near (then both sums agree to
/// rounding, ~1e-16 relative).
///
/// Voxels with no feature anywhere get `+infinity`. Complexity O(voxels) time, one `Double` per
/// voxel plus one line of scratch per pass; strided passes work on 16 adjacent lines at once so
/// every cache line fetched is used.
public enum DistanceTransform {
  /// Squared distance in mm² from every voxel to the nearest voxel whose `features` byte is
  /// nonzero (i fastest, `shape` = [ni, nj, nk]); `+infinity` everywhere when there is none.
  ///
  /// - Precondition: `features.count == ni·nj·nk`; the spacing holds 3 positive finite numbers.
  public static func squaredEuclidean(features: [UInt8], shape: [Int], spacingMillimeters: [Double]) -> [Double] {
    precondition(shape.count == 3 && features.count == shape[0] * shape[1] * shape[2], "DistanceTransform: features/shape mismatch")
    precondition(spacingMillimeters.count == 3 && spacingMillimeters.allSatisfy { $0 > 0 && $0.isFinite },
      "DistanceTransform: spacing must be 3 positive finite numbers, got \(spacingMillimeters)")
    var out = [Double](repeating: .infinity, count: features.count)
    features.withUnsafeBufferPointer { f in
      out.withUnsafeMutableBufferPointer { d in
        scanFirstAxis(f, into: d, shape: shape, spacing: spacingMillimeters[0])
        envelopePass(d, shape: shape, axis: 1, spacing: spacingMillimeters[1])
        envelopePass(d, shape: shape, axis: 2, spacing: spacingMillimeters[2])
      }
    }
    return out
  }

  /// Euclidean distance in mm (the square root of `squaredEuclidean`), scipy
  /// `distance_transform_edt(features == 0, sampling=spacing)` for a mask with at least one
  /// feature voxel.
  public static func euclidean(features: [UInt8], shape: [Int], spacingMillimeters: [Double]) -> [Double] {
    squaredEuclidean(features: features, shape: shape, spacingMillimeters: spacingMillimeters).map { $0.squareRoot() }
  }
}
