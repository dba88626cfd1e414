import VolumeCore

extension ImageGrid {
  /// The grid grown by `lower[n]` voxels before and `upper[n]` voxels after axis n, with world
  /// positions kept: `A' = A · T(-lower)`, i.e. the translation column becomes `A · [-lower, 1]`.
  ///
  /// - Precondition: three non-negative entries each.
  public func padded(lower: [Int], upper: [Int]) -> ImageGrid {
    precondition(
      lower.count == 3 && upper.count == 3 && (lower + upper).allSatisfy { $0 >= 0 },
      "padding needs 3 non-negative amounts per side, got \(lower) and \(upper)")
    let newShape = (0..<3).map { shape[$0] + lower[$0] + upper[$0] }
    return ImageGrid(shape: newShape, affine: affine.shiftingVoxelOrigin(by: lower.map { -$0 }))
  }
}

extension Volume {
  /// The volume grown by `lower[n]` voxels before and `upper[n]` voxels after axis n (i, j, k),
  /// new voxels set to `value` in every channel, world positions kept (see
  /// `ImageGrid.padded(lower:upper:)`). Voxel `(i, j, k)` of `self` is voxel `(i, j, k) + lower`
  /// of the result: `numpy.pad(data, [(l_i, u_i), (l_j, u_j), (l_k, u_k), (0, 0)],
  /// constant_values=value)`.
  ///
  /// Undoes `cropped(to: box)` of a grid of `shape` with `lower = box.lower`,
  /// `upper = shape - box.upper` (nnU-Net's `full = zeros(shape_before_cropping); full[bbox] = seg`
  /// for `value == 0`).
  ///
  /// Complexity: one fill of the new volume plus one `memcpy` per i-row of `self`.
  ///
  /// - Precondition: three non-negative entries each.
  public func padded(lower: [Int], upper: [Int], value: Voxel = 0) -> Volume {
    let newGrid = grid.padded(lower: lower, upper: upper)
    let count = newGrid.voxelCount * channelCount
    let elementSize = MemoryLayout<Voxel>.stride
    precondition(
      elementSize == Voxel.scalarType.byteCount, "VoxelScalar \(Voxel.self) is not a plain scalar")
    let newVoxels = [Voxel](unsafeUninitializedCapacity: count) { buffer, initialized in
      let destination = UnsafeMutableRawBufferPointer(buffer)
      withUnsafeBytes(of: value) { BlockCopyKernel.fill(destination, with: $0) }
      voxels.withUnsafeBytes { source in
        BlockCopyKernel.copyBlock(
          elementSize: elementSize, channels: channelCount, size: shape,
          source: source, sourceShape: shape, sourceOrigin: [0, 0, 0],
          destination: destination, destinationShape: newGrid.shape, destinationOrigin: lower)
      }
      initialized = count
    }
    return Volume(grid: newGrid, channelCount: channelCount, voxels: newVoxels)
  }

  /// Pads in place; see `padded(lower:upper:value:)`.
  public mutating func pad(lower: [Int], upper: [Int], value: Voxel = 0) {
    self = padded(lower: lower, upper: upper, value: value)
  }
}

extension AnyVolume {
  /// `Volume.padded(lower:upper:value:)` for the stored scalar type; `value` is converted with
  /// `VoxelScalar.init(converting:)` (integers round half away from zero and clamp).
  public func padded(lower: [Int], upper: [Int], value: Double = 0) -> AnyVolume {
    switch self {
    case .uint8(let v):
      .uint8(v.padded(lower: lower, upper: upper, value: .init(converting: value)))
    case .int8(let v): .int8(v.padded(lower: lower, upper: upper, value: .init(converting: value)))
    case .int16(let v):
      .int16(v.padded(lower: lower, upper: upper, value: .init(converting: value)))
    case .uint16(let v):
      .uint16(v.padded(lower: lower, upper: upper, value: .init(converting: value)))
    case .int32(let v):
      .int32(v.padded(lower: lower, upper: upper, value: .init(converting: value)))
    case .uint32(let v):
      .uint32(v.padded(lower: lower, upper: upper, value: .init(converting: value)))
    case .int64(let v):
      .int64(v.padded(lower: lower, upper: upper, value: .init(converting: value)))
    case .uint64(let v):
      .uint64(v.padded(lower: lower, upper: upper, value: .init(converting: value)))
    case .float32(let v):
      .float32(v.padded(lower: lower, upper: upper, value: .init(converting: value)))
    case .float64(let v):
      .float64(v.padded(lower: lower, upper: upper, value: .init(converting: value)))
    }
  }
}
