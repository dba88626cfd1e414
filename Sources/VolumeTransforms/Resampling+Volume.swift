import VolumeCore

extension Volume {
  /// Samples this volume through a voxel-to-voxel map onto `grid`: scipy
  /// `scipy.ndimage.affine_transform(data, mapping.matrix, mapping.offset, grid.shape, order,
  /// mode=mode, cval=cval, prefilter=True)` per channel, the output stored as `T` with scipy's
  /// rounding (`ResamplingConversion`: floats round to nearest; integers round half away from
  /// zero and clamp).
  ///
  /// Output voxel `o` takes the interpolated value at input coordinate
  /// `x = mapping.matrix · o + mapping.offset` (see `VoxelMapping`):
  /// - order 0: input voxel `floor(x + 0.5)` per axis;
  /// - order 1: trilinear between `floor(x)` and `floor(x) + 1`;
  /// - order 3: cubic B-spline of the prefiltered input. With `mode == .nearest` scipy pads the
  ///   input by 12 edge voxels per side, prefilters with half-sample-symmetric ("reflect")
  ///   initial conditions and samples at `x + 12` with taps clamped into the padded array; with
  ///   `.constant` it prefilters the unpadded input with whole-sample-symmetric ("mirror")
  ///   initial conditions.
  /// - `mode == .nearest`: coordinates are never clamped; taps beyond the (padded) input repeat
  ///   its edge. `.constant`: a point whose coordinate on any axis is outside `[0, n - 1]` gets
  ///   `cval`; taps of points inside are mirrored (`-i`, `2n - 2 - i`).
  ///
  /// All arithmetic is Double. For orders 0 and 3 a diagonal matrix (axis-aligned scaling and
  /// shift) takes a separable path, O(N_in + N_out·(order+1)) per channel; order 1 and other
  /// matrices evaluate `(order+1)^3` taps per output voxel exactly in scipy's order (order 3 on
  /// a prefiltered copy of the whole input). Both split the work over all cores with results
  /// independent of the thread count. Agreement with scipy 1.17.1: bit-identical for orders 0
  /// and 1 and on the general path; ~1e-15 relative for order 3 on the separable path (the same
  /// sums, regrouped per axis).
  ///
  /// `grid.affine` is attached to the result as is; `resampled(onto:)` derives the mapping from
  /// the two affines.
  ///
  /// - Precondition: the mapping is finite and its coordinates stay below 2^52.
  public func resampled<T: VoxelScalar>(
    through mapping: VoxelMapping, onto grid: ImageGrid, order: InterpolationOrder,
    mode: BoundaryMode = .nearest, cval: Double = 0, as type: T.Type
  ) -> Volume<T> {
    resampledInternal(through: mapping, onto: grid, order: order, mode: mode, cval: cval, as: type, parallel: true)
  }

  /// `resampled(through:onto:order:mode:cval:as:)` keeping the voxel type.
  public func resampled(
    through mapping: VoxelMapping, onto grid: ImageGrid, order: InterpolationOrder,
    mode: BoundaryMode = .nearest, cval: Double = 0
  ) -> Volume {
    resampled(through: mapping, onto: grid, order: order, mode: mode, cval: cval, as: Voxel.self)
  }

  /// Samples this volume on another image's grid, world positions aligned: the mapping is
  /// `inv(self.grid.affine) · grid.affine` (`VoxelMapping(sampling:at:)`), as TPTBox
  /// `NII.resample_from_to(to, mode=mode)` and nibabel `resample_from_to` compute it, then
  /// `resampled(through:onto:...)`. The result carries `grid`. TPTBox's shortcuts (return a copy
  /// when the grids match, reorient/pad when only orientation and integer shifts differ) are not
  /// taken: on such grids interpolation reproduces the input up to rounding (exactly for
  /// orders 0 and 1).
  ///
  /// - Precondition: `self.grid.affine` is invertible and finite.
  public func resampled(
    onto grid: ImageGrid, order: InterpolationOrder, mode: BoundaryMode = .nearest, cval: Double = 0
  ) -> Volume {
    guard let mapping = VoxelMapping(sampling: self.grid.affine, at: grid.affine) else {
      preconditionFailure("resampled(onto:): the source affine is singular or not finite:\n\(self.grid.affine)")
    }
    return resampled(through: mapping, onto: grid, order: order, mode: mode, cval: cval)
  }

