/// Instance normalisation on `nCdhw8c` activations, in two memory passes: `statistics` (per
/// channel mean and biased variance over the whole volume), then `apply` (normalise, affine,
/// optional residual, optional LeakyReLU, one read and one write per element).
///
/// Statistics are exact to float64 rounding of float32 chunk sums: each chunk of `chunkVoxels`
/// voxels (a block's chunk is 64 KiB, still in L2 for its second pass) is summed around its own
/// float32 mean with the corrected two-pass formula
/// `M2 = Σ(x - m)² - (Σ(x - m))² / n`, and chunks are merged in a fixed order with Chan et al.'s
/// pairwise update in float64. The order never depends on the thread count.
enum InstanceNormKernel: BlockedVectorAccess {
  static let chunkVoxels = 2048
  static let applyVoxels = 16384

  /// Mean and M2 (sum of squared deviations) of each lane over `n` voxels at `p`, as float64:
  /// `out[0..<8]` means, `out[8..<16]` M2.
  static func chunkMoments(_ p: UnsafePointer<Float>, count n: Int, into out: UnsafeMutablePointer<Double>) {
    var a0 = SIMD8<Float>()
    var a1 = SIMD8<Float>()
    var a2 = SIMD8<Float>()
    var a3 = SIMD8<Float>()
    var i = 0
    while i + 4 <= n {
      a0 += load(p + 8 * i)
      a1 += load(p + 8 * i + 8)
      a2 += load(p + 8 * i + 16)
      a3 += load(p + 8 * i + 24)
      i += 4
    }
    while i < n {
      a0 += load(p + 8 * i)
      i += 1
    }
    let shift = ((a0 + a1) + (a2 + a3)) / SIMD8(repeating: Float(n))
    var d0 = SIMD8<Float>()
    var d1 = SIMD8<Float>()
    var q0 = SIMD8<Float>()
    var q1 = SIMD8<Float>()
    i = 0
    while i + 2 <= n {
      let x0 = load(p + 8 * i) - shift
      let x1 = load(p + 8 * i + 8) - shift
      d0 += x0
      d1 += x1
      q0.addProduct(x0, x0)
      q1.addProduct(x1, x1)
      i += 2
    }
    if i < n {
      let x0 = load(p + 8 * i) - shift
      d0 += x0
      q0.addProduct(x0, x0)
    }
    let d = d0 + d1
    let q = q0 + q1
    for lane in 0..<8 {
      let dl = Double(d[lane])
      out[lane] = Double(shift[lane]) + dl / Double(n)
      out[8 + lane] = max(0, Double(q[lane]) - dl * dl / Double(n))
    }
  }

  /// Per-channel mean and biased variance of `x` (all `paddedChannels` lanes) into `mean` and
  /// `variance`; `partials` holds `x.blocks · chunkCount(x) · 16` doubles.
  static func statistics(
    _ x: BlockedTensor, partials: UnsafeMutablePointer<Double>, mean: UnsafeMutablePointer<Double>,
    variance: UnsafeMutablePointer<Double>, threads: Int
  ) {
    let v = x.voxels
    let chunks = chunkCount(voxels: v)
    let base = UnsafePointer(x.base)
    parallelFor(x.blocks * chunks, threads: threads) { item in
      let b = item / chunks
      let c = item % chunks
      let start = c * chunkVoxels
      chunkMoments(base + (b * v + start) * 8, count: min(chunkVoxels, v - start), into: partials + item * 16)
    }
    for b in 0..<x.blocks {
      for lane in 0..<8 {
        var n = 0.0
        var m = 0.0
        var m2 = 0.0
        for c in 0..<chunks {
          let p = partials + (b * chunks + c) * 16
          let nb = Double(min(chunkVoxels, v - c * chunkVoxels))
          let delta = p[lane] - m
          let total = n + nb
          m += delta * nb / total
          m2 += p[8 + lane] + delta * delta * n * nb / total
          n = total
        }
        mean[b * 8 + lane] = m
        variance[b * 8 + lane] = m2 / n
      }
    }
  }

  static func chunkCount(voxels: Int) -> Int { (voxels + chunkVoxels - 1) / chunkVoxels }

  /// The affine map of one normalised input: `(x - mean) · scale + shift` per channel lane.
  struct Affine {
    var mean: UnsafePointer<Float>
    var scale: UnsafePointer<Float>
    var shift: UnsafePointer<Float>
  }

