/// Pointer kernel of the general (oblique) resampling path: scipy `NI_GeometricTransform` for
/// one output slab `k = o2`.
enum ResamplingGeneralKernel {
  /// Fills output voxels `(·, ·, o2)`: for each, the input coordinate
  /// `x[h] = ((offset[h] + o0·m[h][0]) + o1·m[h][1]) + o2·m[h][2]`, shifted by `padding`, located
  /// per axis (`ResamplingAxisPlan.locate`; cval if any axis is outside in `constant` mode), then
  /// `t = Σ coefficient · w0 · w1 · w2` over the `(order+1)^3` taps with axis 2 fastest, each
  /// product formed in that order and added to `t = 0` in turn (order 0: the single tap's value).
  ///
  /// Unchecked pointer reads: located tap indices lie in `0 ..< dims[h]` by construction.
  static func slab(
    _ o2: Int, source: UnsafePointer<Double>, dims: [Int], padding: Int, mapping: VoxelMapping,
    outputShape: [Int], order: InterpolationOrder, mode: BoundaryMode, cval: Double,
    destination: UnsafeMutablePointer<Double>
  ) {
    let m = mapping.matrix
    let (m00, m01, m02) = (m[0][0], m[0][1], m[0][2])
    let (m10, m11, m12) = (m[1][0], m[1][1], m[1][2])
    let (m20, m21, m22) = (m[2][0], m[2][1], m[2][2])
    let (s0, s1, s2) = (mapping.offset[0], mapping.offset[1], mapping.offset[2])
    let (d0, d1, d2) = (dims[0], dims[1], dims[2])
    let stride1 = d0
    let stride2 = d0 * d1
    let pad = Double(padding)
    let taps = order.tapCount
    let z = Double(o2)
    var out = o2 * outputShape[0] * outputShape[1]
    // Taps and weights of the three axes: [axis0 x4, axis1 x4 (times stride1), axis2 x4 (times stride2)].
    let index = UnsafeMutablePointer<Int>.allocate(capacity: 12)
    let weight = UnsafeMutablePointer<Double>.allocate(capacity: 12)
    defer {
      index.deallocate()
      weight.deallocate()
    }
    for o1 in 0..<outputShape[1] {
      let y = Double(o1)
      for o0 in 0..<outputShape[0] {
        let x = Double(o0)
        var c0 = s0
        c0 += x * m00
        c0 += y * m01
        c0 += z * m02
        var c1 = s1
        c1 += x * m10
        c1 += y * m11
        c1 += z * m12
        var c2 = s2
        c2 += x * m20
        c2 += y * m21
        c2 += z * m22
        guard let a0 = ResamplingAxisPlan.locate(c0 + pad, length: d0, order: order, mode: mode),
          let a1 = ResamplingAxisPlan.locate(c1 + pad, length: d1, order: order, mode: mode),
          let a2 = ResamplingAxisPlan.locate(c2 + pad, length: d2, order: order, mode: mode)
        else {
          destination[out] = cval
          out += 1
          continue
        }
        if order == .nearest {
          destination[out] = 0.0 + source[a0.indices.0 + stride1 * a1.indices.0 + stride2 * a2.indices.0]
          out += 1
          continue
        }
        store(a0, scale: 1, indices: index, weights: weight)
        store(a1, scale: stride1, indices: index + 4, weights: weight + 4)
        store(a2, scale: stride2, indices: index + 8, weights: weight + 8)
        var t = 0.0
        for a in 0..<taps {
          for b in 0..<taps {
            let base = index[a] + index[4 + b]
            for c in 0..<taps {
              var coefficient = source[base + index[8 + c]]
              coefficient *= weight[a]
              coefficient *= weight[4 + b]
              coefficient *= weight[8 + c]
              t += coefficient
            }
          }
        }
        destination[out] = t
        out += 1
      }
    }
  }

  /// One axis's four taps (indices scaled by the axis stride) and weights into `indices`/`weights`
  /// (also used by `ElasticDeformationKernel`).
  @inline(__always)
  static func store(
    _ located: (indices: (Int, Int, Int, Int), weights: (Double, Double, Double, Double)), scale: Int,
    indices: UnsafeMutablePointer<Int>, weights: UnsafeMutablePointer<Double>
  ) {
    indices[0] = located.indices.0 * scale
    indices[1] = located.indices.1 * scale
    indices[2] = located.indices.2 * scale
    indices[3] = located.indices.3 * scale
    weights[0] = located.weights.0
    weights[1] = located.weights.1
    weights[2] = located.weights.2
    weights[3] = located.weights.3
  }
}
