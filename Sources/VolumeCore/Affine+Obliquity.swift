#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Affine {
  /// Largest angle (radians) between a voxel axis and the world axis it is closest to:
  /// `max over columns c of acos(max_r |A[r,c]| / ‖A[·,c]‖)`. 0 for an axis-aligned affine (only
  /// permutations and flips), > 0 for an oblique acquisition.
  public var obliquityRadians: Double {
    var worst = 0.0
    let norms = columnNorms
    for c in 0..<3 where norms[c] > 0 {
      let cosine = (0..<3).map { abs(self[$0, c]) }.max()! / norms[c]
      worst = max(worst, acos(min(1, cosine)))
    }
    return worst
  }
}
