import Foundation
import VolumeCore
import VolumeTransforms

/// The per-case JSON report of `vibeseg resample-to` (`--report`), schema version 1.
///
/// `target` is the grid both outputs carry (shape i, j, k; spacing in mm per voxel axis; the
/// 4x4 voxel-to-world affine, RAS+ mm, row-major; the axis codes of its closest orientation).
/// `label.outsideFraction` = target voxels whose nearest label voxel does not exist / all target
/// voxels (training.md §2.4 item 7). `notDone` lists what the specification asks for that this
/// version does not do yet.
public struct ResampleToReport: Codable, Sendable {
  public var schemaVersion = 1
  /// "series" (the series reoriented and rescaled) or "reference" (`--reference`'s grid).
  public var targetSource: String
  public var reference: String?
  public var target: Grid
  public var image: ImageReport
  public var label: LabelReport?
  public var notDone = ["label interpolation onehot-linear", "alignment QC (training.md section 2.2)"]

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
