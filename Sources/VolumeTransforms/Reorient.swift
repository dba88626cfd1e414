import VolumeCore

extension ImageGrid {
  /// The transform from this grid's orientation to `target`: nibabel
  /// `ornt_transform(io_orientation(affine), axcodes2ornt(target))`, the array TPTBox's
  /// `NII.reorient(axcodes_to)` hands to `as_reoriented`.
  ///
  /// - Throws: `OrientationError.Code.undeterminedOrientation` when the affine is non-finite or
  ///   rank-deficient (nibabel raises `LinAlgError` or `ValueError`).
  public func orientationTransform(to target: Orientation) throws(OrientationError)
    -> OrientationArray
  {
    guard let start = OrientationArray(ioOrientationOf: affine),
      let transform = start.transform(to: OrientationArray(target))
    else {
      let found =
        OrientationArray(ioOrientationOf: affine).map(\.description)
        ?? "no answer: non-finite entries"
      throw OrientationError(
        code: .undeterminedOrientation,
        message:
          "cannot reorient to \(target): the affine is non-finite or singular, so its voxel axes have no "
          + "world directions (io_orientation gives \(found)); fix the file's sform/qform",
        affine: affine)
    }
    return transform
  }

  /// The grid whose voxel axes point towards `target`: the grid of `Volume.reoriented(to:)`.
  ///
  /// - Throws: `OrientationError` when the affine has no determinable orientation.
  public func reoriented(to target: Orientation) throws(OrientationError) -> ImageGrid {
    reoriented(using: try orientationTransform(to: target))
  }

  /// The grid after applying an orientation transform: shape permuted
  /// (`transform.transformedShape(shape)`) and affine `affine · inv_ornt_aff(transform, shape)`,
  /// exactly as nibabel's `SpatialImage.as_reoriented`. World positions of voxel centres are kept.
  ///
  /// - Precondition: `transform.isComplete`.
  public func reoriented(using transform: OrientationArray) -> ImageGrid {
    if transform.isIdentity { return self }  // as_reoriented returns the image unchanged
    return ImageGrid(
      shape: transform.transformedShape(shape),
      affine: affine * transform.inverseAffine(shape: shape))
  }
}

extension Volume {
  /// Applies an orientation transform to the voxels and the affine: nibabel
  /// `img.as_reoriented(ornt)`, i.e. `apply_orientation(data, ornt)` (flip input axis `n` where
  /// `ornt[n, 1] == -1`, then move it to axis `ornt[n, 0]`) and `affine · inv_ornt_aff(ornt, shape)`.
  ///
  /// Output voxel `x'` (in i, j, k of the new grid) holds input voxel `x` with
  /// `x[n] = d · x'[a] + (d == -1 ? shape[n] - 1 : 0)` for each row `[a, d]`. Channels (the 4th
  /// dimension) are untouched. Voxel values are copied bit for bit. The identity transform
  /// returns `self` (nibabel returns the same image).
  ///
  /// Complexity: one pass over the voxels, O(voxels · channels), no per-voxel index arithmetic
  /// beyond a strided read.
  ///
  /// - Precondition: `transform.isComplete`.
  public func reoriented(using transform: OrientationArray) -> Volume {
    precondition(
      transform.isComplete,
      "reoriented(using:) needs a complete orientation transform, got \(transform)")
    if transform.isIdentity { return self }
    let newGrid = grid.reoriented(using: transform)
    // Source strides of i, j, k in file order, and where output axis a reads from.
    let strides = [1, shape[0], shape[0] * shape[1]]
    var steps = [0, 0, 0]
    var base = 0
    for (n, row) in transform.rows.enumerated() {
      steps[row!.axis] = row!.direction * strides[n]
      if row!.direction == -1 { base += (shape[n] - 1) * strides[n] }
    }
    let count = voxels.count
    let elementSize = MemoryLayout<Voxel>.stride
    precondition(
      elementSize == Voxel.scalarType.byteCount, "VoxelScalar \(Voxel.self) is not a plain scalar")
    let newVoxels = [Voxel](unsafeUninitializedCapacity: count) { buffer, initialized in
      voxels.withUnsafeBytes { source in
        ReorientKernel.gather(
          elementSize: elementSize, source: source,
          destination: UnsafeMutableRawBufferPointer(buffer),
          outputShape: newGrid.shape, channels: channelCount, channelStride: grid.voxelCount,
          base: base,
          steps: steps)
      }
      initialized = count
    }
    return Volume(grid: newGrid, channelCount: channelCount, voxels: newVoxels)
  }

  /// The volume with its voxel axes pointing towards `target` (e.g. `.ras`): nibabel
  /// `img.as_reoriented(ornt_transform(io_orientation(img.affine), axcodes2ornt(target)))`, as
  /// TPTBox `NII.reorient(target)`. A permutation and flips only: no interpolation, world
  /// positions of all voxel centres unchanged, oblique affines stay oblique.
  ///
  /// - Throws: `OrientationError` when the affine has no determinable orientation.
  public func reoriented(to target: Orientation) throws(OrientationError) -> Volume {
    reoriented(using: try grid.orientationTransform(to: target))
  }

  /// Reorients in place; see `reoriented(to:)`.
  public mutating func reorient(to target: Orientation) throws(OrientationError) {
    self = try reoriented(to: target)
  }
}

extension AnyVolume {
  /// `Volume.reoriented(using:)` for the stored scalar type.
  public func reoriented(using transform: OrientationArray) -> AnyVolume {
    switch self {
    case .uint8(let v): .uint8(v.reoriented(using: transform))
    case .int8(let v): .int8(v.reoriented(using: transform))
    case .int16(let v): .int16(v.reoriented(using: transform))
    case .uint16(let v): .uint16(v.reoriented(using: transform))
    case .int32(let v): .int32(v.reoriented(using: transform))
    case .uint32(let v): .uint32(v.reoriented(using: transform))
    case .int64(let v): .int64(v.reoriented(using: transform))
    case .uint64(let v): .uint64(v.reoriented(using: transform))
    case .float32(let v): .float32(v.reoriented(using: transform))
    case .float64(let v): .float64(v.reoriented(using: transform))
    }
  }

  /// `Volume.reoriented(to:)` for the stored scalar type.
  public func reoriented(to target: Orientation) throws(OrientationError) -> AnyVolume {
    reoriented(using: try grid.orientationTransform(to: target))
  }

  /// Reorients in place; see `Volume.reoriented(to:)`.
  public mutating func reorient(to target: Orientation) throws(OrientationError) {
    self = try reoriented(to: target)
  }
}
