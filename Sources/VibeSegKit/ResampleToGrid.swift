import VolumeCore
import VolumeTransforms

/// What `vibeseg resample-to` writes into target voxels whose nearest label voxel does not exist
/// (the target voxel centre lies outside the label map's grid).
///
/// - `ignore`: the ignore label (nnU-Net leaves such voxels out of the loss; training.md §2.4:
///   TPTBox's edge replication would smear the last labelled slice into, e.g., the neck of a
///   sagittal T2 field of view — wrong supervision).
/// - `background`: 0.
/// - `nearest`: the value of the closest edge voxel, TPTBox 1.1.0 `resample_from_to` with its
///   default `mode="nearest"` (scipy edge extension).
public enum OutsideLabelPolicy: String, Sendable, CaseIterable, Codable {
  case ignore, background, nearest
}

/// The geometry of `vibeseg resample-to` (training.md §2.3/§2.4): the target grid, the shear
/// check and the label maps' outside-the-source rule. Resampling itself is VolumeTransforms'
/// (`Volume.rescaled`, `Volume.resampled(onto:)`, scipy `affine_transform` semantics).
/// How label maps are resampled (`--label-interp`).
public enum LabelInterpolation: String, Sendable, CaseIterable, Codable {
  /// Nearest neighbour, `floor(x + 0.5)` (TPTBox's `resample_from_to` for segmentations).
  case nearest
  /// Per-label trilinear weights, then the label of the largest (`ResampleToGrid.oneHotLinear`).
  case onehotLinear = "onehot-linear"
}

public enum ResampleToGrid {
  /// The VIBE training grid's voxel size in mm along i, j, k after reorientation to RAS:
  /// 1.40625 x 1.40625 x 3.0 (NAKO VIBE, the TotalVibeSegmentator datasets' `resolution_range`).
  public static let vibeSpacing: [Double] = [1.40625, 1.40625, 3.0]

  /// The grid of TPTBox 1.1.0 `NII.reorient(orientation).rescale(spacing)` for a series on
  /// `grid`:
  /// 1. reorient: an axis permutation and flips (nibabel `io_orientation` → `as_reoriented`),
  ///    world positions of the voxel centres unchanged, obliquity kept (`ImageGrid.reoriented`);
  /// 2. rescale (skipped when the rounded spacing is already `spacing` within 1e-3 mm, as
  ///    TPTBox): shape `rint(n_a · z_a / z'_a)` half to even with `z_a = round(z_a, 7)`, columns
  ///    rescaled to `z'_a`, the world position of voxel (0, 0, 0) kept (`RescaleGeometry.grid`).
  ///
  /// - Throws: `OrientationError` (no determinable orientation), `ResamplingError` (a spacing
  ///   that is not three positive finite numbers, a grid above the voxel cap).
  public static func seriesTarget(_ grid: ImageGrid, orientation: Orientation, spacing: [Double]) throws -> ImageGrid {
    let reoriented = try grid.reoriented(to: orientation)
    if RescaleGeometry.isAlreadyAt(reoriented.spacingMillimeters, newSpacing: spacing) { return reoriented }
    return try RescaleGeometry.grid(reoriented, newSpacing: spacing)
  }

  /// How far the affine's direction matrix is from orthonormal: the largest `|(DᵀD − I)[r][c]|`
  /// with `D` the 3x3 linear part whose columns are divided by their norms (the voxel sizes).
  /// 0 for rotations and flips; positive for sheared affines (SimpleITK, hence nnU-Net, rejects
  /// those). Non-finite or zero-length columns give infinity.
  public static func shear(_ affine: Affine) -> Double {
    let norms = affine.columnNorms
    guard norms.allSatisfy({ $0 > 0 && $0.isFinite }) else { return .infinity }
    var worst = 0.0
    for a in 0..<3 {
      for b in 0..<3 {
        var dot = 0.0
        for r in 0..<3 { dot += affine[r, a] / norms[a] * (affine[r, b] / norms[b]) }
        worst = max(worst, abs(dot - (a == b ? 1 : 0)))
      }
    }
    return worst
  }

  /// The largest `shear` accepted without `--allow-shear`: 1e-4 (float32 headers of rotated
  /// scanners reach ~1e-7).
  public static let shearTolerance = 1e-4

