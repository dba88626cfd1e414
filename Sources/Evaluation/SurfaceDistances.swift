import Morphology
import VolumeCore

/// Distances in mm between the boundary voxels of a predicted and a reference mask: the
/// quantities behind ASSD, HD95 and NSD, defined as MONAI defines them.
///
/// Reference: MONAI 1.6.1 `monai.metrics` with `distance_metric="euclidean"`,
/// `use_subvoxels=False`: boundaries are `mask ^ binary_erosion(mask)` (`Boundary`), and each
/// boundary voxel of one mask gets the exact Euclidean distance (spacing-aware) from its centre to
/// the centre of the nearest boundary voxel of the other mask (`get_surface_distance`). Both
/// directions are kept. MONAI stores these distances as float32; here they are Double, so values
/// agree with MONAI to float32 rounding and with the float64 reference generator
/// (`scripts/fixtures/make_evaluation_goldens.py`) to ~1e-12 mm.
///
/// When one mask has no boundary (it is empty) every distance from the other is `+infinity`, as in
/// MONAI; `LabelMetrics` turns that into its documented empty-mask policy.
public struct SurfaceDistances: Sendable, Equatable {
  /// From each prediction boundary voxel to the reference boundary, in voxel order (i fastest).
  public var predictionToReference: [Double]
  /// From each reference boundary voxel to the prediction boundary, in voxel order.
  public var referenceToPrediction: [Double]

  public init(predictionToReference: [Double], referenceToPrediction: [Double]) {
    self.predictionToReference = predictionToReference
    self.referenceToPrediction = referenceToPrediction
  }

  /// Average symmetric surface distance: the mean over both directions' distances together
  /// (MONAI `compute_average_surface_distance(symmetric=True)`: `torch.cat(distances).mean()`).
  /// Nil when both are empty; `+infinity` when exactly one mask is empty.
  public var averageSymmetric: Double? {
    let n = predictionToReference.count + referenceToPrediction.count
    guard n > 0 else { return nil }
    var sum = 0.0
    for d in predictionToReference { sum += d }
    for d in referenceToPrediction { sum += d }
    return sum / Double(n)
  }

  /// Percentile Hausdorff distance: the larger of the two directed `percentile`s (NumPy linear
  /// interpolation, as `torch.quantile` in MONAI `compute_hausdorff_distance(percentile=95)`).
  /// Nil when both are empty.
  public func hausdorff(percentile: Double = 95) -> Double? {
    let a = Percentile.linear(sorted: predictionToReference.sorted(), percentile)
    let b = Percentile.linear(sorted: referenceToPrediction.sorted(), percentile)
    switch (a, b) {
    case let (a?, b?): return max(a, b)
    case let (a?, nil): return a
    case let (nil, b?): return b
    case (nil, nil): return nil
    }
  }

  /// Normalised surface Dice at a tolerance (MONAI `compute_surface_dice`, `use_subvoxels=False`):
  /// boundary voxels of both masks within `toleranceMillimeters` (inclusive) of the other
  /// boundary, divided by the number of boundary voxels of both. Nil when both are empty.
  public func normalizedSurfaceDice(toleranceMillimeters tau: Double) -> Double? {
    let n = predictionToReference.count + referenceToPrediction.count
    guard n > 0 else { return nil }
    let within = predictionToReference.reduce(0) { $0 + ($1 <= tau ? 1 : 0) }
      + referenceToPrediction.reduce(0) { $0 + ($1 <= tau ? 1 : 0) }
    return Double(within) / Double(n)
  }

  /// The distances for voxels equal to `label`, computed inside `box` (which must hold every such
  /// voxel of both maps, e.g. `LabelOverlap.unionBox`). Outside the box both masks are background,
  /// so cropping changes no boundary voxel and no distance. O(box voxels): two boundary scans and
  /// two distance transforms of the box.
  ///
  /// - Precondition: equal shapes; `box` lies inside them.
  public static func compute(prediction: Volume<UInt16>, reference: Volume<UInt16>, label: UInt16, in box: VoxelBox) -> SurfaceDistances {
    precondition(prediction.shape == reference.shape, "SurfaceDistances: shapes differ")
    precondition((0..<3).allSatisfy { box.lower[$0] >= 0 && box.upper[$0] < prediction.shape[$0] }, "SurfaceDistances: box outside the grid")
    let spacing = reference.grid.spacingMillimeters
    let shape = box.shape
    let predMask = cropMask(prediction, label: label, box: box)
    let refMask = cropMask(reference, label: label, box: box)
    let predEdges = Boundary.innerBoundary(of: predMask, shape: shape)
    let refEdges = Boundary.innerBoundary(of: refMask, shape: shape)
    return SurfaceDistances(
      predictionToReference: distances(at: predEdges, to: refEdges, shape: shape, spacing: spacing),
      referenceToPrediction: distances(at: refEdges, to: predEdges, shape: shape, spacing: spacing))
  }

  /// sqrt of the squared distance transform of `targets`, read at every nonzero voxel of `queries`
  /// (all `+infinity` when `targets` is empty).
  static func distances(at queries: [UInt8], to targets: [UInt8], shape: [Int], spacing: [Double]) -> [Double] {
    let queryCount = queries.reduce(0) { $0 + Int($1) }
    guard queryCount > 0 else { return [] }
    guard targets.contains(where: { $0 != 0 }) else { return [Double](repeating: .infinity, count: queryCount) }
    let squared = DistanceTransform.squaredEuclidean(features: targets, shape: shape, spacingMillimeters: spacing)
    var out = [Double]()
    out.reserveCapacity(queryCount)
    for index in queries.indices where queries[index] != 0 { out.append(squared[index].squareRoot()) }
    return out
  }
}
