/// Pointer kernel of `ElasticDeformation.apply`: one output slab `k = o2` (crop-relative).
enum ElasticDeformationKernel {
  /// What every slab reads and writes. Pointers stay valid for the whole `apply` call; slabs
  /// write disjoint output ranges.
  struct Job: @unchecked Sendable {
    /// Prefiltered control coefficients, `3 × P_i × P_j × P_k`, C order.
    let control: UnsafePointer<Double>
    let controlShape: (Int, Int, Int)
    /// Per axis, per output index `o` along it: the 4 mirrored control taps and cubic weights at
    /// `g = (P − 1)·p / (N − 1)`, at `4·o … 4·o + 3` (`ResamplingAxisPlan`'s indices and weights).
    let controlTaps: (UnsafePointer<Int>, UnsafePointer<Int>, UnsafePointer<Int>)
    let controlWeights: (UnsafePointer<Double>, UnsafePointer<Double>, UnsafePointer<Double>)
    /// Input shape `N` (i, j, k) and the crop's lower corner and shape.
    let inputShape: (Int, Int, Int)
    let lower: (Int, Int, Int)
    let outputShape: (Int, Int, Int)
    /// Order-3 coefficients of each image (file order, input shape), `imageCount` of them.
    let images: UnsafePointer<UnsafePointer<Float>>
    /// Output of each image (file order, crop shape).
    let imageOutputs: UnsafePointer<UnsafeMutablePointer<Float>>
    let imageCount: Int
    /// Output flat input index of the order-0 sample, −1 where the point is outside; nil when
    /// there is no label map.
    let labelIndex: UnsafeMutablePointer<Int32>?
  }

