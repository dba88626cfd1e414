import Morphology
import VolumeCore
import VolumeTransforms

/// Stitches multi-station acquisitions that are already aligned in world space into one volume:
/// TPTBox 1.1.0 `TPTBox.stitching.stitching_tools.stitching()` (`stitching_raw`) with N4 bias-field
/// correction and histogram matching off (their defaults), re-derived from its behaviour
/// (`shared/docs/training.md` §1.3); no registration is done.
///
/// ```swift
/// let result = try Stitching(options: StitchOptions()).stitch(stations)
/// ```
///
/// 1. grid: `StitchGrid` (corners at `{1, n+1}`, smallest-box rotation, later station on ties,
///    per-index minimum spacing rounded to 6 decimals, `ceil`, `[R·z | R·lo]`);
/// 2. every station onto the grid: `StationSampler` (order 3 images / 0 labels, mode constant,
///    cval = background; 1.1.0's copy shortcut for integer shifts); occupancy 1 inside the
///    station's closed box, for labels only where the label is > 0;
/// 3. ramps in pairwise overlaps: `StitchRamps` (opening with a `rampEdge` cube, exact EDT in
///    voxels, float32 weights); a station fully inside another is dropped and the stitch starts
///    over without it (kick-out);
/// 4. blend and cast: `StitchBlend` (images in float32; labels by TPTBox's rounded weights or by
///    the largest weight), floor (`minValue`; with none, 0 for unsigned outputs), NumPy `astype`.
///
/// Output types: images `options.outputType` (default float64 as TPTBox's `dtype=float`; `auto`
/// as 1.1.0); labels the smallest unsigned type above the largest label (uint8, uint16, uint32,
/// uint64). Memory: every station's values and a float32 weight on the output grid. Lives in its
/// own module because it needs both VolumeTransforms (resampling) and Morphology (opening, EDT).
///
/// Known differences from upstream: the empty-opened-region case (`StitchRamps`); 1.1.0 widens
/// an integer dtype whose stored values exceed its declared range, VibeSeg keeps the stored type;
/// scaled inputs are blended from float32 (VibeSeg's scaled read) where nibabel uses float64.
public struct Stitching: Sendable {
  public var options: StitchOptions

  public init(options: StitchOptions = StitchOptions()) { self.options = options }

  /// The stitched volume and what happened.
  public struct Result: Sendable {
    public var volume: AnyVolume
    public var report: StitchReport
  }

  /// - Throws: `StitchError` (fewer than two stations, a station that is not one 3-D volume or
  ///   has a singular affine, an empty or too large grid, an option out of range).
  public func stitch(_ stations: [StitchStation]) throws(StitchError) -> Result {
    guard stations.count >= 2 else {
      throw StitchError(.tooFewStations, "stitching needs at least 2 stations, got \(stations.count)")
    }
    guard options.rampEdge >= 0 else {
      throw StitchError(.invalidOption, "the ramp size must be ≥ 0, got \(options.rampEdge)")
    }
    if let minSpacing = options.minSpacing, !(minSpacing >= 0 && minSpacing.isFinite) {
      throw StitchError(.invalidOption, "the minimum spacing must be a finite number ≥ 0, got \(minSpacing)")
    }
    for station in stations {
      let grid = station.volume.grid
      guard station.volume.channelCount == 1, grid.shape.count == 3 else {
        throw StitchError(
          .invalidStation, "a station must be one 3-D volume, found \(grid.shape) x \(station.volume.channelCount)",
          station: station.name)
      }
      guard grid.affine.isFinite, grid.affine.inverse != nil, grid.spacingMillimeters.allSatisfy({ $0 > 0 }) else {
        throw StitchError(
          .invalidStation, "the affine is singular or not finite:\n\(grid.affine)", station: station.name)
      }
    }
    var active = Array(stations.indices)
    var kicked = [StitchReport.KickedOut]()
    var warnings = [String]()
    while true {
      guard active.count >= 2 else {
        throw StitchError(
          .tooFewStations,
          "after leaving out the stations that lie fully inside others (\(kicked.map { stations[$0.index].name }.joined(separator: ", "))) fewer than 2 remain"
        )
      }
      let pass = try stitchPass(active.map { stations[$0] }, indices: active)
      warnings += pass.warnings
      if let (position, other) = pass.kickOut {
        kicked.append(StitchReport.KickedOut(index: active[position], insideOf: active[other]))
        active.remove(at: position)
        continue
      }
      var report = pass.report
      report.kickedOut = kicked
      report.warnings = warnings
      return Result(volume: pass.volume, report: report)
    }
  }

  private struct Pass {
    var volume: AnyVolume
    var report: StitchReport
    var warnings: [String]
    var kickOut: (Int, Int)?
  }

