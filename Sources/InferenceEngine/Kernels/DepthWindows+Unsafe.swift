/// Depth windows of `nCdhw8c` activations, for convolutions run in depth chunks
/// (`PlanBuilder.chunkedConv`): copying a range of depth slices (`z`, the first spatial axis) of
/// every channel block into a small dense tensor and back, and the transposed convolution's voxel
/// shuffle restricted to a depth window. Each work item writes one (block, slice) plane, so results
/// do not depend on the thread count.
extension DataMovementKernel {
  /// `dst[:, z] = src[:, first + z]` for `z` in `slices` (default all of `dst`'s depth), zeros
  /// where `first + z` lies outside `0 ..< src.depth` (the convolution's zero padding). Same
  /// channel count and plane.
  static func gatherDepth(_ src: BlockedTensor, first: Int, into dst: BlockedTensor, slices: Range<Int>? = nil, threads: Int) {
    let (srcD, dstD) = (src.spatial[0], dst.spatial[0])
    let plane = src.spatial[1] * src.spatial[2] * 8
    if src.blocks != dst.blocks || plane != dst.spatial[1] * dst.spatial[2] * 8 {
      fatalError("gatherDepth: \(src.channels) x \(src.spatial) into \(dst.channels) x \(dst.spatial)")
    }
    let (input, output) = (UnsafePointer(src.base), dst.base)
    let range = slices ?? 0..<dstD
    parallelFor(dst.blocks * range.count, threads: threads) { item in
      let (cb, z) = (item / range.count, range.lowerBound + item % range.count)
      let s = first + z
      let target = output + (cb * dstD + z) * plane
      if s >= 0 && s < srcD {
        target.update(from: input + (cb * srcD + s) * plane, count: plane)
      } else {
        target.update(repeating: 0, count: plane)
      }
    }
  }

  /// Moves the last `count` depth slices of every block of `window` to its first `count` slices
  /// (the halo the next chunk's window shares with this one).
  static func rollDepth(_ window: BlockedTensor, count: Int, threads: Int) {
    let d = window.spatial[0]
    let plane = window.spatial[1] * window.spatial[2] * 8
    let base = window.base
    parallelFor(window.blocks, threads: threads) { cb in
      let block = base + cb * d * plane
      // Forward element order: safe although the ranges may overlap (destination below source).
      let (from, to) = (block + (d - count) * plane, block)
      if d - count >= count {
        to.update(from: from, count: count * plane)
      } else {
        for i in 0..<(count * plane) { to[i] = from[i] }
      }
    }
  }

  /// `dst[:, first + z] = src[:, z]` for every slice `z` of `src` (which must fit inside `dst`).
  static func scatterDepth(_ src: BlockedTensor, into dst: BlockedTensor, first: Int, threads: Int) {
    let (srcD, dstD) = (src.spatial[0], dst.spatial[0])
    let plane = src.spatial[1] * src.spatial[2] * 8
    if src.blocks != dst.blocks || plane != dst.spatial[1] * dst.spatial[2] * 8 || first < 0 || first + srcD > dstD {
      fatalError("scatterDepth: \(src.channels) x \(src.spatial) into \(dst.channels) x \(dst.spatial) at \(first)")
    }
    let (input, output) = (UnsafePointer(src.base), dst.base)
    parallelFor(src.blocks * srcD, threads: threads) { item in
      let (cb, z) = (item / srcD, item % srcD)
      (output + (cb * dstD + first + z) * plane).update(from: input + (cb * srcD + z) * plane, count: plane)
    }
  }

  /// `voxelShuffle` into a depth window: window slice `z` of `dst` receives slice
  /// `u = dstFirst + z` of the transposed convolution's output (depth `outputDepth`), from
  /// `src`, the 1x1x1 convolution's output over coarse slices `srcFirst ..< srcFirst + m`
  /// (`m = srcSpatial[0]`, positions `positions` only, position-major as in `voxelShuffle`):
  /// `dst[o, z, y·sh + b, x·sw + e] = src[(q - positions.lowerBound)·Cpad + o, u / sd - srcFirst, y, x]`
  /// with `q = ((u % sd)·sh + b)·sw + e`. Slices with `u` outside `0 ..< outputDepth` are the
  /// following convolution's zero padding: written as zeros by the group holding position 0.
  /// Padding lanes are copied from `src`, where they are zero. `slices`: only these window slices
  /// are written (default all).
  static func shuffleWindow(
    src: UnsafePointer<Float>, srcSpatial: [Int], srcFirst: Int, stride: [Int], dst: BlockedTensor, dstFirst: Int,
    outputDepth: Int, positions: Range<Int>, slices: Range<Int>? = nil, threads: Int
  ) {
    let (m, h, w) = (srcSpatial[0], srcSpatial[1], srcSpatial[2])
    let (s0, s1, s2) = (stride[0], stride[1], stride[2])
    let (window, outH, outW) = (dst.spatial[0], dst.spatial[1], dst.spatial[2])
    if outH != h * s1 || outW != w * s2 {
      fatalError("shuffleWindow: \(srcSpatial) with stride \(stride) into \(dst.spatial)")
    }
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
      guard u >= 0 && u < outputDepth else {
        if positions.lowerBound == 0 { plane.update(repeating: 0, count: outH * outW * 8) }
        return
      }
      let a = u % s0
      let zi = u / s0 - srcFirst
      if zi < 0 || zi >= m { fatalError("shuffleWindow: slice \(u) needs coarse slice \(zi + srcFirst), not in the window") }
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
}
