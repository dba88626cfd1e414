import VolumeCore

extension Volume {
  /// The smallest box holding every voxel for which `predicate` is true in any channel; nil when
  /// there is none.
  ///
  /// Half-open per axis, `[first index of a slab holding a match, last such index + 1)`, as
  /// acvl_utils `get_bbox_from_mask(mask)` on `mask = OR_c predicate(data[c])` (nnU-Net's
  /// `crop_to_nonzero`), except for an empty mask: acvl_utils returns the full extent there, this
  /// returns nil (use `?? VoxelBox(covering: shape)` for nnU-Net's behaviour). nnU-Net fills holes
  /// in the mask first; that never changes the box (filled holes are enclosed by the mask).
  ///
  /// Complexity: each voxel is read at most once; a row is scanned from the left up to its first
  /// match and from the right down to its last. `@inlinable` so the predicate is specialised and
  /// inlined at the call site.
  @inlinable
  public func boundingBox(where predicate: (Voxel) throws -> Bool) rethrows -> VoxelBox? {
    let (n0, n1, n2) = (shape[0], shape[1], shape[2])
    var lo0 = n0
    var lo1 = n1
    var lo2 = n2
    var hi0 = -1
    var hi1 = -1
    var hi2 = -1  // inclusive while scanning
    try voxels.withUnsafeBufferPointer { buffer in
      var rowStart = 0
      for _ in 0..<channelCount {
        for k in 0..<n2 {
          for j in 0..<n1 {
            defer { rowStart += n0 }
            var first = 0
            while first < n0, try !predicate(buffer[rowStart + first]) { first += 1 }
            if first == n0 { continue }
            var last = n0 - 1
            while last > first, try !predicate(buffer[rowStart + last]) { last -= 1 }
            lo0 = Swift.min(lo0, first)
            hi0 = Swift.max(hi0, last)
            lo1 = Swift.min(lo1, j)
            hi1 = Swift.max(hi1, j)
            lo2 = Swift.min(lo2, k)
            hi2 = Swift.max(hi2, k)
          }
        }
      }
    }
    guard hi0 >= 0 else { return nil }
    return VoxelBox(lower: [lo0, lo1, lo2], upper: [hi0 + 1, hi1 + 1, hi2 + 1])
  }

  /// The box of voxels that are nonzero in any channel (`value != 0`; NaN counts as nonzero, as
  /// NumPy's `data != 0`): nnU-Net `crop_to_nonzero`'s box. Nil for an all-zero volume (nnU-Net
  /// then uses the full extent). See `boundingBox(where:)`.
  @inlinable
  public func nonzeroBoundingBox() -> VoxelBox? {
    boundingBox { $0 != 0 }
  }
}

extension AnyVolume {
  /// `Volume.boundingBox(where:)` with the voxel value as Double (`VoxelScalar.doubleValue`).
  public func boundingBox(where predicate: (Double) throws -> Bool) rethrows -> VoxelBox? {
    switch self {
    case .uint8(let v): try v.boundingBox { try predicate($0.doubleValue) }
    case .int8(let v): try v.boundingBox { try predicate($0.doubleValue) }
    case .int16(let v): try v.boundingBox { try predicate($0.doubleValue) }
    case .uint16(let v): try v.boundingBox { try predicate($0.doubleValue) }
    case .int32(let v): try v.boundingBox { try predicate($0.doubleValue) }
    case .uint32(let v): try v.boundingBox { try predicate($0.doubleValue) }
    case .int64(let v): try v.boundingBox { try predicate($0.doubleValue) }
    case .uint64(let v): try v.boundingBox { try predicate($0.doubleValue) }
    case .float32(let v): try v.boundingBox { try predicate($0.doubleValue) }
    case .float64(let v): try v.boundingBox { try predicate($0.doubleValue) }
    }
  }

  /// `Volume.nonzeroBoundingBox()` for the stored scalar type.
  public func nonzeroBoundingBox() -> VoxelBox? {
    switch self {
    case .uint8(let v): v.nonzeroBoundingBox()
    case .int8(let v): v.nonzeroBoundingBox()
    case .int16(let v): v.nonzeroBoundingBox()
    case .uint16(let v): v.nonzeroBoundingBox()
    case .int32(let v): v.nonzeroBoundingBox()
    case .uint32(let v): v.nonzeroBoundingBox()
    case .int64(let v): v.nonzeroBoundingBox()
    case .uint64(let v): v.nonzeroBoundingBox()
    case .float32(let v): v.nonzeroBoundingBox()
    case .float64(let v): v.nonzeroBoundingBox()
    }
  }
}
