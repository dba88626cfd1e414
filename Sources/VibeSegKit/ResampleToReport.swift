import Foundation
import VolumeCore
import VolumeTransforms

/// The per-case JSON report of `vibeseg resample-to` (`--report`), schema version 1.
///
/// `target` is the grid both outputs carry (shape i, j, k; spacing in mm per voxel axis; the
/// 4x4 voxel-to-world affine, RAS+ mm, row-major; the axis codes of its closest orientation).
/// `label.outsideFraction` = target voxels whose nearest label voxel does not exist / all target
/// voxels (training.md §2.4 item 7); `qc` the alignment QC (§2.2). `notDone` lists what the
/// specification asks for that this version does not do (empty now).
public struct ResampleToReport: Codable, Sendable {
  public var schemaVersion = 1
  /// "series" (the series reoriented and rescaled) or "reference" (`--reference`'s grid).
  public var targetSource: String
  public var reference: String?
  public var target: Grid
  public var image: ImageReport
  public var label: LabelReport?
  /// `--qc-image`: the alignment QC.
  public var qc: QCReport?
  public var notDone: [String] = []

  /// Body-mask Dice between the VIBE image (resampled) and the series on the target grid,
  /// over the target voxels inside the VIBE image's grid (`ResampleToJob.alignmentQC`).
  public struct QCReport: Codable, Sendable {
    public var image: String
    /// nil when both masks are empty there.
    public var dice: Double?
    public var threshold: Double
    /// Dice below `threshold` (or undefined): check this case before training on it.
    public var flagged: Bool
    /// Otsu thresholds of the QC image and of the resampled series.
    public var referenceOtsu: Double
    public var seriesOtsu: Double
    public var insideVoxels: Int
    public var png: String?
  }

  public struct Grid: Codable, Sendable {
    public var shape: [Int]
    public var spacing: [Double]
    public var affine: [[Double]]
    public var orientation: String?

    public init(_ grid: ImageGrid) {
      shape = grid.shape
      spacing = grid.spacingMillimeters
      affine = grid.affine.rows
      orientation = grid.orientation?.code
    }
  }

  public struct ImageReport: Codable, Sendable {
    public var input: String
    public var output: String
    /// The spline order (3, cubic B-spline) and scipy boundary mode ("nearest" or "constant").
    public var order: Int
    public var mode: String
  }

  public struct LabelReport: Codable, Sendable {
    public var input: String
    public var output: String
    public var outside: OutsideLabelPolicy
    public var ignoreLabel: Int?
    public var outsideVoxels: Int
    public var outsideFraction: Double
    /// `--label-interp`.
    public var interpolation: LabelInterpolation = .nearest
  }
}