  /// Computes slab `o2` and returns how many of its voxels sampled outside the input (`cval`).
  ///
  /// Per voxel: `u_d` by three separable 4-tap sums (slab, then row, then voxel), `x = p + u`,
  /// the inside test `0 ≤ x_a ≤ N_a − 1`, then per image `t = Σ c · w_i · w_j · w_k` over the
  /// 4×4×4 taps with axis k fastest, each product formed in that order and added to `t = 0` in
  /// turn (elasticdeform's `DeformGrid` loop), and the label's `floor(x + 0.5)` index.
  ///
  /// Unchecked pointer reads: control taps come from plans built for `P_a`, image taps from
  /// `ResamplingAxisPlan.locate` on `N_a`; both lie in range by construction.
  static func slab(_ o2: Int, _ job: Job) -> Int {
    let (p0, p1, p2) = job.controlShape
    let (n0, n1, n2) = job.inputShape
    let (s0, s1, _) = job.outputShape
    let c = job.control
    // T[d][a][b] = Σ_t c[d][a][b][tap_k(t)] · w_k(t): the slab's control plane.
    let plane = UnsafeMutablePointer<Double>.allocate(capacity: 3 * p0 * p1)
    let row = UnsafeMutablePointer<Double>.allocate(capacity: 3 * p0)
    // Image taps and weights: [axis i x4, axis j x4 (times n_i), axis k x4 (times n_i·n_j)].
    let tapIndex = UnsafeMutablePointer<Int>.allocate(capacity: 12)
    let tapWeight = UnsafeMutablePointer<Double>.allocate(capacity: 12)
    defer {
      plane.deallocate()
      row.deallocate()
      tapIndex.deallocate()
      tapWeight.deallocate()
    }
    let (kIndex, kWeight) = taps(job.controlTaps.2, job.controlWeights.2, o2)
    for ab in 0..<(3 * p0 * p1) {
      let base = ab * p2
      plane[ab] =
        c[base + kIndex.0] * kWeight.0 + c[base + kIndex.1] * kWeight.1
        + c[base + kIndex.2] * kWeight.2 + c[base + kIndex.3] * kWeight.3
    }
    let x2 = Double(job.lower.2 + o2)
    let imageCount = job.imageCount
    let images = job.images
    let imageOutputs = job.imageOutputs
    var outside = 0
    var out = o2 * s0 * s1
    for o1 in 0..<s1 {
      let (jIndex, jWeight) = taps(job.controlTaps.1, job.controlWeights.1, o1)
      for da in 0..<(3 * p0) {
        let base = da * p1
        row[da] =
          plane[base + jIndex.0] * jWeight.0 + plane[base + jIndex.1] * jWeight.1
          + plane[base + jIndex.2] * jWeight.2 + plane[base + jIndex.3] * jWeight.3
      }
      let x1 = Double(job.lower.1 + o1)
      for o0 in 0..<s0 {
        defer { out += 1 }
        let (iIndex, iWeight) = taps(job.controlTaps.0, job.controlWeights.0, o0)
        var u = (0.0, 0.0, 0.0)
        for d in 0..<3 {
          let r = row + d * p0
          let value =
            r[iIndex.0] * iWeight.0 + r[iIndex.1] * iWeight.1 + r[iIndex.2] * iWeight.2 + r[iIndex.3] * iWeight.3
          switch d {
          case 0: u.0 = value
          case 1: u.1 = value
          default: u.2 = value
          }
        }
        let q0 = Double(job.lower.0 + o0) + u.0
        let q1 = x1 + u.1
        let q2 = x2 + u.2
        guard let a0 = ResamplingAxisPlan.locate(q0, length: n0, order: .cubic, mode: .constant),
          let a1 = ResamplingAxisPlan.locate(q1, length: n1, order: .cubic, mode: .constant),
          let a2 = ResamplingAxisPlan.locate(q2, length: n2, order: .cubic, mode: .constant)
        else {
          outside += 1
          for m in 0..<imageCount { imageOutputs[m][out] = 0 }
          job.labelIndex?[out] = -1
          continue
        }
        if let labelIndex = job.labelIndex {
          let i = ResamplingAxisPlan.locate(q0, length: n0, order: .nearest, mode: .constant)!.indices.0
          let j = ResamplingAxisPlan.locate(q1, length: n1, order: .nearest, mode: .constant)!.indices.0
          let k = ResamplingAxisPlan.locate(q2, length: n2, order: .nearest, mode: .constant)!.indices.0
          labelIndex[out] = Int32(truncatingIfNeeded: i + n0 * (j + n1 * k))
        }
        guard imageCount > 0 else { continue }
        ResamplingGeneralKernel.store(a0, scale: 1, indices: tapIndex, weights: tapWeight)
        ResamplingGeneralKernel.store(a1, scale: n0, indices: tapIndex + 4, weights: tapWeight + 4)
        ResamplingGeneralKernel.store(a2, scale: n0 * n1, indices: tapIndex + 8, weights: tapWeight + 8)
        for m in 0..<imageCount {
          let image = images[m]
          var t = 0.0
          for a in 0..<4 {
            for b in 0..<4 {
              let base = tapIndex[a] + tapIndex[4 + b]
              for e in 0..<4 {
                var coefficient = Double(image[base + tapIndex[8 + e]])
                coefficient *= tapWeight[a]
                coefficient *= tapWeight[4 + b]
                coefficient *= tapWeight[8 + e]
                t += coefficient
              }
            }
          }
          imageOutputs[m][out] = Float(t)
        }
      }
    }
    return outside
  }

  /// The four control taps and weights of output index `o` along one axis.
  @inline(__always)
  static func taps(_ indices: UnsafePointer<Int>, _ weights: UnsafePointer<Double>, _ o: Int)
    -> ((Int, Int, Int, Int), (Double, Double, Double, Double))
  {
    let k = 4 * o
    return (
      (indices[k], indices[k + 1], indices[k + 2], indices[k + 3]),
      (weights[k], weights[k + 1], weights[k + 2], weights[k + 3])
    )
  }
}
