/// Pointer kernels behind `cropped(to:)` and `padded(lower:upper:value:)`, on raw voxel bytes so
/// one code path serves every `VoxelScalar` (all are trivial types of 1, 2, 4 or 8 bytes).
enum BlockCopyKernel {
  /// Copies a block of `size` voxels (i, j, k) per channel from `source` (grid `sourceShape`,
  /// block starting at `sourceOrigin`) to `destination` (grid `destinationShape`, block starting
  /// at `destinationOrigin`). Each i-row of the block is one `memcpy`.
  ///
  /// - Precondition: both blocks lie inside their grids and the buffers hold `channels` grids.
  static func copyBlock(
    elementSize: Int, channels: Int, size: [Int],
    source: UnsafeRawBufferPointer, sourceShape: [Int], sourceOrigin: [Int],
    destination: UnsafeMutableRawBufferPointer, destinationShape: [Int], destinationOrigin: [Int]
  ) {
    for n in 0..<3 {
      precondition(
        sourceOrigin[n] >= 0 && sourceOrigin[n] + size[n] <= sourceShape[n]
          && destinationOrigin[n] >= 0 && destinationOrigin[n] + size[n] <= destinationShape[n],
        "BlockCopyKernel.copyBlock: block outside its grid")
    }
    let sourceCount = sourceShape.reduce(1, *)
    let destinationCount = destinationShape.reduce(1, *)
    precondition(
      source.count == sourceCount * channels * elementSize
        && destination.count == destinationCount * channels * elementSize,
      "BlockCopyKernel.copyBlock: buffer sizes do not match the shapes")
    guard size.allSatisfy({ $0 > 0 }), channels > 0 else { return }
    let rowBytes = size[0] * elementSize
    for c in 0..<channels {
      for k in 0..<size[2] {
        for j in 0..<size[1] {
          let from =
            sourceOrigin[0]
            + sourceShape[0]
            * (sourceOrigin[1] + j + sourceShape[1] * (sourceOrigin[2] + k + sourceShape[2] * c))
          let to =
            destinationOrigin[0]
            + destinationShape[0]
            * (destinationOrigin[1] + j + destinationShape[1]
              * (destinationOrigin[2] + k + destinationShape[2] * c))
          // Unchecked: both rows lie inside their grids (preconditions above), so the bytes are in bounds.
          (destination.baseAddress! + to * elementSize)
            .copyMemory(from: source.baseAddress! + from * elementSize, byteCount: rowBytes)
        }
      }
    }
  }

  /// Fills `destination` with copies of the `pattern` bytes (one voxel), doubling the filled
  /// prefix with `memcpy` (O(log n) calls).
  ///
  /// - Precondition: `destination.count` is a multiple of `pattern.count`.
  static func fill(
    _ destination: UnsafeMutableRawBufferPointer, with pattern: UnsafeRawBufferPointer
  ) {
    precondition(
      !pattern.isEmpty && destination.count % pattern.count == 0,
      "BlockCopyKernel.fill: size mismatch")
    guard let base = destination.baseAddress, !destination.isEmpty else { return }
    // Unchecked: every copy stays within `destination.count` bytes (filled <= count at each step).
    base.copyMemory(from: pattern.baseAddress!, byteCount: pattern.count)
    var filled = pattern.count
    while filled < destination.count {
      let chunk = min(filled, destination.count - filled)
      (base + filled).copyMemory(from: base, byteCount: chunk)
      filled += chunk
    }
  }
}
