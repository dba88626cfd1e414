import Foundation
import NNUNetRuntime
import NiftiIO
import VolumeCore
import VolumeTransforms

/// `vibeseg predict`: one case through an nnU-Net model folder, from channel files to a label map
/// file (and optionally a probability file), both written atomically on the first channel's grid.
public struct PredictionJob {
  public var modelFolder: URL
  public var inputs: [URL]
  public var output: URL
  public var probabilitiesOutput: URL?
  public var folds: [String]?
  public var checkpoint: CheckpointName = .final
  public var options = PredictionOptions()
  public var threads = 2

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

  /// Runs the job; returns warnings for the user. Both outputs are published together at the end.
  public func run() throws -> [String] {
    let outputs = try self.outputs()
    // A `<Trainer>__<Plans>__<configuration>` folder, or a dataset folder holding exactly one
    // (the forms `segment --model FOLDER` accepts).
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: modelFolder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw PlansError(.missingFile, "model folder not found", path: modelFolder.path)
    }
    let bundle = try ModelBundle(directory: ModelLocator.modelFolder(in: modelFolder), folds: folds, checkpoint: checkpoint)
    var warnings = outputs.notes + bundle.warnings
    // Each file's stored array is dropped once it is scaled to float (only its header is kept),
    // and the float channels are handed to the predictor, which drops them once preprocessed.
    var header: NiftiHeader? = nil
    var channels: [Volume<Float>] = []
    for url in inputs {
      let image = try NiftiImage(contentsOf: url)
      warnings += image.warnings.map { "\(url.path): \($0)" }
      guard image.volume.channelCount == 1 else {
        throw NiftiError(.unsupported, "\(image.volume.channelCount) volumes in one file; give each channel as its own 3-D file", path: url.path, field: "dim[4]")
      }
      try SegmentJob.requireFiniteVoxels(image, url)
      if header == nil { header = image.header }
      channels.append(image.scaledVolume(as: Float.self))
    }
    try Predictor.checkChannels(channels, names: inputs.map(\.path), expected: bundle.dataset.channelNames.count)
    var options = self.options
    options.saveProbabilities = probabilitiesOutput != nil
    let model = try LoadedModel(bundle: bundle, threads: threads)
    let prediction: Prediction
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
    var labels = NiftiImage.labelMap(prediction.labels)
    labels.header.xyztUnits = header!.xyztUnits
    labels.header.sformCode = header!.sformCode
    labels.header.qformCode = header!.qformCode
    try labels.write(to: output, in: outputs)
    try outputs.commit()
    return warnings
  }
}
