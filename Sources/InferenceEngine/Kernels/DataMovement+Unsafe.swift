/// Memory-bound kernels on `nCdhw8c` activations: the voxel shuffle of the transposed
/// convolution, the shortcut's average pool, and the conversion back to the plain layout. Each work item writes a disjoint part of the output, so results do
/// not depend on the thread count.
enum DataMovementKernel {
  @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).load(as: SIMD8<Float>.self)
  }
  @inline(__always) static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
  }

  /// The scatter half of `ConvTranspose3d(kernel = stride)`.
  ///
  /// `src` is the output of the 1x1x1 convolution to `P · Cpad` channels (`P = sd·sh·sw` kernel
  /// positions, `Cpad = 8·ceil(Cout/8)`), position-major: channel `q·Cpad + o` holds output channel
  /// `o` for kernel position `q = (a·sh + b)·sw + e`. Then
  /// `dst[o, z·sd + a, y·sh + b, x·sw + e] = src[q·Cpad + o, z, y, x]` for `o < dst.channels`.
  /// When `dst.channels` is not a multiple of 8, the lanes of its last block beyond it are left
  /// untouched when `keepTailLanes` (they belong to a concatenated tensor), else written with
  /// `src`'s padding lanes, which are zero.
  ///
  /// `positions`: only these kernel positions are scattered, and `src` holds only them (channel
  /// `(q - positions.lowerBound)·Cpad + o`); the transposed convolution runs in position groups
  /// so that its temporary holds a part of the output's bytes.
  static func voxelShuffle(
    src: UnsafePointer<Float>, srcSpatial: [Int], stride: [Int], dst: BlockedTensor, positions: Range<Int>? = nil,
    keepTailLanes: Bool = true, threads: Int
  ) {
    let (d, h, w) = (srcSpatial[0], srcSpatial[1], srcSpatial[2])
    let (s0, s1, s2) = (stride[0], stride[1], stride[2])
    let (outD, outH, outW) = (d * s0, h * s1, w * s2)
    let srcVoxels = d * h * w
    let dstVoxels = outD * outH * outW
    let blocksPerPosition = dst.blocks
    let fullBlocks = dst.channels / 8
    let tailLanes = dst.channels % 8
    var keepMask = SIMDMask<SIMD8<Int32>>()
    for lane in 0..<8 { keepMask[lane] = lane >= tailLanes }
    let mask = keepMask
    let out = dst.base
    let range = positions ?? 0..<(s0 * s1 * s2)
    parallelFor(dst.blocks * outD, threads: threads) { item in
      let cb = item / outD
      let z = item % outD
      let a = z % s0
      let zi = z / s0
      let partial = keepTailLanes && cb >= fullBlocks
      for y in 0..<outH {
        let b = y % s1
        let yi = y / s1
        let rowPositions = ((a * s1 + b) * s2)..<((a * s1 + b + 1) * s2)
        if !rowPositions.overlaps(range) { continue }
        let dstRow = out + ((cb * dstVoxels) + (z * outH + y) * outW) * 8
        let srcRowVoxel = (zi * h + yi) * w
        for x in 0..<outW {
          let q = (a * s1 + b) * s2 + x % s2
          if !range.contains(q) { continue }
          let srcBlock = (q - range.lowerBound) * blocksPerPosition + cb
          let v = load(src + (srcBlock * srcVoxels + srcRowVoxel + x / s2) * 8)
          if partial {
            var merged = v
            merged.replace(with: load(dstRow + 8 * x), where: mask)
            store(merged, dstRow + 8 * x)
          } else {
            store(v, dstRow + 8 * x)
          }
        }
      }
    }
  }

  /// `AvgPool3d(kernel = stride, stride)` without padding (`ceil_mode = False`): each output voxel
  /// is the sum of its `sd·sh·sw` window divided by the window size; trailing input voxels that do
  /// not fill a window are dropped, as in PyTorch.
  static func averagePool(src: BlockedTensor, stride: [Int], dst: BlockedTensor, threads: Int) {
    let (inH, inW) = (src.spatial[1], src.spatial[2])
    let (outD, outH, outW) = (dst.spatial[0], dst.spatial[1], dst.spatial[2])
    let (s0, s1, s2) = (stride[0], stride[1], stride[2])
    let inVoxels = src.voxels
    let outVoxels = dst.voxels
    let divisor = SIMD8(repeating: Float(s0 * s1 * s2))
    let input = UnsafePointer(src.base)
    let out = dst.base
    parallelFor(dst.blocks * outD, threads: threads) { item in
      let cb = item / outD
      let z = item % outD
      for y in 0..<outH {
        for x in 0..<outW {
          var sum = SIMD8<Float>()
          for a in 0..<s0 {
            for b in 0..<s1 {
              let row = input + (cb * inVoxels + ((z * s0 + a) * inH + y * s1 + b) * inW + x * s2) * 8
              for e in 0..<s2 { sum += load(row + 8 * e) }
            }
          }
          store(sum / divisor, out + (cb * outVoxels + (z * outH + y) * outW + x) * 8)
        }
      }
    }
  }

  /// `nCdhw8c` to plain `[C, D, H, W]` (padding lanes dropped).
  static func unblock(_ src: BlockedTensor, into dst: UnsafeMutablePointer<Float>, threads: Int) {
    let v = src.voxels
    let channels = src.channels
    let input = UnsafePointer(src.base)
    let pieces = max(1, (v + 65535) / 65536)
    parallelFor(src.blocks * pieces, threads: threads) { item in
      let cb = item / pieces
      let start = (item % pieces) * 65536
      let end = min(v, start + 65536)
      let lanes = min(8, channels - cb * 8)
      let block = input + cb * v * 8
      for i in start..<end {
        let values = load(block + 8 * i)
        for lane in 0..<lanes { dst[(cb * 8 + lane) * v + i] = values[lane] }
      }
    }
  }
}
