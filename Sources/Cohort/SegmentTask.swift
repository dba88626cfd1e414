import Foundation
import ModelZoo
import NNUNetRuntime
import NiftiIO
import VibeSegKit
import VolumeCore

/// `--task segment` and `--task spine`: TotalVibeSegmentator's pipeline (`SegmentationPipeline`)
/// on every case, the model (and its ROI model when cascaded) loaded once — each case's label map
/// byte-identical to `vibeseg segment` (or `vibeseg spine`) on that image.
///
/// `--model` is an id resolved through the model zoo (default 100, for spine 511) or a model
/// folder; a cascaded model's ROI model is `--roi-model` when given, else resolved by the id its
/// `dataset.json` names.
public class SegmentTask: CohortTask, @unchecked Sendable {
  public class var kind: String { "segment" }
  public let fingerprint: [String: String]
  public let modelLabel: String?
  let options: CohortTaskOptions
  let folder: URL
  let roiFolder: URL?
  let spineModel: SpineModel?
  var pipeline: SegmentationPipeline?
  var labelNames: [Int: String] = [:]

  public convenience init(_ options: CohortTaskOptions) throws {
    try self.init(options, spine: nil)
  }

  init(_ options: CohortTaskOptions, spine: SpineModel?) throws {
    self.options = options
    spineModel = spine
    let name = options.model ?? (spine.map { String($0.rawValue) } ?? "100")
    let cascade = try CascadeFolders(name, options: options)
    folder = cascade.folder
    roiFolder = cascade.roiFolder
    var fingerprint = cascade.fingerprint
    fingerprint["step_size"] = "\(options.stepSize)"
    fingerprint["padding"] = "\(options.padding)"
    fingerprint["pipeline"] = spine.map { "spine-\($0.rawValue)" } ?? "segment"
    self.fingerprint = fingerprint
    modelLabel = cascade.modelLabel
  }

  public func prepare() throws {
    guard pipeline == nil else { return }
    let model = try TotalVibeModel(folder: folder, folds: options.folds, threads: options.threads)
    let roi = try roiFolder.map { try TotalVibeModel(folder: $0, threads: options.threads) }
    var segmentation = SegmentationOptions()
    segmentation.stepSize = options.stepSize
    segmentation.padding = options.padding
    pipeline = try SegmentationPipeline(model: model, roiModel: roi, options: segmentation)
    labelNames = spineModel?.outputNames(modelNames: model.labelNames) ?? model.labelNames
  }

  public func load(_ item: CohortCase) throws -> SegmentInput {
    guard item.inputs.count == 1 else {
      throw BatchError(.invalidArgument, "--task \(Self.kind) takes one image per case, this case has \(item.inputs.count)")
    }
    let (image, volume, warnings) = try SegmentJob.readImage(item.inputs[0])
    return SegmentInput(image: image, volume: volume, warnings: warnings)
  }

  public func run(_ item: CohortCase, _ input: SegmentInput) throws -> CaseProducts {
    try prepare()
    var labels = try pipeline!.segment(input.volume)
    if let spineModel { labels.voxels = spineModel.mapped(labels.voxels) }
    return CaseProducts(
      labelMap: SegmentJob.labelImage(labels, like: input.image), labels: labels.converted(to: UInt16.self),
      background: input.image, labelNames: labelNames, warnings: input.warnings)
  }
}

/// `--task spine`: `SegmentTask` with upstream's spine relabelling (model 511 by default).
public final class SpineTask: SegmentTask, @unchecked Sendable {
  public override class var kind: String { "spine" }

  public convenience init(_ options: CohortTaskOptions) throws {
    let id = options.model.flatMap(Int.init) ?? 511
    try self.init(options, spine: SpineModel(rawValue: id) ?? .instances)
  }
}

/// A TotalVibeSegmentator model folder and, when it is cascaded, its ROI model's folder, as
/// `--model` and `--roi-model` name them (`segment`, `spine`, `combine`), with their identities.
struct CascadeFolders {
  var folder: URL
  var roiFolder: URL?
  /// `model_sha256` (dataset.json, plans.json, each fold's checkpoint), `roi_model_sha256` for a
  /// cascaded model, `folds`.
  var fingerprint: [String: String]
  /// The BIDS `seg-` value: the model id (three digits) or the dataset folder's name.
  var modelLabel: String

  /// Resolves `name` (an id through `options.modelResolver`, or a folder); for a cascaded model
  /// the ROI model is `options.roiModel` when given, else the id its `dataset.json` names.
  ///
  /// - Throws: `ModelZooError.unknownModel` (not installed, no such folder), `PlansError`.
  init(_ name: String, options: CohortTaskOptions) throws {
    let folder = try PredictTask.resolveFolder(name, resolver: options.modelResolver)
    self.folder = folder
    let bundle = try ModelBundle(directory: folder, folds: options.folds, rule: .tptbox)
    let files = ["dataset.json", "plans.json"].map { folder.appendingPathComponent($0) } + bundle.folds.map(\.url)
    var fingerprint = [String: String]()
    if let id = bundle.dataset.roi {
      let roi: URL
      if let roiName = options.roiModel {
        roi = try PredictTask.resolveFolder(roiName, resolver: options.modelResolver)
      } else {
        guard let resolver = options.modelResolver, let found = try resolver(id) else {
          throw ModelZooError(
            .unknownModel,
            "the model is cascaded on model \(id), which is not installed (vibeseg models download \(id), or --roi-model FOLDER)",
            path: folder.path)
        }
        roi = found
      }
      let roiBundle = try ModelBundle(directory: roi, rule: .tptbox)
      fingerprint["roi_model_sha256"] = try ModelFingerprint.sha256(
        of: ["dataset.json", "plans.json"].map { roi.appendingPathComponent($0) } + roiBundle.folds.map(\.url),
        relativeTo: roi)
      roiFolder = roi
    } else {
      roiFolder = nil
    }
    fingerprint["model_sha256"] = try ModelFingerprint.sha256(of: files, relativeTo: folder)
    fingerprint["folds"] = bundle.folds.map { "\($0.fold):\($0.name.rawValue)" }.joined(separator: ",")
    self.fingerprint = fingerprint
    modelLabel = OutputLayout.bidsLabel(
      Int(name).map { String(format: "%03d", $0) } ?? folder.deletingLastPathComponent().lastPathComponent)
  }
}

/// A case read for `SegmentTask`.
public struct SegmentInput: @unchecked Sendable {
  public var image: NiftiImage
  public var volume: AnyVolume
  public var warnings: [String]
}
