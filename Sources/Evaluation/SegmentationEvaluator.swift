import Dispatch
import Morphology
import VolumeCore

/// Settings of `SegmentationEvaluator`.
public struct EvaluationSettings: Sendable, Equatable {
  /// Tolerance of the normalised surface Dice, mm (default 2 mm, about one NAKO voxel in-plane
  /// plus rounding; the paper's Table 1 reports Dice and ASSD only).
  public var toleranceMillimeters: Double = 2
  /// Percentile of the robust Hausdorff distance (95).
  public var hausdorffPercentile: Double = 95
  /// Labels to evaluate; nil = every nonzero label present in either map.
  public var labels: [Int]?
  /// Threads for the per-label surface computations (results do not depend on it).
  public var threads: Int = 2

  public init(toleranceMillimeters: Double = 2, hausdorffPercentile: Double = 95, labels: [Int]? = nil, threads: Int = 2) {
    self.toleranceMillimeters = toleranceMillimeters
    self.hausdorffPercentile = hausdorffPercentile
    self.labels = labels
    self.threads = threads
  }
}

/// Computes `LabelMetrics` for every label of a prediction against a reference on one grid.
public enum SegmentationEvaluator {
  /// One pass counts every label (`LabelOverlap.countAll`), then each label present in both maps
  /// gets its surface distances inside its union bounding box (`SurfaceDistances.compute`),
  /// largest boxes first, spread over `settings.threads`. Volumes use the grid's voxel volume
  /// (|det A| mm³ / 1000 per ml).
  ///
  /// Throws `.gridMismatch` unless both grids match (`LabelMap.gridsMatch`): metrics in mm need
  /// one geometry, and silently comparing misaligned maps is the classic evaluation bug; resample
  /// the prediction first (the CLI's `--resample-pred`).
  ///
  /// Complexity: O(voxels) + O(Σ box voxels of labels in both maps).
  public static func evaluate(prediction: Volume<UInt16>, reference: Volume<UInt16>, settings: EvaluationSettings = EvaluationSettings(), context: String = "evaluation") throws(EvaluationError) -> [LabelMetrics] {
    guard LabelMap.gridsMatch(prediction.grid, reference.grid) else {
      throw EvaluationError(.gridMismatch, gridMismatchMessage(prediction.grid, reference.grid), context: context)
    }
    let overlaps = LabelOverlap.countAll(prediction: prediction, reference: reference)
    let labels = settings.labels ?? overlaps.indices.filter { $0 > 0 && (overlaps[$0].predictionVoxels > 0 || overlaps[$0].referenceVoxels > 0) }
    let milliliters = reference.grid.voxelVolumeCubicMillimeters / 1000
    var results = labels.map { label -> LabelMetrics in
      let o = label < overlaps.count ? overlaps[label] : LabelOverlap(label: label)
      let presence: LabelPresence = switch (o.predictionVoxels > 0, o.referenceVoxels > 0) {
      case (true, true): .both
      case (false, true): .referenceOnly
      case (true, false): .predictionOnly
      case (false, false): .neither
      }
      var m = LabelMetrics(label: label, presence: presence, referenceVoxels: o.referenceVoxels,
        predictionVoxels: o.predictionVoxels, intersectionVoxels: o.intersectionVoxels,
        referenceMilliliters: Double(o.referenceVoxels) * milliliters,
        predictionMilliliters: Double(o.predictionVoxels) * milliliters)
      if presence == .referenceOnly || presence == .predictionOnly {
        m.dice = 0
        m.iou = 0
        m.nsd = 0
      }
      if presence == .both {
        m.dice = o.dice
        m.iou = o.intersectionOverUnion
      }
      return m
    }
    // Surface metrics, largest boxes first so the threads finish together.
    let work = results.indices.filter { results[$0].presence == .both }
      .map { ($0, overlaps[results[$0].label].unionBox!) }
      .sorted { $0.1.voxelCount > $1.1.voxelCount }
    var surface = [(assd: Double?, hd95: Double?, nsd: Double?)](repeating: (nil, nil, nil), count: work.count)
    surface.withUnsafeMutableBufferPointer { buffer in
      let out = buffer
      let body: (Int) -> Void = { w in
        let (index, box) = work[w]
        let d = SurfaceDistances.compute(prediction: prediction, reference: reference, label: UInt16(results[index].label), in: box)
        out[w] = (d.averageSymmetric, d.hausdorff(percentile: settings.hausdorffPercentile),
          d.normalizedSurfaceDice(toleranceMillimeters: settings.toleranceMillimeters))
      }
      if settings.threads <= 1 || work.count <= 1 {
        for w in work.indices { body(w) }
      } else {
        withoutActuallyEscaping(body) { escapable in
          // Each item writes only its own slot of `out`; concurrentPerform returns when all are done.
          let shared = unsafeBitCast(escapable, to: (@Sendable (Int) -> Void).self)
          DispatchQueue.concurrentPerform(iterations: work.count, execute: shared)
        }
      }
    }
    for (w, (index, _)) in work.enumerated() {
      results[index].assd = surface[w].assd
      results[index].hd95 = surface[w].hd95
      results[index].nsd = surface[w].nsd
    }
    return results
  }

  static func gridMismatchMessage(_ p: ImageGrid, _ r: ImageGrid) -> String {
    if p.shape != r.shape {
      return "prediction shape \(p.shape) differs from reference shape \(r.shape); resample the prediction onto the reference grid (--resample-pred)"
    }
    return "prediction and reference have the same shape but different world geometry (affines differ by up to \(p.affine.maxAbsDifference(to: r.affine)) mm); resample the prediction onto the reference grid (--resample-pred)"
  }
}
