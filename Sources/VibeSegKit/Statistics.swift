import Morphology

/// Summary of the values of one image inside one label.
public struct IntensitySummary: Sendable, Codable, Equatable {
  /// Values summarised (finite values inside the label).
  public var count: Int
  /// NaN or infinite values inside the label, left out of every figure below.
  public var nonFiniteCount: Int
  public var mean: Double?
  /// Population standard deviation (NumPy `np.std`, ddof 0).
  public var standardDeviation: Double?
  /// `np.median`.
  public var median: Double?
  /// `np.percentile(values, 5)` and `(…, 95)`, linear interpolation.
  public var percentile5: Double?
  public var percentile95: Double?

  public init(count: Int = 0, nonFiniteCount: Int = 0) {
    self.count = count
    self.nonFiniteCount = nonFiniteCount
  }
}

/// Fat-fraction summary of one label: `IntensitySummary` of `F/(W+F)` over the voxels that pass
/// the signal guard, plus how many did not.
public struct FatFractionSummary: Sendable, Codable, Equatable {
  public var fatFraction: IntensitySummary
  /// Voxels of the label where `W + F <= minimumSignal` (or either is not finite): no fraction.
  public var excludedVoxels: Int
}

/// Everything `vibeseg stats` reports about one label.
public struct LabelStatistics: Sendable, Codable, Equatable {
  public var id: Int
  public var name: String
  public var voxelCount: Int
  public var volumeMilliliters: Double
  /// Mean world position (mm, RAS+) of the label's voxel centres; nil when empty.
  public var centroidMillimeters: [Double]?
  /// Voxel index bounds (i, j, k, inclusive); nil when empty.
  public var boundingBox: VoxelBox?
  /// Whether the label reaches the first or last slice on any axis: the structure may be cut off
  /// by the field of view, so its volume is a lower bound.
  public var touchesBorder: Bool
  /// Per `--image NAME`.
  public var intensities: [String: IntensitySummary]
  public var fatFraction: FatFractionSummary?
}

/// Body-composition volumes of one vertebral level (or of the whole image).
public struct TissueVolumes: Sendable, Codable, Equatable {
  public var subcutaneousFatMilliliters = 0.0
  public var innerFatMilliliters = 0.0
  public var skeletalMuscleMilliliters = 0.0

  public init() {}

  subscript(tissue: StatisticsLabelRegistry.Tissue) -> Double {
    get {
      switch tissue {
      case .subcutaneousFat: subcutaneousFatMilliliters
      case .innerFat: innerFatMilliliters
      case .skeletalMuscle: skeletalMuscleMilliliters
      }
    }
    set {
      switch tissue {
      case .subcutaneousFat: subcutaneousFatMilliliters = newValue
      case .innerFat: innerFatMilliliters = newValue
      case .skeletalMuscle: skeletalMuscleMilliliters = newValue
      }
    }
  }
}

/// Body composition at one vertebra: the tissue inside the slab of world-superior coordinates that
/// the vertebra spans.
public struct VertebralLevel: Sendable, Codable, Equatable {
  /// `L3`, `T12`, ...
  public var name: String
  /// Lowest and highest world z (mm, RAS+ superior) of the vertebra's voxel centres.
  public var inferiorMillimeters: Double
  public var superiorMillimeters: Double
  public var volumes: TissueVolumes
}

/// Subcutaneous fat, inner (visceral) fat and skeletal muscle volumes, total and per level.
public struct BodyComposition: Sendable, Codable, Equatable {
  /// Label ids counted as each tissue (`StatisticsLabelRegistry.tissue(ofLabelNamed:)`).
  public var labels: [String: [Int]]
  public var total: TissueVolumes
  /// Levels from the spine map or from `vertebrae_*` labels, superior to inferior; empty without.
  public var levels: [VertebralLevel]
  /// Where the levels came from: `spine map`, `segmentation labels`, or nil.
  public var levelSource: String?
}

/// The report of `vibeseg stats` (JSON schemaVersion 1).
public struct StatisticsReport: Sendable, Codable, Equatable {
  public var schemaVersion = 1
  public var segmentation: String
  public var shape: [Int]
  public var spacingMillimeters: [Double]
  public var voxelVolumeCubicMillimeters: Double
  /// Names of the `--image` inputs, in order.
  public var images: [String]
  /// `W + F` must exceed this for a voxel to get a fat fraction (nil without water/fat images).
  public var fatFractionMinimumSignal: Double?
  public var labels: [LabelStatistics]
  public var bodyComposition: BodyComposition?
  public var warnings: [String]
}
