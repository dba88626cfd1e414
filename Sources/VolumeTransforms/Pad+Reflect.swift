import VolumeCore

extension Volume {
  /// The volume grown by `width` voxels on both sides of every spatial axis, the new voxels
  /// mirrored about the edge voxel without repeating it: NumPy `np.pad(a, width, mode="reflect")`
  /// (`[a b c d]` padded by 2 is `[c b | a b c d | c b]`), as TPTBox's `NII.apply_pad(...,
  /// mode="reflect")`. Widths beyond an axis's length keep reflecting (period `2(n − 1)`); an
  /// axis of length 1 repeats its voxel. The grid grows as `ImageGrid.padded(lower:upper:)`
  /// (world positions kept: `A · T(−width)`). Channels are padded alike.
  ///
  /// - Precondition: `width >= 0`.
  public func reflectPadded(by width: Int) -> Volume {
    precondition(width >= 0, "reflectPadded(by:): negative width \(width)")
    guard width > 0 else { return self }
    let newGrid = grid.padded(lower: [width, width, width], upper: [width, width, width])
    let (n0, n1, n2) = (shape[0], shape[1], shape[2])
    let (m0, m1, m2) = (newGrid.shape[0], newGrid.shape[1], newGrid.shape[2])
    let source = (0..<3).map { axis in (0..<newGrid.shape[axis]).map { Self.reflect($0 - width, count: shape[axis]) } }
    let count = newGrid.voxelCount * channelCount
    let newVoxels = [Voxel](unsafeUninitializedCapacity: count) { out, initialized in
      voxels.withUnsafeBufferPointer { input in
        for c in 0..<channelCount {
          let inBase = c * n0 * n1 * n2, outBase = c * m0 * m1 * m2
          // NIfTI file order: i fastest, then j, then k.
          for k in 0..<m2 {
            let sk = source[2][k] * n0 * n1
            for j in 0..<m1 {
              let sj = sk + source[1][j] * n0
              let o = outBase + (k * m1 + j) * m0
              for i in 0..<m0 { out[o + i] = input[inBase + sj + source[0][i]] }
            }
          }
        }
      }
      initialized = count
    }
    return Volume(grid: newGrid, channelCount: channelCount, voxels: newVoxels)
  }

  /// The source index of padded position `i` (relative to the first original voxel) on an axis
  /// of `count` voxels under NumPy's "reflect" rule.
  static func reflect(_ i: Int, count n: Int) -> Int {
    guard n > 1 else { return 0 }
    let period = 2 * (n - 1)
    var j = i % period
    if j < 0 { j += period }
    return j < n ? j : period - j
  }
}

extension AnyVolume {
  /// `Volume.reflectPadded(by:)` for the stored scalar type.
  public func reflectPadded(by width: Int) -> AnyVolume {
    switch self {
    case .uint8(let v): .uint8(v.reflectPadded(by: width))
    case .int8(let v): .int8(v.reflectPadded(by: width))
    case .int16(let v): .int16(v.reflectPadded(by: width))
    case .uint16(let v): .uint16(v.reflectPadded(by: width))
    case .int32(let v): .int32(v.reflectPadded(by: width))
    case .uint32(let v): .uint32(v.reflectPadded(by: width))
    case .int64(let v): .int64(v.reflectPadded(by: width))
    case .uint64(let v): .uint64(v.reflectPadded(by: width))
    case .float32(let v): .float32(v.reflectPadded(by: width))
    case .float64(let v): .float64(v.reflectPadded(by: width))
    }
  }
}
