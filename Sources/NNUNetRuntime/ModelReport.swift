/// What `vibeseg model-info` reports about a model folder (JSON schemaVersion 1).
public struct ModelReport: Encodable, Sendable {
  public struct Architecture: Encodable, Sendable {
    public var networkClass: String
    public var stages: Int
    public var featuresPerStage: [Int]
    public var kernelSizes: [[Int]]
    public var strides: [[Int]]
    /// Convolutions (PlainConvUNet) or residual blocks (ResidualEncoderUNet) per encoder stage.
    public var encoderDepthPerStage: [Int]
    public var convsPerDecoderStage: [Int]
    public var convBias: Bool
    public var normEpsilon: Double
    public var negativeSlope: Double
  }
  public struct Channel: Encodable, Sendable {
    public var index: Int
    public var name: String
    public var normalization: String
    public var useMaskForNorm: Bool
  }
  public struct Fold: Encodable, Sendable {
    public var fold: String
    public var checkpoint: String
  }

  public var schemaVersion = 1
  public var folder: String
  public var trainer: String?
  public var plans: String
  public var configuration: String
  public var architecture: Architecture
  public var patchSize: [Int]
  public var spacing: [Double]
  public var transposeForward: [Int]
  public var transposeBackward: [Int]
  public var channels: [Channel]
  public var labels: [String: [Int]]
  public var segmentationHeads: Int
  public var ignoreLabel: Int?
  public var hasRegions: Bool
  public var folds: [Fold]
  public var parameterCount: Int
  public var mirroringAxes: [Int]?
  public var weightType: String
  public var orientation: String?
  public var warnings: [String]

  public init(_ model: LoadedModel) {
    let b = model.bundle, c = b.configuration, a = c.architecture
    folder = b.directory.path
    trainer = model.trainerName ?? b.trainerName
    plans = b.plans.plansName
    configuration = b.configurationName
    architecture = Architecture(networkClass: a.className, stages: a.stageCount, featuresPerStage: a.featuresPerStage,
      kernelSizes: a.kernelSizes, strides: a.strides, encoderDepthPerStage: a.encoderDepthPerStage,
      convsPerDecoderStage: a.convsPerDecoderStage, convBias: a.convBias, normEpsilon: a.normEpsilon, negativeSlope: a.negativeSlope)
    patchSize = c.patchSize
    spacing = c.spacing
    transposeForward = b.plans.transposeForward
    transposeBackward = b.plans.transposeBackward
    channels = b.dataset.channelNames.enumerated().map {
      Channel(index: $0.offset, name: $0.element, normalization: c.normalizationSchemes[$0.offset].rawValue, useMaskForNorm: c.useMaskForNorm[$0.offset])
    }
    labels = Dictionary(b.dataset.labels.map { ($0.name, $0.value.values) }, uniquingKeysWith: { a, _ in a })
    segmentationHeads = b.labels.segmentationHeadCount
    ignoreLabel = b.labels.ignoreLabel
    hasRegions = b.labels.hasRegions
    folds = b.folds.map { Fold(fold: $0.fold, checkpoint: $0.url.path) }
    parameterCount = model.parameterCount
    mirroringAxes = model.mirrorAxes
    weightType = model.weightType
    orientation = b.dataset.orientation
    warnings = b.warnings
  }

  /// Human-readable lines.
  public var text: String {
    var lines = [
      "folder:        \(folder)",
      "trainer:       \(trainer ?? "?")   plans: \(plans)   configuration: \(configuration)",
      "network:       \(architecture.networkClass.split(separator: ".").last ?? "")  \(architecture.stages) stages, features \(architecture.featuresPerStage)",
      "kernels:       \(architecture.kernelSizes)",
      "strides:       \(architecture.strides)",
      "encoder depth: \(architecture.encoderDepthPerStage)   decoder convs: \(architecture.convsPerDecoderStage)",
      "patch size:    \(patchSize)   spacing: \(spacing) mm   transpose: \(transposeForward) / \(transposeBackward)",
    ]
    lines += channels.map { "channel \($0.index):     \($0.name) (\($0.normalization)\($0.useMaskForNorm ? ", masked" : ""))" }
    lines.append("labels:        \(segmentationHeads) output channels\(ignoreLabel.map { ", ignore label \($0)" } ?? "")\(hasRegions ? ", region-based" : "")")
    lines.append("folds:         \(folds.map { "\($0.fold) (\($0.checkpoint.split(separator: "/").last ?? ""))" }.joined(separator: ", "))")
    lines.append("parameters:    \(parameterCount) (\(weightType))   mirroring axes: \(mirroringAxes.map { "\($0)" } ?? "none")")
    lines += warnings.map { "warning:       \($0)" }
    return lines.joined(separator: "\n")
  }
}