  private func stitchPass(_ stations: [StitchStation], indices: [Int]) throws(StitchError) -> Pass {
    let (grid, rotation) = try StitchGrid.grid(
      for: stations.map { $0.volume.grid }, rule: options.grid, minSpacing: options.minSpacing)
    let seg = options.segmentation
    let cval = options.background
    var values = [StationValues]()
    var weights = [[Float]]()
    var stationReports = [StitchReport.Station]()
    for (s, station) in stations.enumerated() {
      guard
        let sampled = StationSampler.sample(
          station.volume, onto: grid, order: seg ? .nearest : .cubic, cval: cval, replaceNonFinite: !seg)
      else { throw StitchError(.invalidStation, "the affine is singular", station: station.name) }
      var occupancy = sampled.occupancy
      if seg {
        for n in occupancy.indices where !(sampled.values.value(at: n) > 0) { occupancy[n] = 0 }
      }
      values.append(sampled.values)
      weights.append(occupancy)
      stationReports.append(
        StitchReport.Station(
          index: indices[s], name: station.name, shape: station.volume.grid.shape,
          dataType: station.volume.scalarType.rawValue,
          sampling: sampled.path, occupiedVoxels: occupancy.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }))
    }
    let boxes = weights.map { StitchRamps.occupiedBox($0, shape: grid.shape) }
    let ramps = StitchRamps.apply(
      occupancies: &weights, shape: grid.shape, rampEdge: options.rampEdge, names: stations.map(\.name),
      indices: indices,
      kickOut: options.kickOutContained)
    let outputType = resolvedType(stations, values: values)
    var floor: Double?
    if let minValue = options.minValue, !seg {
      floor = minValue
    } else if seg || outputType.integerRange?.lowerBound == 0 {
      floor = 0
    }
    var report = StitchReport(
      grid: StitchReport.Grid(
        rule: options.grid.rawValue, shape: grid.shape, affine: (0..<4).map { r in (0..<4).map { grid.affine[r, $0] } },
        spacingMillimeters: grid.spacingMillimeters),
      rotationStation: indices[rotation], stations: stationReports, pairs: ramps.pairs, kickedOut: [],
      segmentation: seg, segmentationTies: seg ? options.segmentationTies.rawValue : nil,
      outputType: outputType.rawValue,
      background: cval, floor: floor, rampEdge: options.rampEdge, warnings: [])
    if let kick = ramps.kickOut {
      return Pass(
        volume: AnyVolume(Volume<UInt8>(grid: grid, repeating: 0)), report: report, warnings: ramps.warnings,
        kickOut: kick)
    }
    let count = grid.voxelCount
    var volume: AnyVolume
    if seg {
      let labels =
        options.segmentationTies == .tptbox
        ? StitchBlend.blendLabelsTPTBox(values, weights, count: count, type: outputType)
        : StitchBlend.blendLabelsFix(values, weights, count: count)
      volume = StitchBlend.integerVolume(labels, grid: grid, type: outputType)
    } else {
      volume = StitchBlend.finish(
        StitchBlend.blendImages(values, weights, count: count), floor: floor, grid: grid, type: outputType)
    }
    let occupied = boxes.compactMap { $0 }
    if options.cropToOccupancy, let first = occupied.first {
      // 1.1.0 `crop_empty`: the union of the stations' occupied boxes (before ramps).
      let box = occupied.reduce(first) { $0.union($1) }
      volume = volume.cropped(to: VolumeTransforms.VoxelBox(lower: box.lower, upper: box.upper.map { $0 + 1 }))
      report.cropLower = box.lower
      report.cropUpper = box.upper
      report.grid.shape = volume.grid.shape
      report.grid.affine = (0..<4).map { r in (0..<4).map { volume.grid.affine[r, $0] } }
    }
    return Pass(volume: volume, report: report, warnings: ramps.warnings, kickOut: nil)
  }

  /// The output type: labels by the largest label (uint8 < 2⁸, uint16 < 2¹⁶, uint32 < 2³²,
  /// else uint64); images `options.outputType`, `auto` resolved as 1.1.0 `_auto_output_dtype`.
  private func resolvedType(_ stations: [StitchStation], values: [StationValues]) -> ScalarType {
    if options.segmentation {
      let largest = stations.compactMap { $0.volume.valueRange?.max }.max() ?? 0
      if largest < 256 { return .uint8 }
      if largest < 65536 { return .uint16 }
      if largest < 4_294_967_296 { return .uint32 }
      return .uint64
    }
    switch options.outputType {
    case .scalar(let type): return type
    case .auto:
      let types = stations.map { $0.volume.scalarType }
      guard types.allSatisfy({ !$0.isFloatingPoint }), stations.allSatisfy({ !$0.hasScaling }) else { return .float32 }
      // max(dtypes, key=itemsize): the first of the largest size.
      var best = types[0]
      for t in types.dropFirst() where t.byteCount > best.byteCount { best = t }
      return best
    }
  }
}
