/// Memory-bound kernels on `nCdhw8c` activations: the voxel shuffle of the transposed
/// convolution, the shortcut's average pool, and the conversion back to the plain layout. Each
/// work item writes a disjoint part of the output, so results do not depend on the thread count.
enum DataMovementKernel: BlockedVectorAccess {

  /// The scatter half of `ConvTranspose3d(kernel = stride)`, into `dst` whole or into a depth
  /// window of the output.
  ///
  /// `src` is the output of the 1x1x1 convolution to `|positions| · Cpad` channels (`P = sd·sh·sw`
  /// kernel positions, `Cpad = 8·ceil(Cout/8)`), position-major: channel
  /// `(q - positions.lowerBound)·Cpad + o` holds output channel `o` for kernel position
  /// `q = (a·sh + b)·sw + e`; the transposed convolution runs in position groups so that this
  /// temporary holds a part of the output's bytes. `src` covers coarse slices
  /// `srcFirst ..< srcFirst + m` (`m = srcSpatial[0]`). Slice `z` of `dst` receives slice
  /// `u = dstFirst + z` of the transposed convolution's output (depth `outputDepth`, default
  /// `dst`'s own: the whole output):
  /// `dst[o, z, y·sh + b, x·sw + e] = src[(q - positions.lowerBound)·Cpad + o, u / sd - srcFirst, y, x]`
  /// with `q = ((u % sd)·sh + b)·sw + e`. Slices with `u` outside `0 ..< outputDepth` are the
  /// following convolution's zero padding: written as zeros by the group holding position 0.
  /// Padding lanes are copied from `src`, where they are zero. `slices`: only these slices of
  /// `dst` are written (default all).
  static func voxelShuffle(
    src: UnsafePointer<Float>, srcSpatial: [Int], srcFirst: Int = 0, stride: [Int], dst: BlockedTensor,
    dstFirst: Int = 0, outputDepth: Int? = nil, positions: Range<Int>, slices: Range<Int>? = nil, threads: Int
  ) {
    let (m, h, w) = (srcSpatial[0], srcSpatial[1], srcSpatial[2])
    let (s0, s1, s2) = (stride[0], stride[1], stride[2])
    let (window, outH, outW) = (dst.spatial[0], dst.spatial[1], dst.spatial[2])
    if outH != h * s1 || outW != w * s2 {
      fatalError("voxelShuffle: \(srcSpatial) with stride \(stride) into \(dst.spatial)")
    }
    let depth = outputDepth ?? window
    let srcVoxels = m * h * w
    let dstVoxels = window * outH * outW
    let blocksPerPosition = dst.blocks
    let out = dst.base
    let range = slices ?? 0..<window
    parallelFor(dst.blocks * range.count, threads: threads) { item in
      let cb = item / range.count
      let z = range.lowerBound + item % range.count
      let u = dstFirst + z
      let plane = out + (cb * dstVoxels + z * outH * outW) * 8
      guard u >= 0 && u < depth else {
        if positions.lowerBound == 0 { plane.update(repeating: 0, count: outH * outW * 8) }
        return
      }
      let a = u % s0
      let zi = u / s0 - srcFirst
      if zi < 0 || zi >= m { fatalError("voxelShuffle: slice \(u) needs coarse slice \(zi + srcFirst), not in src") }
      for y in 0..<outH {
        let b = y % s1
        let yi = y / s1
        let rowPositions = ((a * s1 + b) * s2)..<((a * s1 + b + 1) * s2)
        if !rowPositions.overlaps(positions) { continue }
        let dstRow = plane + y * outW * 8
        let srcRowVoxel = (zi * h + yi) * w
        for x in 0..<outW {
          let q = (a * s1 + b) * s2 + x % s2
          if !positions.contains(q) { continue }
          let srcBlock = (q - positions.lowerBound) * blocksPerPosition + cb
          store(load(src + (srcBlock * srcVoxels + srcRowVoxel + x / s2) * 8), dstRow + 8 * x)
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

  /// `nCdhw8c` to plain `[C, D, H, W]` (padding lanes dropped): channel `c`, voxel `i` of `src`
  /// goes to `dst[c·channelStride + i]` (`channelStride` nil: `src.voxels`, a dense array; larger
  /// when `src` holds some depth slices of a larger tensor).
  static func unblock(_ src: BlockedTensor, into dst: UnsafeMutablePointer<Float>, channelStride: Int? = nil, threads: Int) {
    let v = src.voxels
    let stride = channelStride ?? v
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
        for lane in 0..<lanes { dst[(cb * 8 + lane) * stride + i] = values[lane] }
      }
    }
  }
}
