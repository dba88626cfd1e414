import VolumeCore

/// What a stitch did, for `--report` (JSON, `schemaVersion` 1). Station indices are 0-based
/// positions in the input list.
public struct StitchReport: Sendable, Codable, Equatable {
  public struct Grid: Sendable, Codable, Equatable {
    public var rule: String
    /// `[ni, nj, nk]`.
    public var shape: [Int]
    /// Row-major 4x4 voxel-to-world affine (mm).
    public var affine: [[Double]]
    public var spacingMillimeters: [Double]
  }

  public struct Station: Sendable, Codable, Equatable {
    public var index: Int
    public var name: String
    public var shape: [Int]
    public var dataType: String
    /// `copied` (integer shift, same spacing) or `interpolated`; nil for a station left out
    /// before it was resampled in the final pass.
    public var sampling: StitchSamplingPath?
    /// Output voxels the station covers (its occupancy before ramps).
    public var occupiedVoxels: Int?
  }

  public struct KickedOut: Sendable, Codable, Equatable {
    public var index: Int
    public var insideOf: Int

    public init(index: Int, insideOf: Int) {
      self.index = index
      self.insideOf = insideOf
    }
  }

  public var schemaVersion = 1
  public var grid: Grid
  /// Whose rotation the grid uses (the smallest bounding box; later station on ties).
  public var rotationStation: Int
  public var stations: [Station]
  /// The pairs of the final pass, in loop order.
  public var pairs: [StitchPair]
  public var kickedOut: [KickedOut]
  public var segmentation: Bool
  public var segmentationTies: String?
  public var outputType: String
  /// The resampling cval.
  public var background: Double
  /// The floor applied before the cast, nil for none.
  public var floor: Double?
  public var rampEdge: Int
  /// Set when `--crop` removed empty borders: the kept box `[lower, upper]` (inclusive) on the grid.
  public var cropLower: [Int]?
  public var cropUpper: [Int]?
  public var warnings: [String]
}
