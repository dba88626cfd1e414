import Foundation
import InferenceEngine
import TorchCheckpoint

/// A model folder with every fold's network built and its weights bound strictly.
///
/// As nnU-Net's `initialize_from_trained_model_folder`: the first fold's checkpoint supplies
/// `trainer_name`, `init_args.configuration` and `inference_allowed_mirroring_axes`; every fold
/// supplies `network_weights`.
public struct LoadedModel {
  public var bundle: ModelBundle
  public var networks: [UNet]
  public var trainerName: String?
  public var mirrorAxes: [Int]?
  /// Trainable parameters of one fold's network (duplicates `all_modules.*`, `decoder.encoder.*`
  /// not counted), as `sum(p.numel() for p in network.parameters())`.
  public var parameterCount: Int
  /// Storage type of the first fold's weights ("float32", "float16", ...).
  public var weightType: String

  /// `convolutionAlgorithm`: nil takes `VIBESEG_CONV` (`ConvolutionAlgorithm.fromEnvironment`).
  public init(
    bundle: ModelBundle, threads: Int = 2, chunkingThreshold: Int = UNet.Options().chunkingThreshold,
    convolutionAlgorithm: ConvolutionAlgorithm? = nil
  ) throws {
    let algorithm = try convolutionAlgorithm ?? ConvolutionAlgorithm.fromEnvironment()
    var bundle = bundle
    var networks = [UNet]()
    var trainer: String? = nil
    var axes: [Int]? = nil
    var parameters = 0
    var weightType = ""
    // The folds run one after another on each tile: one set of activation buffers serves them all.
    let arena = ActivationArena()
    for (n, fold) in bundle.folds.enumerated() {
      let checkpoint = try TorchCheckpoint(contentsOf: fold.url)
      let weights = try checkpoint.networkWeights
      if n == 0 {
        trainer = checkpoint.trainerName
        axes = checkpoint.inferenceAllowedMirroringAxes
        if let name = checkpoint.initArgs?.configuration, name != bundle.configurationName {
          bundle.configuration = try bundle.plans.configuration(name, path: bundle.directory.appendingPathComponent("plans.json").path)
          bundle.configurationName = name
        }
        parameters = weights.tensors.filter { Self.isParameter($0.key) }.reduce(0) { $0 + $1.elementCount }
        weightType = weights.tensors.first.map { "\($0.dtype)" } ?? ""
      }
      let spec = try bundle.configuration.architecture.engineSpec(
        inputChannels: bundle.dataset.channelNames.count, numClasses: bundle.labels.segmentationHeadCount)
      do {
        networks.append(
          try UNet(spec: spec, weights: try CheckpointWeights(weights), options: .init(threads: threads, chunkingThreshold: chunkingThreshold, convolutionAlgorithm: algorithm),
            arena: arena))
      } catch let error as EngineError {
        throw PlansError(.invalidField, "\(error.message)", path: fold.url.path, field: error.key)
      }
    }
    self.bundle = bundle
    self.networks = networks
    self.trainerName = trainer
    self.mirrorAxes = axes
    self.parameterCount = parameters
    self.weightType = weightType
  }

  /// State-dict keys that are registered twice in dynamic_network_architectures' modules.
  static func isParameter(_ key: String) -> Bool {
    !(key.hasPrefix("all_modules.") || key.contains(".all_modules.") || key.hasPrefix("decoder.encoder."))
  }

  /// A predictor over all folds; its `threads` are the networks' thread count.
  public func predictor(options: PredictionOptions = PredictionOptions()) -> Predictor {
    var options = options
    if let threads = networks.first?.options.threads { options.threads = threads }
    return Predictor(bundle: bundle, networks: networks, mirrorAxes: mirrorAxes, options: options)
  }
}

/// A checkpoint's state dict as the engine's weight source; tensors are converted to float32
/// (exactly, from float16/bfloat16/float64) once, up front, so that read errors surface here.
struct CheckpointWeights: WeightSource {
  private var weights: InMemoryWeights

  init(_ dict: StateDict) throws {
    var entries = [(key: String, shape: [Int], values: [Float])]()
    for tensor in dict.tensors {
      entries.append((tensor.key, tensor.shape, try tensor.floats()))
    }
    weights = InMemoryWeights(entries)
  }

  var keys: [String] { weights.keys }
  func tensor(named key: String) -> (shape: [Int], values: [Float])? { weights.tensor(named: key) }
}

extension UNet: TileNetwork {
  public var inputChannelCount: Int { spec.inputChannels }
  public var outputChannelCount: Int { spec.numClasses }
  public func logits(forTile tile: [Float], shape: [Int]) throws -> [Float] {
    try forward(input: tile, shape: shape)
  }
  public func logits(forTile tile: [Float], shape: [Int], into output: inout [Float]) throws {
    try forward(input: tile, shape: shape, into: &output)
  }
  /// The plan for the sliding window's one tile shape, then no plain weights: those kept for
  /// layers prepared for Winograd only (in case a later plan ran them directly) would cost
  /// ResEnc-L ~110 MB for nothing.
  public func prepareForTiles(shape: [Int]) throws {
    try prepare(shape: shape)
    releasePlainWeights()
  }
  /// Straight from the head's buffer, 16 classes per slice: no K-class array exists.
  public func logits(forTile tile: [Float], shape: [Int], slices consume: (LogitSlice) throws -> Void) throws {
    try forward(input: tile, shape: shape, slices: consume)
  }
}

extension NetworkArchitecture {
  /// The engine's description of this network.
  public func engineSpec(inputChannels: Int, numClasses: Int) throws -> ArchitectureSpec {
    guard dimension == 3 else {
      throw PlansError(.unsupported, "2-D networks are not supported yet", path: "plans.json")
    }
    return ArchitectureSpec(
      network: kind == .plainConvUNet ? .plainConvUNet : .residualEncoderUNet, inputChannels: inputChannels,
      numClasses: numClasses, featuresPerStage: featuresPerStage, kernelSizes: kernelSizes, strides: strides,
      encoderDepthPerStage: encoderDepthPerStage, decoderConvsPerStage: convsPerDecoderStage, convBias: convBias,
      normalization: .init(epsilon: normEpsilon, affine: normAffine), nonlinearity: .init(negativeSlope: negativeSlope))
  }
}
