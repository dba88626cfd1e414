import VolumeCore
import VolumeTransforms

/// nnU-Net's `default_resampling` (nnunet-inference.md 5.5, 5.6, 7.1).
enum NNUNetResampling {
  /// `compute_new_shape`: `round(old_spacing / new_spacing · shape)` per axis, Python `round`
  /// (half to even), evaluated in float64 in that operation order.
  ///
  /// - Throws: `ResamplingError` (through `ResamplingLimits.checkedShape`, before anything is
  ///   allocated) when an axis rounds to 0 voxels (nnU-Net would fail on the empty array), the
  ///   spacings are not positive and finite, or the shape passes `ResamplingLimits.maxVoxels`.
  static func newShape(shape: [Int], spacing: [Double], target: [Double]) throws(ResamplingError) -> [Int] {
    guard spacing.allSatisfy({ $0 > 0 && $0.isFinite }) else {
      throw ResamplingError(.invalidSpacing, "voxel size \(spacing) mm must be positive and finite", field: "pixdim")
    }
    let sizes = (0..<shape.count).map { (spacing[$0] / target[$0] * Double(shape[$0])).rounded(.toNearestOrEven) }
    return try ResamplingLimits.checkedShape(
      sizes, what: "resampling \(shape) voxels of \(spacing) mm to the model's spacing \(target) mm", field: "pixdim")
  }

  /// Axes whose spacing equals the largest one (`get_lowres_axis`, exact comparison).
  static func lowResolutionAxes(_ spacing: [Double]) -> [Int] {
    let m = spacing.max()!
    return spacing.indices.filter { m / spacing[$0] == 1 }
  }

  /// `determine_do_sep_z_and_axis` with `ANISO_THRESHOLD = 3` (strict `>`): the one axis to
  /// resample separately with order_z, or nil.
  static func separateAxis(current: [Double], new: [Double], force: Bool?) -> Int? {
    var axes: [Int]
    if let force {
      guard force else { return nil }
      axes = lowResolutionAxes(current)
    } else if current.max()! / current.min()! > 3 {
      axes = lowResolutionAxes(current)
    } else if new.max()! / new.min()! > 3 {
      axes = lowResolutionAxes(new)
    } else {
      return nil
    }
    return axes.count == 1 ? axes[0] : nil
  }

  /// `resample_data_or_seg_to_shape` for data (`is_seg=False`) of one channel: the array is
  /// returned unchanged when the shape already matches; otherwise computed in float64, either
  /// with skimage `resize` semantics over the whole volume (`Volume.resized(toShape:order:)`:
  /// grid-mode zoom with edge extension, clipped to the input's range) or, on the separate-z
  /// path, slice by slice in-plane and then nearest-neighbour (order_z 0) along that axis with
  /// `src = (dst + 0.5)·(n_old/n_new) - 0.5`, `floor(src + 0.5)` clamped. Results are rounded to
  /// the caller's type by the caller.
  static func resample(_ array: DenseArray<Double>, to newShape: [Int], current: [Double], new: [Double],
    order: Int, orderZ: Int, forceSeparateZ: Bool?) throws -> DenseArray<Double> {
    if array.shape == newShape { return array }
    let interpolation = try interpolationOrder(order)
    guard let axis = separateAxis(current: current, new: new, force: forceSeparateZ) else {
      return try resize(array, to: newShape, order: interpolation)
    }
    guard orderZ == 0 else {
      throw PlansError(.unsupported, "order_z \(orderZ) is not supported (nnU-Net's default is 0)", path: "plans.json")
    }
    // In-plane resize of every slice along `axis`.
    let s = array.shape
    var planeShape = s
    planeShape[axis] = 1
    var targetPlane = newShape
    targetPlane[axis] = 1
    // The in-plane result keeps the old slice count: it passes the cap too (z collapsing while the
    // planes grow would otherwise hold up to s[axis] times the capped output).
    let stackedShape = (0..<3).map { $0 == axis ? s[axis] : newShape[$0] }
    try ResamplingLimits.check(stackedShape, what: "resampling \(s) slice by slice to \(stackedShape)", field: "pixdim")
    var stacked = DenseArray<Double>(shape: stackedShape, repeating: 0)
    for slice in 0..<s[axis] {
      var lower = [0, 0, 0], upper = s
      lower[axis] = slice
      upper[axis] = slice + 1
      let plane = try resize(array.cropped(lower: lower, upper: upper), to: targetPlane, order: interpolation)
      var at = [0, 0, 0]
      at[axis] = slice
      plane.write(into: &stacked, at: at)
    }
    if s[axis] == newShape[axis] { return stacked }
    // Nearest neighbour along the separate axis.
    let scale = Double(s[axis]) / Double(newShape[axis])
    let sourceIndex = (0..<newShape[axis]).map { dst -> Int in
      let x = scale * (Double(dst) + 0.5) - 0.5
      return min(max(Int((x + 0.5).rounded(.down)), 0), s[axis] - 1)
    }
    var out = DenseArray<Double>(shape: newShape, repeating: 0)
    let ss = stacked.shape
    for a in 0..<newShape[0] {
      for b in 0..<newShape[1] {
        for c in 0..<newShape[2] {
          var src = [a, b, c]
          src[axis] = sourceIndex[src[axis]]
          out.values[(a * newShape[1] + b) * newShape[2] + c] = stacked.values[(src[0] * ss[1] + src[1]) * ss[2] + src[2]]
        }
      }
    }
    return out
  }

  static func interpolationOrder(_ order: Int) throws -> InterpolationOrder {
    guard let o = InterpolationOrder(rawValue: order) else {
      throw PlansError(.unsupported, "resampling order \(order) is not supported (0, 1, 3)", path: "plans.json")
    }
    return o
  }

  /// skimage `resize` on a C-order array: the array (a0, a1, a2) with a2 fastest is a volume of
  /// shape (a2, a1, a0) in VibeSeg's i-fastest layout.
  static func resize(_ array: DenseArray<Double>, to shape: [Int], order: InterpolationOrder)
    throws(ResamplingError) -> DenseArray<Double>
  {
    if array.shape == shape { return array }
    let grid = ImageGrid(shape: array.shape.reversed(), affine: .identity)
    let volume = Volume(grid: grid, voxels: array.values)
    let out = try volume.resized(toShape: shape.reversed(), order: order)
    return DenseArray(shape: shape, values: out.voxels)
  }
}

extension DenseArray {
  /// Writes `self` into `target` at offset `lower`.
  func write(into target: inout DenseArray, at lower: [Int]) {
    for a in 0..<shape[0] {
      for b in 0..<shape[1] {
        let src = (a * shape[1] + b) * shape[2]
        let dst = ((a + lower[0]) * target.shape[1] + (b + lower[1])) * target.shape[2] + lower[2]
        target.values.replaceSubrange(dst..<(dst + shape[2]), with: values[src..<(src + shape[2])])
      }
    }
  }
}
