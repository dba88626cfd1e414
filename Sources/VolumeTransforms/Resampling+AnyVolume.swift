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
  ) throws(ResamplingError) -> AnyVolume {
    try mapVolume(
      Rescale(spacing: spacing, order: order, mode: mode, cval: cval, alignCorners: alignCorners, skipTolerance: skipTolerance))
  }

  /// `Volume.resized(toShape:order:)` on the concrete volume; the scalar type is kept.
  public func resized(toShape shape: [Int], order: InterpolationOrder) throws(ResamplingError) -> AnyVolume {
    try mapVolume(Resize(shape: shape, order: order))
  }

  private func mapVolume<T: SameTypeVolumeTransform>(_ transform: T) throws(T.Failure) -> AnyVolume {
    switch self {
    case .uint8(let v): .uint8(try transform(v))
    case .int8(let v): .int8(try transform(v))
    case .int16(let v): .int16(try transform(v))
    case .uint16(let v): .uint16(try transform(v))
    case .int32(let v): .int32(try transform(v))
    case .uint32(let v): .uint32(try transform(v))
    case .int64(let v): .int64(try transform(v))
    case .uint64(let v): .uint64(try transform(v))
    case .float32(let v): .float32(try transform(v))
    case .float64(let v): .float64(try transform(v))
    }
  }
}

/// A transform generic over the voxel type, so one value serves every `AnyVolume` case.
/// `Failure` is `Never` for transforms that cannot fail (onto a given grid).
private protocol SameTypeVolumeTransform {
  associatedtype Failure: Error
  func callAsFunction<V: VoxelScalar>(_ volume: Volume<V>) throws(Failure) -> Volume<V>
}

private struct ResampleOnto: SameTypeVolumeTransform {
  typealias Failure = Never
  let grid: ImageGrid, order: InterpolationOrder, mode: BoundaryMode, cval: Double
  func callAsFunction<V: VoxelScalar>(_ volume: Volume<V>) -> Volume<V> {
    volume.resampled(onto: grid, order: order, mode: mode, cval: cval)
  }
}

private struct Rescale: SameTypeVolumeTransform {
  typealias Failure = ResamplingError
  let spacing: [Double], order: InterpolationOrder, mode: BoundaryMode, cval: Double
  let alignCorners: Bool, skipTolerance: Double
  func callAsFunction<V: VoxelScalar>(_ volume: Volume<V>) throws(ResamplingError) -> Volume<V> {
    try volume.rescaled(toSpacing: spacing, order: order, mode: mode, cval: cval, alignCorners: alignCorners,
      skipTolerance: skipTolerance)
  }
}

private struct Resize: SameTypeVolumeTransform {
  typealias Failure = ResamplingError
  let shape: [Int], order: InterpolationOrder
  func callAsFunction<V: VoxelScalar>(_ volume: Volume<V>) throws(ResamplingError) -> Volume<V> {
    try volume.resized(toShape: shape, order: order)
  }
}