  /// What is added before the activation: nothing, `r` itself (identity shortcut), or a
  /// normalised `r` (projection shortcut).
  enum Residual {
    case none
    case identity(UnsafePointer<Float>)
    case normalized(UnsafePointer<Float>, Affine)
  }

  /// `y = act((x - mean)·scale + shift [+ residual])` over `blocks · voxels` blocked elements,
  /// where `act` is LeakyReLU with `slope` (`y ≥ 0 ? y : slope·y`) or the identity when nil.
  /// `y` may alias `x` (in place) or the residual.
  static func apply(
    x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, blocks: Int, voxels: Int, affine: Affine,
    residual: Residual, slope: Float?, threads: Int
  ) {
    let pieces = (voxels + applyVoxels - 1) / applyVoxels
    parallelFor(blocks * pieces, threads: threads) { item in
      let b = item / pieces
      let start = (item % pieces) * applyVoxels
      let end = min(voxels, start + applyVoxels)
      let offset = (b * voxels) * 8
      let m = load(affine.mean + b * 8)
      let s = load(affine.scale + b * 8)
      let t = load(affine.shift + b * 8)
      let negative = SIMD8(repeating: slope ?? 1)
      switch residual {
      case .none:
        for i in start..<end {
          var v = (load(x + offset + 8 * i) - m) * s + t
          if slope != nil { v.replace(with: v * negative, where: v .< 0) }
          store(v, y + offset + 8 * i)
        }
      case .identity(let r):
        for i in start..<end {
          var v = (load(x + offset + 8 * i) - m) * s + t + load(r + offset + 8 * i)
          if slope != nil { v.replace(with: v * negative, where: v .< 0) }
          store(v, y + offset + 8 * i)
        }
      case .normalized(let r, let ra):
        let rm = load(ra.mean + b * 8)
        let rs = load(ra.scale + b * 8)
        let rt = load(ra.shift + b * 8)
        for i in start..<end {
          var v = ((load(x + offset + 8 * i) - m) * s + t) + ((load(r + offset + 8 * i) - rm) * rs + rt)
          if slope != nil { v.replace(with: v * negative, where: v .< 0) }
          store(v, y + offset + 8 * i)
        }
      }
    }
  }
}

/// The statistics workspace and affine coefficients of one normalisation site of a plan.
final class NormalizationSite {
  let channels: Int
  let blocks: Int
  private let partials: UnsafeMutablePointer<Double>
  private let meanD: UnsafeMutablePointer<Double>
  private let varianceD: UnsafeMutablePointer<Double>
  private let gamma: [Double]
  private let beta: [Double]
  private let epsilon: Double
  let mean: UnsafeMutablePointer<Float>
  let scale: UnsafeMutablePointer<Float>
  let shift: UnsafeMutablePointer<Float>

  /// `gamma`/`beta` of the real channels (nil: 1 and 0); padding lanes get 0 and 0 so that they
  /// stay zero.
  init(channels: Int, voxels: Int, gamma: [Float]?, beta: [Float]?, epsilon: Double) {
    self.channels = channels
    blocks = (channels + 7) / 8
    let padded = blocks * 8
    partials = .allocate(capacity: blocks * InstanceNormKernel.chunkCount(voxels: voxels) * 16)
    meanD = .allocate(capacity: padded)
    varianceD = .allocate(capacity: padded)
    mean = .allocate(capacity: padded)
    scale = .allocate(capacity: padded)
    shift = .allocate(capacity: padded)
    for p in [mean, scale, shift] { p.initialize(repeating: 0, count: padded) }
    self.gamma = (0..<padded).map { $0 < channels ? Double(gamma?[$0] ?? 1) : 0 }
    self.beta = (0..<padded).map { $0 < channels ? Double(beta?[$0] ?? 0) : 0 }
    self.epsilon = epsilon
  }

  /// Computes `mean`, `scale = gamma / sqrt(var + eps)` and `shift = beta` from `x`.
  func measure(_ x: BlockedTensor, threads: Int) {
    InstanceNormKernel.statistics(x, partials: partials, mean: meanD, variance: varianceD, threads: threads)
    for c in 0..<(blocks * 8) {
      mean[c] = Float(meanD[c])
      scale[c] = Float(gamma[c] / (varianceD[c] + epsilon).squareRoot())
      shift[c] = Float(beta[c])
    }
  }

  var affine: InstanceNormKernel.Affine { .init(mean: mean, scale: scale, shift: shift) }

  deinit {
    partials.deallocate()
    meanD.deallocate()
    varianceD.deallocate()
    mean.deallocate()
    scale.deallocate()
    shift.deallocate()
  }
}
