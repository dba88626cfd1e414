import VolumeCore

/// TPTBox `NII.rescale` geometry (TPTBox/core/nii_wrapper.py `rescale`, `_rescale_affine`,
/// internal/nii_help.py `_resample_from_to`; unchanged in this respect from 2024-03 to 2026).
public enum RescaleGeometry {
  /// TPTBox's `NII.zoom`: the voxel sizes rounded to 7 decimals, `np.round(zoom, 7)` =
  /// `rint(z · 1e7) / 1e7` (half to even). TPTBox reads `header.get_zooms()`; for a header
  /// consistent with its affine those equal the affine's column norms used here
  /// (`ImageGrid.spacingMillimeters`) to well below 1e-7.
  public static func roundedSpacing(_ spacing: [Double]) -> [Double] {
    spacing.map { ($0 * 1e7).rounded(.toNearestOrEven) / 1e7 }
  }

  /// The shape after rescaling, TPTBox `np.rint([shape[i] * zoom[i] / new[i]])`: evaluated in
  /// Double in that order (`(n · old) / new`) and rounded half to even (`.toNearestOrEven`),
  /// so 5 voxels of 1 mm at 2 mm give `rint(2.5) = 2`. A result of 0 becomes 1 (TPTBox would
  /// create an empty array).
  ///
  /// - Throws: `ResamplingError.invalidSpacing` unless there are three sizes, three old and three
  ///   new spacings, all positive and finite; `.tooManyVoxels` when the shape passes
  ///   `ResamplingLimits.maxVoxels` (checked before anything is allocated).
  public static func newShape(shape: [Int], spacing: [Double], newSpacing: [Double]) throws(ResamplingError) -> [Int] {
    guard shape.count == 3 && spacing.count == 3 && newSpacing.count == 3 else {
      throw ResamplingError(.invalidSpacing, "rescaling needs 3 sizes and 3 spacings, got \(shape), \(spacing) -> \(newSpacing)")
    }
    guard newSpacing.allSatisfy({ $0 > 0 && $0.isFinite }) else {
      throw ResamplingError(.invalidSpacing, "target spacing \(newSpacing) mm must be three positive finite numbers")
    }
    guard spacing.allSatisfy({ $0 > 0 && $0.isFinite }) else {
      throw ResamplingError(.invalidSpacing, "voxel size \(spacing) mm must be three positive finite numbers", field: "pixdim")
    }
    let sizes = (0..<3).map { i in max(1, (Double(shape[i]) * spacing[i] / newSpacing[i]).rounded(.toNearestOrEven)) }
    return try ResamplingLimits.checkedShape(
      sizes, what: "rescaling \(shape) voxels of \(spacing) mm to \(newSpacing) mm")
  }

  /// The affine after rescaling: column c of the linear part becomes
  /// `(A[r][c] · newSpacing[c]) / s[c]` with `s` the unrounded column norms (nibabel
  /// `voxel_sizes`), as `_rescale_affine` computes it; the translation stays the world position
  /// of voxel (0, 0, 0) (`rescale` overwrites `_rescale_affine`'s centred translation with it).
  public static func newAffine(_ affine: Affine, newSpacing: [Double]) -> Affine {
    let norms = affine.columnNorms
    var result = affine
    for r in 0..<3 {
      for c in 0..<3 { result[r, c] = affine[r, c] * newSpacing[c] / norms[c] }
    }
    return result
  }

  /// The grid TPTBox `rescale` produces: `newShape` on the rounded spacing, `newAffine`.
  public static func grid(_ grid: ImageGrid, newSpacing: [Double]) throws(ResamplingError) -> ImageGrid {
    let spacing = roundedSpacing(grid.spacingMillimeters)
    return ImageGrid(
      shape: try newShape(shape: grid.shape, spacing: spacing, newSpacing: newSpacing),
      affine: newAffine(grid.affine, newSpacing: newSpacing))
  }

  /// TPTBox's align-corners emulation of `_resample_from_to(..., align_corners=True)` applied to
  /// one side: each column c scaled to `zoom[c]·n/(n+1)` (`A[r][c] / zoom[c] · (zoom[c]·n_c)/(1+n_c)`),
  /// then the origin moved by `-A' · (-0.5, -0.5, -0.5)`, half a new voxel along each axis.
  /// `zoom` is the target spacing for the target grid and the rounded spacing for the source.
  public static func alignCornersAffine(_ affine: Affine, shape: [Int], zoom: [Double]) -> Affine {
    var result = affine
    for c in 0..<3 {
      let n = Double(shape[c])
      let newZoom = zoom[c] * n / (1 + n)
      for r in 0..<3 { result[r, c] = affine[r, c] / zoom[c] * newZoom }
    }
    for r in 0..<3 {
      var corner = result[r, 0] * -0.5
      corner += result[r, 1] * -0.5
      corner += result[r, 2] * -0.5
      corner += result[r, 3] * 0
      result[r, 3] -= corner
    }
    return result
  }

