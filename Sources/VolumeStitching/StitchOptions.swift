import VolumeCore

/// What `Stitching.stitch(_:)` does, TPTBox 1.1.0 `stitching()` / `stitching_raw` arguments with
/// N4 and histogram matching off. Defaults are the wrapper's (`kick_out_fully_integrated_images=True`,
/// `ramp_edge_min_value=5`, `min_value=None`, `dtype=float`).
public struct StitchOptions: Sendable, Hashable {
  /// How the output grid is laid out around the stations' corners.
  public enum GridRule: String, Sendable, Hashable, CaseIterable, Codable {
    /// TPTBox `get_max_affine_and_shape`: corners at voxel indices `{1, n + 1}` (sic). For stations
    /// sharing one rotation the output's first plane is the stations' second one and its last
    /// plane is empty (cval): parity.
    case tptbox
    /// Corners at voxel edges `{-0.5, n - 0.5}`, output voxel centres half a voxel inside the box:
    /// no plane lost, none empty.
    case centered
  }

  /// How a segmentation resolves voxels covered by two stations.
  public enum SegmentationTies: String, Sendable, Hashable, CaseIterable, Codable {
    /// TPTBox: `Σ_s label_s · round_half_even(weight_s)`, summed in the label type. Where both
    /// weights are 0.5 (the middle plane of an odd overlap) both round to 0: a hole of label 0.
    case tptbox
    /// The label of the station with the largest weight (the earlier station on a tie); no holes.
    case fix
  }

  /// The output voxel type (`dtype`).
  public enum OutputType: Sendable, Hashable {
    /// TPTBox `dtype="auto"`: the widest (first of equal size) input type if every station is
    /// stored as an integer type without scaling, else float32.
    case auto
    case scalar(ScalarType)

    /// Parses `float` (NumPy's float = float64), `auto`, or a `ScalarType` name.
    public init?(_ text: String) {
      switch text {
      case "auto": self = .auto
      case "float", "double": self = .scalar(.float64)
      default:
        guard let type = ScalarType(rawValue: text) else { return nil }
        self = .scalar(type)
      }
    }
  }

  /// Label mode (`-seg`): order-0 resampling, occupancy restricted to labelled voxels, weights
  /// rounded, label output type, `minValue` forced to 0.
  public var segmentation: Bool
  public var segmentationTies: SegmentationTies
  /// Background: the resampling cval, and the floor `out[out ≤ v] = v`. nil (TPTBox 1.1.0's
  /// default): cval 0, floor 0 only for unsigned output types.
  public var minValue: Double?
  /// Side of the cube that opens each exclusive region before it anchors a ramp (`ramp_e`,
  /// default 5); 0 disables the opening.
  public var rampEdge: Int
  /// Lower bound on the output spacing (`-ms`); nil or 0: none.
  public var minSpacing: Double?
  public var outputType: OutputType
  public var grid: GridRule
  /// Crop the output to the union of the stations' occupied boxes (`-crop`, 1.1.0 semantics).
  public var cropToOccupancy: Bool
  /// Drop a station whose weights never reach 1 after a pair (fully inside another) and start over
  /// (`kick_out_fully_integrated_images`, the wrapper's default).
  public var kickOutContained: Bool

  public init(
    segmentation: Bool = false, segmentationTies: SegmentationTies = .fix, minValue: Double? = nil, rampEdge: Int = 5,
    minSpacing: Double? = nil, outputType: OutputType = .scalar(.float64), grid: GridRule = .tptbox,
    cropToOccupancy: Bool = false, kickOutContained: Bool = true
  ) {
    self.segmentation = segmentation
    self.segmentationTies = segmentationTies
    self.minValue = minValue
    self.rampEdge = rampEdge
    self.minSpacing = minSpacing
    self.outputType = outputType
    self.grid = grid
    self.cropToOccupancy = cropToOccupancy
    self.kickOutContained = kickOutContained
  }

  /// The background used as cval: `minValue`, or 0 (segmentations always 0).
  var background: Double { segmentation ? 0 : (minValue ?? 0) }
}

/// One input station: its voxels as stored (or scaled), and whether the file had a scaling
/// (`scl_slope`/`scl_inter` not 1/0), which `OutputType.auto` needs.
public struct StitchStation: Sendable {
  public var volume: AnyVolume
  public var hasScaling: Bool
  /// How messages name the station (its path).
  public var name: String

  public init(volume: AnyVolume, hasScaling: Bool = false, name: String) {
    self.volume = volume
    self.hasScaling = hasScaling
    self.name = name
  }
}

/// Why stitching failed.
public struct StitchError: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Code: String, Sendable, CaseIterable {
    /// Fewer than two stations (given, or left after kick-out).
    case tooFewStations
    /// A station is not a single 3-D volume, or its affine is singular / not finite.
    case invalidStation
    /// The output grid is empty or larger than `ResamplingLimits.maxVoxels`.
    case invalidGrid
    /// An option is out of range.
    case invalidOption
  }

  public var code: Code
  public var message: String
  /// The station's name, when one is at fault.
  public var station: String?

  public init(_ code: Code, _ message: String, station: String? = nil) {
    self.code = code
    self.message = message
    self.station = station
  }

  public var description: String { station.map { "\($0): \(message)" } ?? message }
}
