import Foundation
import VolumeTransforms

/// The JSON written next to every deformed copy (`<case>_d<k>.json`), schema version 1. It is
/// also what `--replay-params` reads: only `displacement` is required there (`sigma`, `points`,
/// `copyIndex` are used when present); `scripts/fixtures/make_augment_fixtures.py` writes that
/// minimal form.
///
/// - `displacement` (with `--dump-params`, and always in a replay file): the control
///   displacements `D`, nested as `[3][P_i][P_j][P_k]` (axis displaced, then control point along
///   i, j, k), voxels, float64 — elasticdeform's `displacement` argument for the nibabel-ordered
///   arrays, so `elasticdeform.deform_grid(X, numpy.array(D), ...)` replays the copy.
/// - `normalization`: per image `min` and `range` (per-image: `x' = (x − min) / range`, range =
///   `max(max − min, 1)`; joint: `min` 0 and range = the largest maximum; none: absent).
/// - `labels`: the safety checks of §4.4 (values present in the source and in the copy, values
///   the copy gained or lost, per-value voxel ratio copy/source); `outsideFraction` is the share of
///   voxels that sampled outside the padded input and got `cval`.
public struct AugmentSidecar: Codable, Sendable {
  public var schemaVersion: Int? = 1
  public var tool: String? = "vibeseg augment"
  public var rng: RNGRecord?
  public var seed: UInt64?
  public var caseId: String?
  public var copyIndex: Int?
  public var sigma: Double?
  public var sigma0: Double?
  public var points: Int?
  public var deformFactor: Double?
  public var pad: Int?
  public var normalize: AugmentNormalization?
  public var cval: Double?
  public var imageOrder: Int?
  public var labelOrder: Int?
  public var replayedFrom: String?
  public var sources: Files?
  public var outputs: Files?
  public var normalization: [Normalization]?
  public var outsideFraction: Double?
  public var labels: LabelCheck?
  public var displacement: [[[[Double]]]]?

  public struct RNGRecord: Codable, Sendable {
    public var name: String
    public var version: Int
  }

  public struct Files: Codable, Sendable {
    public var images: [String]
    public var label: String?
  }

  public struct Normalization: Codable, Sendable {
    public var min: Double
    public var range: Double
  }

  public struct LabelCheck: Codable, Sendable {
    public var sourceValues: [Double]
    public var copyValues: [Double]
    /// Values in the copy that the source does not have (0 from `cval` when the source has no 0).
    public var newValues: [Double]
    /// Source values missing from the copy.
    public var vanishedValues: [Double]
    /// Copy voxels / source voxels per source value (as strings of the value, e.g. "5").
    public var volumeRatio: [String: Double]
  }

  public init() {}

  /// The nested `[3][P_i][P_j][P_k]` form of a field.
  static func nested(_ field: ElasticDeformation) -> [[[[Double]]]] {
    let (p0, p1, p2) = (field.controlShape[0], field.controlShape[1], field.controlShape[2])
    return (0..<3).map { d in
      (0..<p0).map { a in
        (0..<p1).map { b in
          let start = ((d * p0 + a) * p1 + b) * p2
          return Array(field.displacements[start..<(start + p2)])
        }
      }
    }
  }

  /// The field of a nested `[3][P_i][P_j][P_k]` array, nil unless it is rectangular with three
  /// displaced axes, every size ≥ 1 and every value finite.
  static func field(_ nested: [[[[Double]]]]) -> ElasticDeformation? {
    guard nested.count == 3, let p0 = nested.first?.count, p0 >= 1, let p1 = nested[0].first?.count, p1 >= 1,
      let p2 = nested[0][0].first?.count, p2 >= 1
    else { return nil }
    var values = [Double]()
    values.reserveCapacity(3 * p0 * p1 * p2)
    for plane in nested {
      guard plane.count == p0 else { return nil }
      for rows in plane {
        guard rows.count == p1 else { return nil }
        for line in rows {
          guard line.count == p2, line.allSatisfy(\.isFinite) else { return nil }
          values += line
        }
      }
    }
    return ElasticDeformation(controlShape: [p0, p1, p2], displacements: values)
  }
}

/// How images are scaled before deformation (TPTBox `deformed_nii`'s `normalize` and
/// `joint_normalize`), and back after it.
public enum AugmentNormalization: String, Codable, Sendable, CaseIterable {
  /// Per image `x' = (x − min) / max(max − min, 1)` (TPTBox's default).
  case perImage = "per-image"
  /// Every image divided by the largest maximum of all images (`joint_normalize=True`).
  case joint
  /// No scaling (`normalize=False`).
  case none
}
