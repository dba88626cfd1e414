import VolumeCore

/// Synthetic volumes whose content is known analytically.
public enum Synthetic {
  /// A volume whose voxel value is a deterministic function of its index (`f(i, j, k, c)`).
  public static func ramp<V: VoxelScalar>(_ type: V.Type, shape: [Int], channels: Int = 1,
    affine: Affine = .identity, _ f: (Int, Int, Int, Int) -> Double = { i, j, k, c in Double(i + 3 * j + 7 * k + 11 * c) }) -> Volume<V> {
    let grid = ImageGrid(shape: shape, affine: affine)
    var voxels = [V]()
    voxels.reserveCapacity(grid.voxelCount * channels)
    for c in 0..<channels {
      for k in 0..<shape[2] { for j in 0..<shape[1] { for i in 0..<shape[0] { voxels.append(V(converting: f(i, j, k, c))) } } }
    }
    return Volume(grid: grid, channelCount: channels, voxels: voxels)
  }

  /// A label map with an axis-aligned box of `label` from `lower` (inclusive) to `upper` (exclusive).
  public static func box(shape: [Int], lower: [Int], upper: [Int], label: UInt8 = 1, affine: Affine = .identity) -> Volume<UInt8> {
    var volume = Volume<UInt8>(grid: ImageGrid(shape: shape, affine: affine), repeating: 0)
    for k in lower[2]..<upper[2] { for j in lower[1]..<upper[1] { for i in lower[0]..<upper[0] { volume[i, j, k] = label } } }
    return volume
  }
}
