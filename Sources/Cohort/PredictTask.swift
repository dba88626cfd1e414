import Foundation
import ModelZoo
import NNUNetRuntime
import VibeSegKit
import NiftiIO
import VolumeCore

/// `--task predict`: an nnU-Net v2 model folder on every case, as `vibeseg predict` does for one
/// (`PredictionJob`): same per-case steps, same header fields copied from channel 0, so a batch
/// output is byte-identical to `vibeseg predict` on that case.
///
/// The model folder and its folds are opened in `init` (cheap: JSON and file names); the weights
/// are loaded once in `prepare()` (`LoadedModel`).
public final class PredictTask: CohortTask, @unchecked Sendable {
  public static let kind = "predict"
  public let bundle: ModelBundle
  public let fingerprint: [String: String]
  public let modelLabel: String?
  /// Label names from `dataset.json` (plain labels; region entries are not named).
  public let labelNames: [Int: String]
  let options: CohortTaskOptions
  var model: LoadedModel?

  /// Opens the model folder named by `options.model`. A folder without `plans.json` that holds
  /// exactly one `<Trainer>__<Plans>__<configuration>` folder is entered.
  ///
  /// - Throws: `BatchError.invalidArgument` without `--model`, `VibeSegKitError.modelUnavailable`
  ///   from `ModelLocator` (not a model, not installed), `PlansError` for an unusable folder.
  public init(_ options: CohortTaskOptions) throws {
    guard let name = options.model else {
      throw BatchError(.invalidArgument, "--task predict needs --model FOLDER (an nnU-Net v2 model folder)")
    }
    let folder = try options.modelLocator.folder(for: name)
    guard let checkpoint = CheckpointName(rawValue: "checkpoint_\(options.checkpoint).pth") else {
      throw BatchError(.invalidArgument, "--checkpoint must be final or best, not '\(options.checkpoint)'")
    }
    bundle = try ModelBundle(directory: folder, folds: options.folds, checkpoint: checkpoint)
    self.options = options
    fingerprint = [
      "model_sha256": try ModelFingerprint.sha256(of: bundle),
      "folds": bundle.foldLabels.joined(separator: ","),
      "step_size": "\(options.stepSize)",
      "mirroring": "\(options.mirroring)",
    ]
    let datasetName = folder.deletingLastPathComponent().lastPathComponent
    modelLabel = OutputLayout.bidsLabel(datasetName)
    var names = [Int: String]()
    for (name, value) in bundle.dataset.labels {
      if case .label(let id) = value, id != 0 { names[id] = name }
    }
    labelNames = names
  }

  public func prepare() throws {
    if model == nil { model = try LoadedModel(bundle: bundle, threads: options.threads) }
  }

  /// Reads the channel files (`PredictionJob.read`, as `vibeseg predict`); the float conversion
  /// happens here too, off the main thread.
  public func load(_ item: CohortCase) throws -> PredictionJob.Channels {
    try PredictionJob.read(item.inputs, expectedChannels: bundle.dataset.channelNames.count)
  }

  /// `PredictionJob.compute`, the computation `vibeseg predict` runs: the same label map, byte for byte.
  public func run(_ item: CohortCase, _ input: PredictionJob.Channels) throws -> CaseProducts {
    try prepare()
    var prediction = PredictionOptions()
    prediction.stepSize = options.stepSize
    prediction.mirroring = options.mirroring
    let first = input.first
    let warnings = input.warnings
    let product = try PredictionJob.compute(input, model: model!, options: prediction, source: item.inputs[0].path)
    return CaseProducts(
      labelMap: product.labelMap, labels: product.labels, background: first, labelNames: labelNames, warnings: warnings)
  }
}
