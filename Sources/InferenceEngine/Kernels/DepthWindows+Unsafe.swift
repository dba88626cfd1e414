/// Depth windows of `nCdhw8c` activations, for convolutions run in depth chunks
/// (`PlanBuilder.chunkedConv`): copying a range of depth slices (`z`, the first spatial axis) of
/// every channel block into a small dense tensor and back (the transposed convolution's output
/// goes into a window through `voxelShuffle`). Each work item writes one (block, slice) plane, so
/// results do not depend on the thread count.
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
}
