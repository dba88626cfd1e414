import VolumeCore

extension ImageGrid {
  /// The grid of the voxels inside `box`: shape `box.shape` and the affine moved so that new voxel
  /// 0 is old voxel `box.lower`: `A' = A · T(box.lower)`, i.e. the translation column becomes
  /// `A · [lower, 1]`; the linear part is unchanged. This is nibabel's
  /// `img.slicer[lo_i:hi_i, lo_j:hi_j, lo_k:hi_k].affine` (`affine.dot(transform)`).
  ///
  /// - Precondition: `box` lies inside the grid and is not empty.
  public func cropped(to box: VoxelBox) -> ImageGrid {
    precondition(
      box.isInside(shape: shape) && !box.isEmpty, "cannot crop a grid of shape \(shape) to \(box)")
    return ImageGrid(shape: box.shape, affine: affine.shiftingVoxelOrigin(by: box.lower))
  }
}

extension Affine {
  /// `self · T` with `T` the voxel translation by `offset` (i, j, k): the affine of a grid whose
  /// voxel 0 is this grid's voxel `offset`. Summation order as `numpy.dot` row by row:
  /// `A[r,0]·o0 + A[r,1]·o1 + A[r,2]·o2 + A[r,3]`.
  func shiftingVoxelOrigin(by offset: [Int]) -> Affine {
    let translation = Affine(rows: [
      [1, 0, 0, Double(offset[0])], [0, 1, 0, Double(offset[1])], [0, 0, 1, Double(offset[2])],
      [0, 0, 0, 1],
    ])
    return self * translation
  }
}

extension Volume {
  /// The voxels inside `box` with world positions kept (see `ImageGrid.cropped(to:)`): voxel
  /// `(i, j, k)` of the result is voxel `(i, j, k) + box.lower` of `self`, in every channel.
  /// nibabel `img.slicer[...]`; nnU-Net `data[:, bbox]` in `crop_to_nonzero`.
  ///
  /// Complexity: one `memcpy` per i-row of the box.
  ///
  /// - Precondition: `box` lies inside the grid and is not empty.
  public func cropped(to box: VoxelBox) -> Volume {
    let newGrid = grid.cropped(to: box)
    let count = newGrid.voxelCount * channelCount
    let elementSize = MemoryLayout<Voxel>.stride
    precondition(
      elementSize == Voxel.scalarType.byteCount, "VoxelScalar \(Voxel.self) is not a plain scalar")
    let newVoxels = [Voxel](unsafeUninitializedCapacity: count) { buffer, initialized in
      voxels.withUnsafeBytes { source in
        BlockCopyKernel.copyBlock(
          elementSize: elementSize, channels: channelCount, size: box.shape,
          source: source, sourceShape: shape, sourceOrigin: box.lower,
          destination: UnsafeMutableRawBufferPointer(buffer), destinationShape: newGrid.shape,
          destinationOrigin: [0, 0, 0])
      }
      initialized = count
    }
    return Volume(grid: newGrid, channelCount: channelCount, voxels: newVoxels)
  }

  /// Crops in place; see `cropped(to:)`.
  public mutating func crop(to box: VoxelBox) { self = cropped(to: box) }
}

extension AnyVolume {
  /// `Volume.cropped(to:)` for the stored scalar type.
  public func cropped(to box: VoxelBox) -> AnyVolume {
    switch self {
    case .uint8(let v): .uint8(v.cropped(to: box))
    case .int8(let v): .int8(v.cropped(to: box))
    case .int16(let v): .int16(v.cropped(to: box))
    case .uint16(let v): .uint16(v.cropped(to: box))
    case .int32(let v): .int32(v.cropped(to: box))
    case .uint32(let v): .uint32(v.cropped(to: box))
    case .int64(let v): .int64(v.cropped(to: box))
    case .uint64(let v): .uint64(v.cropped(to: box))
    case .float32(let v): .float32(v.cropped(to: box))
    case .float64(let v): .float64(v.cropped(to: box))
    }
  }
}
