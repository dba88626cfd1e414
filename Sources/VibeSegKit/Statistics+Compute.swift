import Evaluation
import Morphology
import VolumeCore

/// Settings of `SegmentationStatistics.compute`.
public struct StatisticsOptions: Sendable {
  /// Labels to report (ids); nil = every nonzero label present. Requested labels that are absent
  /// are reported with zero voxels.
  public var labels: [Int]?
  /// Names for the report and for body composition.
  public var registry: StatisticsLabelRegistry = .totalVibe
  /// Fat-fraction guard: a voxel gets `F/(W+F)` only where `W + F > fatFractionMinimumSignal`
  /// and both are finite. Default 1 signal unit: Dixon magnitudes are stored as integers in the
  /// hundreds in tissue, so this drops air and background (where the fraction is noise over
  /// noise) without touching tissue; set it in the images' units for rescaled data.
  public var fatFractionMinimumSignal: Double = 1

  public init(labels: [Int]? = nil, registry: StatisticsLabelRegistry = .totalVibe, fatFractionMinimumSignal: Double = 1) {
    self.labels = labels
    self.registry = registry
    self.fatFractionMinimumSignal = fatFractionMinimumSignal
  }
}

/// Per-label statistics of a segmentation: the library behind `vibeseg stats`.
public enum SegmentationStatistics {
  /// Computes the report.
  ///
  /// - Geometry (one pass over the labels): voxel count; volume = count · |det A| / 1000 ml;
  ///   centroid = A · (mean voxel index) in world mm; index bounding box; `touchesBorder`.
  /// - Intensities, per image and label: finite values only; mean; population SD (`np.std`);
  ///   `np.median`; `np.percentile(…, 5 / 95)` with linear interpolation. Values are grouped per
  ///   label in one pass (counting sort) and order statistics found by selection, O(voxels).
  /// - Fat fraction: `F/(W+F)` per voxel where `W + F > options.fatFractionMinimumSignal`, then
  ///   summarised like an image; other voxels are counted as excluded.
  /// - Body composition: see `bodyComposition(...)`.
  ///
  /// Reproduces, to rounding, the NumPy computation in `scripts/fixtures/make_stats_goldens.py`
  /// (`(seg == l).sum()`, `np.argwhere(seg == l).mean(0)`, `img[seg == l]` statistics).
  ///
  /// - Throws: `.gridMismatch` when an image is not on the segmentation's grid.
  public static func compute(labels: Volume<UInt16>, images: [(name: String, values: Volume<Double>)] = [],
    water: Volume<Double>? = nil, fat: Volume<Double>? = nil, spine: Volume<UInt16>? = nil,
    options: StatisticsOptions = StatisticsOptions(), source: String = "segmentation") throws(VibeSegKitError) -> StatisticsReport {
    let grid = labels.grid
    var checked: [(String, ImageGrid)] = images.map { ($0.name, $0.values.grid) }
    if let water { checked.append(("--water", water.grid)) }
    if let fat { checked.append(("--fat", fat.grid)) }
    if let spine { checked.append(("--spine", spine.grid)) }
    for (name, g) in checked where !LabelMap.gridsMatch(g, grid) {
      throw VibeSegKitError(.gridMismatch,
        "image is not on the segmentation's grid (shape \(g.shape) vs \(grid.shape), affines differ by \(g.affine.maxAbsDifference(to: grid.affine)) mm); resample it first (vibeseg convert)",
        context: name)
    }
    let geometry = LabelGeometry(labels)
    let selected = options.labels ?? geometry.count.indices.filter { $0 > 0 && geometry.count[$0] > 0 }
    let milliliters = grid.voxelVolumeCubicMillimeters / 1000
    var rows = selected.map { id -> LabelStatistics in
      let count = id < geometry.count.count ? geometry.count[id] : 0
      let box = count > 0 ? geometry.box(id) : nil
      return LabelStatistics(id: id, name: options.registry.name(of: id), voxelCount: count,
        volumeMilliliters: Double(count) * milliliters, centroidMillimeters: count > 0 ? geometry.centroid(id, affine: grid.affine) : nil,
        boundingBox: box, touchesBorder: box?.touchesBorder(of: grid.shape) ?? false, intensities: [:], fatFraction: nil)
    }
    let grouping = LabelGrouping(labels: labels, counts: geometry.count, selected: selected)
    for (name, values) in images {
      let summaries = grouping.summaries(of: values.voxels)
      for r in rows.indices { rows[r].intensities[name] = summaries[r] }
    }
    if let water, let fat {
      let guardValue = options.fatFractionMinimumSignal
      let fraction = zip(water.voxels, fat.voxels).map { w, f -> Double in
        let total = w + f
        return total.isFinite && total > guardValue ? f / total : .nan
      }
      let summaries = grouping.summaries(of: fraction)
      for r in rows.indices {
        var s = summaries[r]
        let excluded = s.nonFiniteCount
        s.nonFiniteCount = 0
        rows[r].fatFraction = FatFractionSummary(fatFraction: s, excludedVoxels: excluded)
      }
    }
    let composition = bodyComposition(labels: labels, counts: geometry.count, spine: spine, registry: options.registry)
    return StatisticsReport(segmentation: source, shape: grid.shape, spacingMillimeters: grid.spacingMillimeters,
      voxelVolumeCubicMillimeters: grid.voxelVolumeCubicMillimeters, images: images.map(\.name),
      fatFractionMinimumSignal: water != nil && fat != nil ? options.fatFractionMinimumSignal : nil,
      labels: rows, bodyComposition: composition, warnings: [])
  }
}

