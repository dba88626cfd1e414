import Dispatch

/// scipy.ndimage spline resampling of one 3-D channel held as Double in file order
/// (`index = i + n0·(j + n1·k)`), returning Double values (cval already applied); the callers on
/// `Volume` convert to the voxel type.
///
/// Two paths give the same values (to ~1e-15 relative; see `affineTransform`):
/// - separable, for orders 0 and 3 when every output axis reads one input axis (diagonal
///   matrix): per axis a plan of taps and weights (`ResamplingAxisPlan`), then three line passes
///   (axis 0, 1, 2), each padding, prefiltering and sampling every line;
///   O(N_in + N_out · taps) with small constants (0.35 s for a 320x260x300 float32 cubic
///   rescale to 1.5 mm on 2 cores);
/// - general (order 1, and oblique or permuting matrices): the whole 3-D coefficient array is
///   prefiltered (scipy `spline_filter` after `_prepad_for_spline_filter`), then every output
///   voxel sums `(order+1)^3` taps in scipy's order, operation for operation; O(N_pad + N_out ·
///   (order+1)^3), about 1 s for the same volume onto an oblique grid, cubic.
package enum ResamplingEngine {
  /// Coordinate error (in input voxels) up to which a nearly diagonal matrix still takes the
  /// separable path for order 3 with `mode == .nearest`: off-diagonal entries around 1e-17, as
  /// `inv(A) · A · diag(s)` leaves for oblique affines, shift sample points by ~1e-14 voxel. The
  /// cubic spline is continuous in the coordinate there, so values move by at most this much
  /// times the local gradient. Order 0 (ties at half voxels) and `constant` mode (the inside
  /// test at 0 and n-1) keep exact arithmetic and use the general path.
  package static let nearlyDiagonalTolerance = 1e-9

  /// scipy `affine_transform(input, matrix, offset, output_shape, order, mode, cval,
  /// prefilter=True)` with a 3x3 `matrix` (the `NI_GeometricTransform` path).
  ///
  /// - Precondition: shapes are 3 positive sizes, `input.count` matches `shape`, mapping is finite.
  package static func affineTransform(
    _ input: [Double], shape: [Int], mapping: VoxelMapping, outputShape: [Int],
    order: InterpolationOrder, mode: BoundaryMode, cval: Double, parallel: Bool = true
  ) -> [Double] {
    precondition(shape.count == 3 && outputShape.count == 3 && shape.allSatisfy { $0 >= 1 }
      && outputShape.allSatisfy { $0 >= 1 } && input.count == shape[0] * shape[1] * shape[2],
      "affineTransform: bad shapes \(shape) -> \(outputShape) for \(input.count) values")
    precondition(mapping.matrix.joined().allSatisfy(\.isFinite) && mapping.offset.allSatisfy(\.isFinite),
      "affineTransform: non-finite mapping \(mapping)")
    if let coordinates = separableCoordinates(mapping, outputShape: outputShape, order: order, mode: mode) {
      return separable(input, shape: shape, coordinates: coordinates, order: order, mode: mode, cval: cval, parallel: parallel)
    }
    return general(input, shape: shape, mapping: mapping, outputShape: outputShape, order: order, mode: mode,
      cval: cval, parallel: parallel)
  }

  /// scipy `zoom(input, zoom, order, mode='nearest', grid_mode=True)` to `outputShape`: along each
  /// axis output voxel `k` samples `x = (k + 0.5)·(n_in / n_out) - 0.5` (`NI_ZoomShift`).
  package static func gridZoom(
    _ input: [Double], shape: [Int], outputShape: [Int], order: InterpolationOrder, parallel: Bool = true
  ) -> [Double] {
    let coordinates = (0..<3).map { axis -> [Double] in
      let zoom = Double(shape[axis]) / Double(outputShape[axis])
      return (0..<outputShape[axis]).map { k in
        var cc = Double(k)
        cc += 0.5
        cc *= zoom
        cc -= 0.5
        return cc
      }
    }
    return separable(input, shape: shape, coordinates: coordinates, order: order, mode: .nearest, cval: 0, parallel: parallel)
  }

  /// Per-axis input coordinates when the mapping is separable (see `nearlyDiagonalTolerance`),
  /// computed as scipy does (`offset + o·m`, the zero off-diagonal terms adding nothing).
  package static func separableCoordinates(
    _ mapping: VoxelMapping, outputShape: [Int], order: InterpolationOrder, mode: BoundaryMode
  ) -> [[Double]]? {
    // Order 1 sums 8 taps per voxel on the general path, cheap enough to keep scipy's exact
    // summation order: with integer outputs, linear interpolation at half-way points hits
    // x.5 ties where the last bit decides the rounding.
    if order == .linear { return nil }
    if !mapping.isDiagonal {
      guard order != .nearest, mode == .nearest else { return nil }
      var bound = 0.0
      for d in 0..<3 {
        for e in 0..<3 where e != d { bound += abs(mapping.matrix[d][e]) * Double(outputShape[e] - 1) }
      }
      guard bound <= nearlyDiagonalTolerance else { return nil }
    }
    return (0..<3).map { d in
      let m = mapping.matrix[d][d]
      let offset = mapping.offset[d]
      return (0..<outputShape[d]).map { o in offset + Double(o) * m }
    }
  }

  /// The separable path: three line passes, then cval where any axis is outside.
  package static func separable(
    _ input: [Double], shape: [Int], coordinates: [[Double]], order: InterpolationOrder, mode: BoundaryMode,
    cval: Double, parallel: Bool
  ) -> [Double] {
    let plans = (0..<3).map {
      ResamplingAxisPlan(coordinates: coordinates[$0], inputLength: shape[$0], order: order, mode: mode)
    }
    var current = input
    var dims = shape
    for axis in 0..<3 {
      let plan = plans[axis]
      let inner = dims[0..<axis].reduce(1, *)
      let outer = dims[(axis + 1)...].reduce(1, *)
      let count = inner * plan.outputLength * outer
      let next = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
        current.withUnsafeBufferPointer { source in
          ResamplingLinePass.run(
            source: source.baseAddress!, inner: inner, length: dims[axis], outer: outer, padding: plan.padding,
            prefilter: plan.prefilter, plan: plan, destination: buffer.baseAddress!, parallel: parallel)
        }
        initialized = count
      }
      current = next
      dims[axis] = plan.outputLength
    }
    if mode == .constant && !plans.allSatisfy({ $0.valid.allSatisfy { $0 } }) {
      let (v0, v1, v2) = (plans[0].valid, plans[1].valid, plans[2].valid)
      var index = 0
      for o2 in 0..<dims[2] {
        for o1 in 0..<dims[1] {
          let inside = v2[o2] && v1[o1]
          for o0 in 0..<dims[0] {
            if !(inside && v0[o0]) { current[index] = cval }
            index += 1
          }
        }
      }
    }
    return current
  }

  /// The prefiltered coefficient array scipy interpolates for order 3: the input, padded by 12
  /// edge voxels on every side in `nearest` mode (`np.pad(mode='edge')`), then
  /// `spline_filter1d` along axis 0, 1 and 2 in turn (reflect initialisation for `nearest`,
  /// mirror for `constant`). Returns the coefficients, their shape and the padding.
  package static func cubicCoefficients(_ input: [Double], shape: [Int], mode: BoundaryMode, parallel: Bool)
    -> (coefficients: [Double], shape: [Int], padding: Int)
  {
    let pad = mode == .nearest ? ResamplingAxisPlan.cubicEdgePadding : 0
    let dims = shape.map { $0 + 2 * pad }
    var coefficients = [Double](repeating: 0, count: dims[0] * dims[1] * dims[2])
    var index = 0
    for k in 0..<dims[2] {
      let kk = min(max(k - pad, 0), shape[2] - 1)
      for j in 0..<dims[1] {
        let jj = min(max(j - pad, 0), shape[1] - 1)
        let row = shape[0] * (jj + shape[1] * kk)
        for i in 0..<dims[0] {
          coefficients[index] = input[row + min(max(i - pad, 0), shape[0] - 1)]
          index += 1
        }
      }
    }
    let boundary: BSplineBoundary = mode == .nearest ? .reflect : .mirror
    coefficients.withUnsafeMutableBufferPointer { buffer in
      for axis in 0..<3 {
        let inner = dims[0..<axis].reduce(1, *)
        let outer = dims[(axis + 1)...].reduce(1, *)
        ResamplingLinePass.run(
          source: buffer.baseAddress!, inner: inner, length: dims[axis], outer: outer, padding: 0,
          prefilter: boundary, plan: nil, destination: buffer.baseAddress!, parallel: parallel)
      }
    }
    return (coefficients, dims, pad)
  }

  /// The general path, scipy's `NI_GeometricTransform` loop per output voxel.
  package static func general(
    _ input: [Double], shape: [Int], mapping: VoxelMapping, outputShape: [Int], order: InterpolationOrder,
    mode: BoundaryMode, cval: Double, parallel: Bool
  ) -> [Double] {
    let (coefficients, dims, pad) =
      order == .cubic
      ? cubicCoefficients(input, shape: shape, mode: mode, parallel: parallel)
      : (input, shape, 0)
    let count = outputShape[0] * outputShape[1] * outputShape[2]
    return [Double](unsafeUninitializedCapacity: count) { output, initialized in
      coefficients.withUnsafeBufferPointer { coefficientBuffer in
        let source = ResamplingPointer(UnsafeMutablePointer(mutating: coefficientBuffer.baseAddress!))
        let destination = ResamplingPointer(output.baseAddress!)
        let slab: @Sendable (Int) -> Void = { o2 in
          ResamplingGeneralKernel.slab(
            o2, source: UnsafePointer(source.base), dims: dims, padding: pad, mapping: mapping,
            outputShape: outputShape, order: order, mode: mode, cval: cval, destination: destination.base)
        }
        if parallel && outputShape[2] > 1 {
          DispatchQueue.concurrentPerform(iterations: outputShape[2], execute: slab)
        } else {
          for o2 in 0..<outputShape[2] { slab(o2) }
        }
      }
      initialized = count
    }
  }
}
