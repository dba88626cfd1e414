/// Pointer kernels behind `Volume.reoriented(using:)`, working on raw voxel bytes so that one
/// specialisation per element size (1, 2, 4, 8 bytes) serves every `VoxelScalar`.
enum ReorientKernel {
  /// Writes the output volume in file order, reading each voxel from
  /// `source[base + c·channelStride + x·steps[0] + y·steps[1] + z·steps[2]]` for output voxel
  /// `(x, y, z)` of `outputShape` in channel `c`. Steps may be negative (flipped axes).
  ///
  /// - Precondition: every computed source index lies in the source buffer (the caller derives
  ///   `base` and `steps` from a complete orientation transform of the same shape).
  static func gather(
    elementSize: Int, source: UnsafeRawBufferPointer, destination: UnsafeMutableRawBufferPointer,
    outputShape: [Int], channels: Int, channelStride: Int, base: Int, steps: [Int]
  ) {
    let count = outputShape[0] * outputShape[1] * outputShape[2] * channels
    precondition(
      source.count == count * elementSize && destination.count == count * elementSize,
      "ReorientKernel.gather: buffer sizes do not match the shape")
    guard count > 0 else { return }
    switch elementSize {
    case 1:
      gather(UInt8.self, source, destination, outputShape, channels, channelStride, base, steps)
    case 2:
      gather(UInt16.self, source, destination, outputShape, channels, channelStride, base, steps)
    case 4:
      gather(UInt32.self, source, destination, outputShape, channels, channelStride, base, steps)
    case 8:
      gather(UInt64.self, source, destination, outputShape, channels, channelStride, base, steps)
    default: preconditionFailure("ReorientKernel.gather: unsupported element size \(elementSize)")
    }
  }

  private static func gather<T: FixedWidthInteger>(
    _: T.Type, _ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableRawBufferPointer,
    _ shape: [Int], _ channels: Int, _ channelStride: Int, _ base: Int, _ steps: [Int]
  ) {
    // Raw loads and stores of a trivial type of the voxel's size: valid whatever type the memory is
    // bound to (Float bits move as UInt32, bit for bit).
    let src = source.baseAddress!
    let dst = destination.baseAddress!
    let size = MemoryLayout<T>.stride
    let (n0, n1, n2) = (shape[0], shape[1], shape[2])
    let (s0, s1, s2) = (steps[0], steps[1], steps[2])
    var out = 0
    for c in 0..<channels {
      for z in 0..<n2 {
        for y in 0..<n1 {
          // Unchecked: base/steps come from a complete transform of this shape, so every index of the
          // row lies in 0..<count (buffer sizes checked once per call by the precondition above).
          let row = base + c * channelStride + y * s1 + z * s2
          if s0 == 1 {
            (dst + out * size).copyMemory(from: src + row * size, byteCount: n0 * size)
          } else {
            for x in 0..<n0 {
              let value = src.load(fromByteOffset: (row + x * s0) * size, as: T.self)
              dst.storeBytes(of: value, toByteOffset: (out + x) * size, as: T.self)
            }
          }
          out += n0
        }
      }
    }
  }
}