  /// Which voxels of `target` have no nearest voxel in `source` (flat index, i fastest as
  /// `Volume.index`): with `x = inv(A_source) · A_target · (i, j, k, 1)` (`VoxelMapping`), the
  /// nearest source voxel is `floor(x_a + 0.5)` per axis (scipy order 0); the voxel is outside
  /// when that index is not in `0..<n_a` on some axis, i.e. `x_a < −0.5` or `x_a ≥ n_a − 0.5`.
  ///
  /// - Returns: nil when the source affine is singular or not finite.
  public static func outsideMask(target: ImageGrid, source: ImageGrid) -> [Bool]? {
    guard let mapping = VoxelMapping(sampling: source.affine, at: target.affine) else { return nil }
    let shape = target.shape
    let n = source.shape.map(Double.init)
    let m = mapping.matrix
    let t = mapping.offset
    var mask = [Bool](repeating: false, count: target.voxelCount)
    var flat = 0
    for k in 0..<shape[2] {
      for j in 0..<shape[1] {
        for i in 0..<shape[0] {
          // `VoxelMapping.inputCoordinate` (scipy's summation order), without an array per voxel.
          for a in 0..<3 {
            var x = t[a]
            x += Double(i) * m[a][0]
            x += Double(j) * m[a][1]
            x += Double(k) * m[a][2]
            let nearest = (x + 0.5).rounded(.down)
            if nearest < 0 || nearest >= n[a] {
              mask[flat] = true
              break
            }
          }
          flat += 1
        }
      }
    }
    return mask
  }

  /// A label map on `target`: order-0 (nearest neighbour, `floor(x + 0.5)`) sampling with edge
  /// extension — TPTBox 1.1.0 `NII(seg=True).resample_from_to(target)` exactly — then, unless
  /// `outside == .nearest`, every voxel of `outsideMask` set to `fill` (the ignore id or 0).
  /// The stored type is kept.
  ///
  /// - Returns: the label map, the number of outside voxels and of inside voxels that already
  ///   hold `fill` (with `.ignore`: source labels that cannot be told from "outside"); nil for a
  ///   singular source affine.
  /// - Precondition: `fill` fits the label map's type (checked by the caller, which names it).
  public static func resampleLabels(
    _ labels: AnyVolume, onto target: ImageGrid, outside: OutsideLabelPolicy, fill: Double,
    interpolation: LabelInterpolation = .nearest
  ) -> (labels: AnyVolume, outsideCount: Int, insideFillCount: Int)? {
    guard let mask = outsideMask(target: target, source: labels.grid) else { return nil }
    let count = mask.reduce(0) { $0 + ($1 ? 1 : 0) }
    let sampled =
      interpolation == .nearest
      ? labels.resampled(onto: target, order: .nearest, mode: .nearest) : oneHotLinear(labels, onto: target)
    guard outside != .nearest else { return (sampled, count, 0) }
    let filled = fillMasked(sampled, mask: mask, value: fill)
    return (filled.volume, count, filled.insideMatches)
  }

  /// `--label-interp onehot-linear` (training.md §2.4 item 4): each label value present
  /// (background 0 included, ascending) as a 0/1 float64 mask resampled with trilinear
  /// interpolation (scipy `map_coordinates(order=1, mode="nearest")`, bit-identical), and per
  /// voxel the first label with the largest weight (`np.argmax` over the ascending values). Less
  /// staircase than nearest neighbour when the source slices are much thicker than the target's.
  /// One mask at a time: memory O(source + 3 target volumes), time O(labels x target voxels x 8).
  static func oneHotLinear(_ labels: AnyVolume, onto target: ImageGrid) -> AnyVolume {
    let source = labels.converted(to: Double.self)
    let values = Set(source.voxels).sorted()
    var best = [Double](repeating: -.infinity, count: target.voxelCount)
    var out = [Double](repeating: 0, count: target.voxelCount)
    for value in values {
      let mask = Volume<Double>(grid: source.grid, voxels: source.voxels.map { $0 == value ? 1 : 0 })
      let weights = mask.resampled(onto: target, order: .linear, mode: .nearest)
      for i in 0..<best.count where weights.voxels[i] > best[i] {
        best[i] = weights.voxels[i]
        out[i] = value
      }
    }
    return AnyVolume(Volume<Double>(grid: target, voxels: out)).converted(to: labels.scalarType)
  }

  /// `volume` with `value` in every voxel where `mask` is true (channel 0's layout repeated per
  /// channel), and how many voxels where it is false already held `value`.
  static func fillMasked(_ volume: AnyVolume, mask: [Bool], value: Double) -> (volume: AnyVolume, insideMatches: Int) {
    var matches = 0
    func fill<V: VoxelScalar>(_ v: Volume<V>) -> Volume<V> {
      var out = v
      let n = mask.count
      let filler = V(converting: value)
      for c in 0..<v.channelCount {
        for idx in 0..<n {
          if mask[idx] { out.voxels[c * n + idx] = filler } else if out.voxels[c * n + idx] == filler { matches += 1 }
        }
      }
      return out
    }
    let filled: AnyVolume
    switch volume {
    case .uint8(let v): filled = .uint8(fill(v))
    case .int8(let v): filled = .int8(fill(v))
    case .int16(let v): filled = .int16(fill(v))
    case .uint16(let v): filled = .uint16(fill(v))
    case .int32(let v): filled = .int32(fill(v))
    case .uint32(let v): filled = .uint32(fill(v))
    case .int64(let v): filled = .int64(fill(v))
    case .uint64(let v): filled = .uint64(fill(v))
    case .float32(let v): filled = .float32(fill(v))
    case .float64(let v): filled = .float64(fill(v))
    }
    return (filled, matches)
  }
}
