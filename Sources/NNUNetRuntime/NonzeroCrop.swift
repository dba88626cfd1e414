/// nnU-Net's crop to the non-zero region (`cropping.crop_to_nonzero`, nnunet-inference.md 5.3).
enum NonzeroCrop {
  /// The mask `OR_c (data[c] != 0)` (NaN counts as non-zero), with holes filled as
  /// `scipy.ndimage.binary_fill_holes` does with its default structure (6-connectivity in 3-D):
  /// every zero voxel not connected through face neighbours of zero voxels to the border is set.
  static func mask(_ channels: [DenseArray<Float>]) -> DenseArray<Bool> {
    let shape = channels[0].shape
    var mask = DenseArray(shape: shape, repeating: false)
    for c in channels {
      for n in 0..<c.count where c.values[n] != 0 { mask.values[n] = true }
    }
    return fillHoles(mask)
  }

  /// Flood fill of the background from the border (6-connectivity); unreached background is a hole.
  static func fillHoles(_ mask: DenseArray<Bool>) -> DenseArray<Bool> {
    let s = mask.shape
    var outside = [Bool](repeating: false, count: mask.count)
    var stack = [Int]()
    func visit(_ n: Int) {
      if !mask.values[n] && !outside[n] { outside[n] = true; stack.append(n) }
    }
    for a in 0..<s[0] {
      for b in 0..<s[1] {
        for c in 0..<s[2] where a == 0 || b == 0 || c == 0 || a == s[0] - 1 || b == s[1] - 1 || c == s[2] - 1 {
          visit((a * s[1] + b) * s[2] + c)
        }
      }
    }
    let strides = [s[1] * s[2], s[2], 1]
    while let n = stack.popLast() {
      let a = n / strides[0], b = (n / strides[1]) % s[1], c = n % s[2]
      if a > 0 { visit(n - strides[0]) }
      if a < s[0] - 1 { visit(n + strides[0]) }
      if b > 0 { visit(n - strides[1]) }
      if b < s[1] - 1 { visit(n + strides[1]) }
      if c > 0 { visit(n - 1) }
      if c < s[2] - 1 { visit(n + 1) }
    }
    return DenseArray(shape: s, values: outside.map { !$0 })
  }

  /// Half-open bounding box of the set voxels; the full extent when none is set (acvl_utils
  /// `get_bbox_from_mask`).
  static func boundingBox(_ mask: DenseArray<Bool>) -> (lower: [Int], upper: [Int]) {
    let s = mask.shape
    var lower = s, upper = [0, 0, 0]
    for a in 0..<s[0] {
      for b in 0..<s[1] {
        let base = (a * s[1] + b) * s[2]
        for c in 0..<s[2] where mask.values[base + c] {
          lower = [min(lower[0], a), min(lower[1], b), min(lower[2], c)]
          upper = [max(upper[0], a + 1), max(upper[1], b + 1), max(upper[2], c + 1)]
        }
      }
    }
    if upper[0] == 0 { return ([0, 0, 0], s) }
    return (lower, upper)
  }
}