  /// nnU-Net's `resample_data_or_seg_to_shape` on the non-separate-z path, i.e. skimage
  /// `resize(channel, shape, order, mode='edge', anti_aliasing=False)` per channel: scipy
  /// `zoom(data, shape/in, order, mode='nearest', grid_mode=True)` (output voxel `k` samples
  /// `x = (k + 0.5)·(n_in/n_out) - 0.5` per axis, cubic with the 12-voxel edge padding), then
  /// clipped to the channel's [min, max] (skimage `clip=True`), stored with scipy's rounding.
  ///
  /// Returns `self` when `shape` already equals the volume's shape (nnU-Net's skip rule). The
  /// result's affine maps the new voxel centres to the world positions that the grid-mode
  /// mapping samples: column c scaled by `n_in/n_out`, origin at input voxel
  /// `0.5·(n_in/n_out) - 0.5`. Always separable: O(N_in + N_out·(order+1)) per channel.
  ///
  /// - Throws: `ResamplingError` unless `shape` holds 3 sizes ≥ 1 whose product is at most
  ///   `ResamplingLimits.maxVoxels` (checked before the output is allocated).
  public func resized(toShape shape: [Int], order: InterpolationOrder) throws(ResamplingError) -> Volume {
    try resizedInternal(toShape: shape, order: order, parallel: true)
  }

  // MARK: - Package entry points (tests pass `parallel: false` to compare thread counts)

  package func resampledInternal<T: VoxelScalar>(
    through mapping: VoxelMapping, onto grid: ImageGrid, order: InterpolationOrder, mode: BoundaryMode,
    cval: Double, as type: T.Type, parallel: Bool
  ) -> Volume<T> {
    mapChannels(onto: grid, as: type) { channel in
      ResamplingEngine.affineTransform(
        channel, shape: self.shape, mapping: mapping, outputShape: grid.shape, order: order, mode: mode,
        cval: cval, parallel: parallel)
    }
  }

  package func resizedInternal(toShape newShape: [Int], order: InterpolationOrder, parallel: Bool)
    throws(ResamplingError) -> Volume
  {
    guard newShape.count == 3 else {
      throw ResamplingError(.emptyAxis, "resizing to \(newShape) needs 3 sizes")
    }
    try ResamplingLimits.check(newShape, what: "resizing \(shape) to \(newShape)")
    if newShape == shape { return self }
    let zoom = (0..<3).map { Double(shape[$0]) / Double(newShape[$0]) }
    var affine = grid.affine
    let origin = grid.affine.apply(zoom.map { 0.5 * $0 - 0.5 })
    for r in 0..<3 {
      for c in 0..<3 { affine[r, c] = grid.affine[r, c] * zoom[c] }
      affine[r, 3] = origin[r]
    }
    return mapChannels(onto: ImageGrid(shape: newShape, affine: affine), as: Voxel.self) { channel in
      var zoomed = ResamplingEngine.gridZoom(channel, shape: self.shape, outputShape: newShape, order: order, parallel: parallel)
      // skimage _clip_warp_output: np.clip(out, input.min(), input.max()).
      var lo = channel[0]
      var hi = channel[0]
      for v in channel {
        lo = Swift.min(lo, v)
        hi = Swift.max(hi, v)
      }
      for n in zoomed.indices { zoomed[n] = Swift.min(Swift.max(zoomed[n], lo), hi) }
      return zoomed
    }
  }

  /// Runs `body` on each channel converted to Double and assembles the results on `grid`.
  package func mapChannels<T: VoxelScalar>(onto grid: ImageGrid, as type: T.Type, _ body: ([Double]) -> [Double]) -> Volume<T> {
    let n = self.grid.voxelCount
    var output = [T]()
    output.reserveCapacity(grid.voxelCount * channelCount)
    for c in 0..<channelCount {
      let channel = ResamplingConversion.doubles(voxels[(c * n)..<((c + 1) * n)])
      let values = body(channel)
      precondition(values.count == grid.voxelCount, "mapChannels: \(values.count) values for \(grid.shape)")
      output.append(contentsOf: ResamplingConversion.convert(values, to: type))
    }
    return Volume<T>(grid: grid, channelCount: channelCount, voxels: output)
  }
}
