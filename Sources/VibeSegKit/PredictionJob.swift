import Foundation
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

  /// Runs the job, on `loaded` when given (else the model is loaded after the outputs are
  /// checked); returns warnings for the user. Both outputs are published together at the end.
  public func run(using loaded: LoadedModel? = nil) throws -> [String] {
    let outputs = try self.outputs()
    let (model, modelWarnings) = try loaded.map { ($0, []) } ?? loadModel()
    let bundle = model.bundle
    var warnings = outputs.notes + modelWarnings
    // Each file's stored array is dropped once it is scaled to float (only its header is kept),
    // and the float channels are handed to the predictor, which drops them once preprocessed.
    var header: NiftiHeader? = nil
    var channels: [Volume<Float>] = []
    progress?("reading \(inputs.map(\.lastPathComponent).joined(separator: ", "))")
    for url in inputs {
      let input = try ImageInput.readVolume(url, warnIdentityAffine: false)
      let image = input.image
      warnings += input.warnings
      if header == nil { header = image.header }
      channels.append(image.scaledVolume(as: Float.self))
    }
    try Predictor.checkChannels(channels, names: inputs.map(\.path), expected: bundle.dataset.channelNames.count)
    var options = self.options
    options.saveProbabilities = probabilitiesOutput != nil
    let prediction: Prediction
    progress?("predicting (\(bundle.folds.count) fold(s), \(options.mirroring && model.mirrorAxes?.isEmpty == false ? "mirroring" : "no mirroring"))")
    do {
      prediction = try model.predictor(options: options).predict(consume channels)
    } catch let error as ResamplingError {
      throw error.naming(inputs[0].path)
    }
    if let probabilitiesOutput, let probabilities = prediction.probabilities {
      var image = NiftiImage(probabilities)
      image.header.xyztUnits = header!.xyztUnits
      image.header.sformCode = header!.sformCode
      image.header.qformCode = header!.qformCode
      try image.write(to: probabilitiesOutput, in: outputs)
    }
    progress?("writing \(output.lastPathComponent)")
    var labels = NiftiImage.labelMap(prediction.labels)
    labels.header.xyztUnits = header!.xyztUnits
    labels.header.sformCode = header!.sformCode
    labels.header.qformCode = header!.qformCode
    try labels.write(to: output, in: outputs)
    try outputs.commit()
    return warnings
  }
}
