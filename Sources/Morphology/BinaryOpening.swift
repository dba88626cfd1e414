/// Binary erosion, dilation and opening of a 3-D mask with a full cube of side `e`, outside the
/// array counted as background: `scipy.ndimage.binary_erosion / binary_dilation /
/// binary_opening(mask, structure=np.ones((e, e, e)), border_value=0)` (TPTBox's stitching ramp
/// uses the opening with `e = ramp_e`, `brute_force=True`, which gives the same set).
///
/// With `c = e / 2` (integer division, scipy's structure centre for even sizes too) the cube's
/// offsets are `K = {-c, …, e - 1 - c}` per axis:
/// - erosion: `out[p] = 1` iff `mask[p + d] = 1` for every `d ∈ K³` (an offset outside the array
///   reads 0);
/// - dilation: `out[p] = 1` iff `mask[p - d] = 1` for some `d ∈ K³` (scipy reflects the structure
///   for dilation, so opening ⊆ mask);
/// - opening: erosion, then dilation of the result.
///
/// A cube is the Minkowski sum of three axis segments, so each operation is done as three 1-D
/// passes (i, then j, then k); restricting to the array after each pass gives the same set
/// because a segment containing offset 0 never moves a voxel across another axis' border.
/// Each 1-D pass is O(n) per line (the last zero / last one before a position), whatever `e`.
/// `e = 1` (and `e ≤ 0`) returns the mask unchanged. Complexity O(voxels) time, one extra mask
/// plus one line of scratch. Shape order `[ni, nj, nk]`, i fastest.
public enum BinaryOpening {
  /// `binary_opening(mask, ones((e, e, e)))`, nonzero bytes meaning foreground; the result holds 0/1.
  ///
  /// - Precondition: `mask.count == ni·nj·nk`.
  public static func opening(_ mask: [UInt8], shape: [Int], cube e: Int) -> [UInt8] {
    dilation(erosion(mask, shape: shape, cube: e), shape: shape, cube: e)
  }

  /// `binary_erosion(mask, ones((e, e, e)), border_value=0)`; the result holds 0/1.
  public static func erosion(_ mask: [UInt8], shape: [Int], cube e: Int) -> [UInt8] {
    precondition(shape.count == 3 && mask.count == shape[0] * shape[1] * shape[2], "BinaryOpening: mask/shape mismatch")
    var out = mask.map { $0 != 0 ? UInt8(1) : 0 }
    guard e > 1 else { return out }
    for axis in 0..<3 { pass(&out, shape: shape, axis: axis, cube: e, erode: true) }
    return out
  }

  /// `binary_dilation(mask, ones((e, e, e)), border_value=0)`; the result holds 0/1.
  public static func dilation(_ mask: [UInt8], shape: [Int], cube e: Int) -> [UInt8] {
    precondition(shape.count == 3 && mask.count == shape[0] * shape[1] * shape[2], "BinaryOpening: mask/shape mismatch")
    var out = mask.map { $0 != 0 ? UInt8(1) : 0 }
    guard e > 1 else { return out }
    for axis in 0..<3 { pass(&out, shape: shape, axis: axis, cube: e, erode: false) }
    return out
  }

  /// One 1-D pass along `axis` over every line, in place.
  ///
  /// Erosion keeps `p` iff the window `[p - c, p + e - 1 - c]` lies inside the line and holds no
  /// zero, i.e. the last zero at or before `p + e - 1 - c` is before `p - c`. Dilation sets `p`
  /// iff the window `[p - (e - 1 - c), p + c]` clipped to the line holds a one, i.e. the last one
  /// at or before `min(p + c, n - 1)` is at or after `max(p - (e - 1 - c), 0)`.
  static func pass(_ data: inout [UInt8], shape: [Int], axis: Int, cube e: Int, erode: Bool) {
    let n = shape[axis]
    let stride = axis == 0 ? 1 : (axis == 1 ? shape[0] : shape[0] * shape[1])
    let c = e / 2
    let after = e - 1 - c
    var line = [UInt8](repeating: 0, count: n)
    var last = [Int](repeating: -1, count: n)  // last index ≤ q holding the searched value
    let lines = data.count / n
    for lineIndex in 0..<lines {
      // The line's first element: lines are enumerated over the two other axes.
      let base: Int
      switch axis {
      case 0: base = lineIndex * n
      case 1: base = (lineIndex / shape[0]) * shape[0] * shape[1] + lineIndex % shape[0]
      default: base = lineIndex
      }
      for q in 0..<n { line[q] = data[base + q * stride] }
      let searched: UInt8 = erode ? 0 : 1
      var seen = -1
      for q in 0..<n {
        if line[q] == searched { seen = q }
        last[q] = seen
      }
      for p in 0..<n {
        let value: UInt8
        if erode {
          let lo = p - c
          let hi = p + after
          value = (lo >= 0 && hi <= n - 1 && last[hi] < lo) ? 1 : 0
        } else {
          let lo = Swift.max(p - after, 0)
          let hi = Swift.min(p + c, n - 1)
          value = last[hi] >= lo ? 1 : 0
        }
        data[base + p * stride] = value
      }
    }
  }
}
