import Foundation
import InferenceEngine
import NNUNetRuntime
import NiftiIO
import VolumeCore
import VolumeTransforms

/// `vibeseg predict`: one case through an nnU-Net model folder, from channel files to a label map
/// file (and optionally a probability file), both written atomically on the first channel's grid.
public struct PredictionJob {
  /// A model folder or a dataset folder holding one; see `model`.
  public var modelFolder: URL
  /// When set, what the user named (folder, dataset folder or id), resolved by `locator` after
  /// the outputs are checked; `modelFolder` is then ignored.
  public var model: String?
  public var locator = ModelLocator(zoo: nil, allowDownload: false)
  public var inputs: [URL]
  public var output: URL
  public var probabilitiesOutput: URL?
  public var folds: [String]?
  public var checkpoint: CheckpointName = .final
  public var options = PredictionOptions()
  public var threads = 2
  /// Told what starts next (loading the model, reading, predicting, writing), for progress lines.
  public var progress: ((String) -> Void)? = nil

  public init(modelFolder: URL, inputs: [URL], output: URL) {
    self.modelFolder = modelFolder
    self.inputs = inputs
    self.output = output
  }

  /// Replace existing outputs; without it an existing output is an error (nothing is written).
  public var overwrite = false

  /// The label map and the probability file, checked before the model is loaded (`OutputTransaction`:
  /// folders writable, no output is an input, existing outputs only with `overwrite`).
  public func outputs() throws -> OutputTransaction {
    try OutputTransaction(outputs: [output] + (probabilitiesOutput.map { [$0] } ?? []), inputs: inputs, overwrite: overwrite)
  }

  /// The model the job names, every fold's network built (`run(using:)` takes it, so a folder of
  /// cases loads it once). Warnings: folds left out.
  public func loadModel() throws -> (LoadedModel, [String]) {
    let modelFolder = try model.map { try locator.folder(for: $0) } ?? self.modelFolder
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: modelFolder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw PlansError(.missingFile, "model folder not found", path: modelFolder.path)
    }
    let bundle = try ModelBundle(directory: ModelLocator.modelFolder(in: modelFolder), folds: folds, checkpoint: checkpoint)
    progress?("loading \(bundle.directory.lastPathComponent) (\(bundle.folds.count) fold(s))")
    return (try LoadedModel(bundle: bundle, threads: threads), bundle.warnings)
  }

  /// A case's channels, read and checked (`read`): what `predict` and `batch --task predict` hand
  /// to `compute`.
  public struct Channels: @unchecked Sendable {
    /// The first channel's image (its header and grid are the outputs').
    public var first: NiftiImage
    /// Every channel as float (slope/intercept applied), channel order.
    public var volumes: [Volume<Float>]
    public var warnings: [String]
  }

  /// What `compute` made for one case, still in memory.
  public struct Product: @unchecked Sendable {
    /// The label map in the smallest integer type, units and form codes from the first channel.
    public var labelMap: NiftiImage
    public var labels: Volume<UInt16>
    /// Class probabilities (4-D float32) when they were asked for.
    public var probabilities: NiftiImage?
  }

  /// Reads a case's channel files (`ImageInput.readVolume`: one finite 3-D volume each) and checks
  /// them against the model (count, shapes, grids).
  public static func read(_ inputs: [URL], expectedChannels: Int) throws -> Channels {
    let read = try inputs.map { try ImageInput.readVolume($0, warnIdentityAffine: false) }
    let volumes = read.map { $0.image.scaledVolume(as: Float.self) }
    try Predictor.checkChannels(volumes, names: inputs.map(\.path), expected: expectedChannels)
    return Channels(first: read[0].image, volumes: volumes, warnings: read.flatMap(\.warnings))
  }

  /// The per-case computation of `predict` and `batch --task predict`: nnU-Net's prediction on
  /// `channels` (consumed), the label map (and probabilities) with the first channel's headers.
  public static func compute(
    _ channels: consuming Channels, model: LoadedModel, options: PredictionOptions, source: String
  ) throws -> Product {
    let header = channels.first.header
    let prediction: Prediction
    do {
      prediction = try model.predictor(options: options).predict(channels.volumes)
    } catch let error as ResamplingError {
      throw error.naming(source)
    }
    func withHeader(_ image: NiftiImage) -> NiftiImage {
      var image = image
      image.header.xyztUnits = header.xyztUnits
      image.header.sformCode = header.sformCode
      image.header.qformCode = header.qformCode
      return image
    }
    return Product(
      labelMap: withHeader(NiftiImage.labelMap(prediction.labels)), labels: prediction.labels,
      probabilities: prediction.probabilities.map { withHeader(NiftiImage($0)) })
  }

  /// Runs the job, on `loaded` when given (else the model is loaded after the outputs are
  /// checked); returns warnings for the user. Both outputs are published together at the end.
  public func run(using loaded: LoadedModel? = nil) throws -> [String] {
    let outputs = try self.outputs()
    let (model, modelWarnings) = try loaded.map { ($0, []) } ?? loadModel()
    progress?("reading \(inputs.map(\.lastPathComponent).joined(separator: ", "))")
    let channels = try Self.read(inputs, expectedChannels: model.bundle.dataset.channelNames.count)
    let warnings = outputs.notes + modelWarnings + channels.warnings
    var options = self.options
    options.saveProbabilities = probabilitiesOutput != nil
    progress?("predicting (\(model.bundle.folds.count) fold(s), \(options.mirroring && model.mirrorAxes?.isEmpty == false ? "mirroring" : "no mirroring"))")
    let product = try Self.compute(channels, model: model, options: options, source: inputs[0].path)
    progress?(Self.memorySummary(model))
    if let probabilitiesOutput, let probabilities = product.probabilities {
      try probabilities.write(to: probabilitiesOutput, in: outputs)
    }
    progress?("writing \(output.lastPathComponent)")
    try product.labelMap.write(to: output, in: outputs)
    try outputs.commit()
    return warnings
  }

  /// `memory: weights W MB, activations A MB per fold set, peak resident P MB` (MB = 10^6 bytes):
  /// the networks' prepared weights, the activation buffers of the plans (shared by the folds),
  /// and the process's high-water mark so far (the sliding window's accumulators and the images
  /// make up most of the rest).
  static func memorySummary(_ model: LoadedModel) -> String {
    let weights = model.networks.reduce(0) { $0 + $1.preparedWeightBytes }
    let activations = model.networks.first?.heldActivationBytes ?? 0
    return "memory: weights \(weights / 1_000_000) MB, activations \(activations / 1_000_000) MB, peak resident \(PeakMemory.residentBytes / 1_000_000) MB"
  }
}
