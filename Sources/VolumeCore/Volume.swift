/// Dense voxel storage on an image grid: 3-D, or 4-D with `channelCount` volumes (NIfTI's 4th
/// dimension: channels or time points).
///
/// Layout is NIfTI file order (Fortran order in nibabel): `index = i + nI·(j + nJ·(k + nK·c))`,
/// i fastest. Arrays from nibabel compare element-wise after `np.asfortranarray(...).ravel('F')`.
public struct Volume<Voxel: VoxelScalar>: Sendable {
  public var grid: ImageGrid
  public var channelCount: Int
  public var voxels: [Voxel]

  public init(grid: ImageGrid, channelCount: Int = 1, voxels: [Voxel]) {
    precondition(channelCount >= 1 && voxels.count == grid.voxelCount * channelCount,
      "Volume: \(voxels.count) voxels for shape \(grid.shape) x \(channelCount) channels")
    self.grid = grid
    self.channelCount = channelCount
    self.voxels = voxels
  }

  /// A volume filled with `value`.
  public init(grid: ImageGrid, channelCount: Int = 1, repeating value: Voxel) {
    self.init(grid: grid, channelCount: channelCount,
      voxels: [Voxel](repeating: value, count: grid.voxelCount * channelCount))
  }

  public var shape: [Int] { grid.shape }

  /// Linear index of voxel (i, j, k) in channel c.
  @inlinable public func index(_ i: Int, _ j: Int, _ k: Int, channel c: Int = 0) -> Int {
    i + grid.shape[0] * (j + grid.shape[1] * (k + grid.shape[2] * c))
  }

  public subscript(i: Int, j: Int, k: Int, channel c: Int = 0) -> Voxel {
    get { voxels[index(i, j, k, channel: c)] }
    set { voxels[index(i, j, k, channel: c)] = newValue }
  }

  /// One channel as a 3-D volume.
  public func channel(_ c: Int) -> Volume<Voxel> {
    precondition(c >= 0 && c < channelCount, "channel \(c) out of 0..<\(channelCount)")
    let n = grid.voxelCount
    return Volume(grid: grid, voxels: Array(voxels[(c * n)..<((c + 1) * n)]))
  }

  /// Element-wise conversion (`VoxelScalar.init(converting:)`: integers round half away from zero
  /// and clamp).
  @inlinable public func converted<T: VoxelScalar>(to type: T.Type) -> Volume<T> {
    if let same = self as? Volume<T> { return same }
    return Volume<T>(grid: grid, channelCount: channelCount, voxels: voxels.map { T(converting: $0.doubleValue) })
  }

  /// Smallest and largest finite voxel, ignoring NaN and ±infinity; nil if no voxel is finite.
  /// One pass, O(voxels); `@inlinable` so it is specialised for the concrete voxel type.
  /// (`v - v == 0` holds exactly for finite values: NaN and ±infinity give NaN.)
  @inlinable public var valueRange: (min: Voxel, max: Voxel)? {
    voxels.withUnsafeBufferPointer { buffer in
      var start = 0
      while start < buffer.count && buffer[start] - buffer[start] != .zero { start += 1 }  // skip non-finite
      guard start < buffer.count else { return nil }
      var lo = buffer[start], hi = buffer[start]
      for v in buffer[start...] where v - v == .zero {
        if v < lo { lo = v }
        if v > hi { hi = v }
      }
      return (lo, hi)
    }
  }
}