  /// True when TPTBox skips the rescale: `np.isclose(new, zoom, atol=atol)` on every axis,
  /// i.e. `|new - zoom| ≤ atol + 1e-5·|zoom|` with `zoom` the rounded spacing. `atol` is 1e-3
  /// in TPTBox since 2025-07 (exact tuple equality before: pass 0 for that).
  public static func isAlreadyAt(_ spacing: [Double], newSpacing: [Double], atol: Double = 1e-3) -> Bool {
    let zoom = roundedSpacing(spacing)
    return (0..<3).allSatisfy { newSpacing[$0] == zoom[$0] || abs(newSpacing[$0] - zoom[$0]) <= atol + 1e-5 * abs(zoom[$0]) }
  }
}

extension Volume {
  /// TPTBox `NII.rescale(voxel_spacing, mode=mode, order=order)`: resamples to a new voxel
  /// spacing (mm, per voxel axis i, j, k) keeping the world position of voxel (0, 0, 0).
  ///
  /// 1. Skip (return `self`) when `RescaleGeometry.isAlreadyAt(spacing, newSpacing, atol: skipTolerance)`.
  /// 2. New grid `RescaleGeometry.grid`: shape `rint(n · round(old, 7) / new)` (half to even),
  ///    columns rescaled to the new spacing, same origin.
  /// 3. Mapping `inv(A_from) · A_to` (NumPy arithmetic, `VoxelMapping(sampling:at:)`); for an
  ///    axis-aligned grid this is `x = o · (new/old)`, voxel-0 centres aligned.
  ///    With `alignCorners` both affines first go through `RescaleGeometry.alignCornersAffine`
  ///    (TPTBox `_resample_from_to(align_corners=True)`): for aligned grids
  ///    `x = (z_to'/z_from')·(o + 0.5) - 0.5` with `z' = z·n/(n+1)`. TPTBox's `rescale` and
  ///    `resample_from_to` pass `align_corners=False` explicitly (since 2024-03), so the default
  ///    `false` is what TotalVibeSegmentator runs for both images (order 3) and labels (order 0).
  /// 4. `resampled(through:onto:order:mode:cval:)`: scipy `affine_transform`, output in the
  ///    voxel type (TPTBox keeps the stored dtype: int16 data rounds half away from zero and clamps).
  ///
  /// `mode` is scipy's boundary mode (TPTBox's default 'nearest' = edge extension), `cval` is
  /// used only with `.constant` (TPTBox passes the image minimum, 0 for segmentations).
  /// Complexity: separable for axis-aligned and (orders 1, 3) oblique grids, see
  /// `ResamplingEngine.nearlyDiagonalTolerance`; order 0 on oblique grids evaluates one tap per
  /// output voxel on the general path.
  ///
  /// - Throws: `ResamplingError` for spacings that are not three positive finite numbers or a
  ///   new shape above `ResamplingLimits.maxVoxels`, before the output is allocated.
  /// - Precondition: the affine is invertible.
  public func rescaled(
    toSpacing newSpacing: [Double], order: InterpolationOrder, mode: BoundaryMode = .nearest, cval: Double = 0,
    alignCorners: Bool = false, skipTolerance: Double = 1e-3
  ) throws(ResamplingError) -> Volume {
    try rescaledInternal(toSpacing: newSpacing, order: order, mode: mode, cval: cval, alignCorners: alignCorners,
      skipTolerance: skipTolerance, parallel: true)
  }

  package func rescaledInternal(
    toSpacing newSpacing: [Double], order: InterpolationOrder, mode: BoundaryMode, cval: Double,
    alignCorners: Bool, skipTolerance: Double, parallel: Bool
  ) throws(ResamplingError) -> Volume {
    guard newSpacing.count == 3 && newSpacing.allSatisfy({ $0 > 0 && $0.isFinite }) else {
      throw ResamplingError(.invalidSpacing, "target spacing \(newSpacing) mm must be three positive finite numbers")
    }
    if RescaleGeometry.isAlreadyAt(grid.spacingMillimeters, newSpacing: newSpacing, atol: skipTolerance) { return self }
    let target = try RescaleGeometry.grid(grid, newSpacing: newSpacing)
    var from = grid.affine
    var to = target.affine
    if alignCorners {
      to = RescaleGeometry.alignCornersAffine(to, shape: target.shape, zoom: newSpacing)
      from = RescaleGeometry.alignCornersAffine(from, shape: shape, zoom: RescaleGeometry.roundedSpacing(grid.spacingMillimeters))
    }
    guard let mapping = VoxelMapping(sampling: from, at: to) else {
      preconditionFailure("rescaled(toSpacing:): the affine is singular or not finite:\n\(grid.affine)")
    }
    return resampledInternal(through: mapping, onto: target, order: order, mode: mode, cval: cval, as: Voxel.self,
      parallel: parallel)
  }
}
