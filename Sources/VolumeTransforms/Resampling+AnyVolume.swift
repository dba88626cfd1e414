import VolumeCore

extension AnyVolume {
  /// `Volume.resampled(onto:order:mode:cval:)` on the concrete volume; the scalar type is kept.
  public func resampled(
    onto grid: ImageGrid, order: InterpolationOrder, mode: BoundaryMode = .nearest, cval: Double = 0
  ) -> AnyVolume {
    mapVolume(ResampleOnto(grid: grid, order: order, mode: mode, cval: cval))
  }

  /// `Volume.rescaled(toSpacing:order:mode:cval:alignCorners:skipTolerance:)` on the concrete
  /// volume; the scalar type is kept (TPTBox keeps the stored dtype).
  public func rescaled(
    toSpacing spacing: [Double], order: InterpolationOrder, mode: BoundaryMode = .nearest, cval: Double = 0,
    alignCorners: Bool = false, skipTolerance: Double = 1e-3
  ) -> AnyVolume {
    mapVolume(
      Rescale(spacing: spacing, order: order, mode: mode, cval: cval, alignCorners: alignCorners, skipTolerance: skipTolerance))
  }

  /// `Volume.resized(toShape:order:)` on the concrete volume; the scalar type is kept.
  public func resized(toShape shape: [Int], order: InterpolationOrder) -> AnyVolume {
    mapVolume(Resize(shape: shape, order: order))
  }

  private func mapVolume(_ transform: some SameTypeVolumeTransform) -> AnyVolume {
    switch self {
    case .uint8(let v): .uint8(transform(v))
    case .int8(let v): .int8(transform(v))
    case .int16(let v): .int16(transform(v))
    case .uint16(let v): .uint16(transform(v))
    case .int32(let v): .int32(transform(v))
    case .uint32(let v): .uint32(transform(v))
    case .int64(let v): .int64(transform(v))
    case .uint64(let v): .uint64(transform(v))
    case .float32(let v): .float32(transform(v))
    case .float64(let v): .float64(transform(v))
    }
  }
}

/// A transform generic over the voxel type, so one value serves every `AnyVolume` case.
private protocol SameTypeVolumeTransform {
  func callAsFunction<V: VoxelScalar>(_ volume: Volume<V>) -> Volume<V>
}

private struct ResampleOnto: SameTypeVolumeTransform {
  let grid: ImageGrid, order: InterpolationOrder, mode: BoundaryMode, cval: Double
  func callAsFunction<V: VoxelScalar>(_ volume: Volume<V>) -> Volume<V> {
    volume.resampled(onto: grid, order: order, mode: mode, cval: cval)
  }
}

private struct Rescale: SameTypeVolumeTransform {
  let spacing: [Double], order: InterpolationOrder, mode: BoundaryMode, cval: Double
  let alignCorners: Bool, skipTolerance: Double
  func callAsFunction<V: VoxelScalar>(_ volume: Volume<V>) -> Volume<V> {
    volume.rescaled(toSpacing: spacing, order: order, mode: mode, cval: cval, alignCorners: alignCorners,
      skipTolerance: skipTolerance)
  }
}

private struct Resize: SameTypeVolumeTransform {
  let shape: [Int], order: InterpolationOrder
  func callAsFunction<V: VoxelScalar>(_ volume: Volume<V>) -> Volume<V> {
    volume.resized(toShape: shape, order: order)
  }
}