/// Counts, index sums and bounds of every label, from one pass.
struct LabelGeometry {
  var count: [Int]
  var sums: [Int]  // 3 per label
  var lower: [Int]
  var upper: [Int]

  init(_ labels: Volume<UInt16>) {
    let n = Int(labels.valueRange?.max ?? 0) + 1
    count = [Int](repeating: 0, count: n)
    sums = [Int](repeating: 0, count: 3 * n)
    lower = [Int](repeating: .max, count: 3 * n)
    upper = [Int](repeating: .min, count: 3 * n)
    let ni = labels.shape[0], nj = labels.shape[1], nk = labels.shape[2]
    labels.voxels.withUnsafeBufferPointer { v in
      var index = 0
      for k in 0..<nk {
        for j in 0..<nj {
          // Runs of one label along i update the sums and bounds once per run.
          var i = 0
          while i < ni {
            let l = Int(v[index])
            var end = i + 1
            while end < ni && Int(v[index + end - i]) == l { end += 1 }
            let run = end - i
            if l != 0 {
              count[l] += run
              let b = 3 * l
              sums[b] += (i + end - 1) * run / 2
              sums[b + 1] += j * run
              sums[b + 2] += k * run
              if i < lower[b] { lower[b] = i }
              if end - 1 > upper[b] { upper[b] = end - 1 }
              if j < lower[b + 1] { lower[b + 1] = j }
              if j > upper[b + 1] { upper[b + 1] = j }
              if k < lower[b + 2] { lower[b + 2] = k }
              if k > upper[b + 2] { upper[b + 2] = k }
            }
            index += run
            i = end
          }
        }
      }
    }
  }

  func box(_ l: Int) -> VoxelBox {
    VoxelBox(lower: Array(lower[(3 * l)..<(3 * l + 3)]), upper: Array(upper[(3 * l)..<(3 * l + 3)]))
  }

  /// `affine · mean index` (the mean index is exact: integer sums divided once).
  func centroid(_ l: Int, affine: Affine) -> [Double] {
    let n = Double(count[l])
    let mean = (0..<3).map { Double(sums[3 * l + $0]) / n }
    return affine.apply(mean)
  }
}
