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
  /// `<id>.json`, the sidecar `vibeseg segment` writes beside its map (same bytes).
  public static let sidecarRole = OutputRole.extra("json")
  /// `<id>.seg.dcm` with `--output-type both` (segment only).
  public static let dicomSegRole = OutputRole.extra("seg.dcm")
  /// The sidecar, and with `--split-masks` one `<id>.mask-<name>.nii.gz` per kept structure.
  public let extraRoles: [OutputRole]
  let options: CohortTaskOptions
  let folder: URL
  let roiFolder: URL?
  let spineModel: SpineModel?
  /// `--model` as given (default "100", for spine the model id): the sidecar's `model`.
  let modelName: String
  /// The output's label names (after a spine relabelling) and the ids `--roi-subset` keeps.
  let labelNames: [Int: String]
  let keep: Set<Int>?
  var pipeline: SegmentationPipeline?

  public convenience init(_ options: CohortTaskOptions) throws {
    try self.init(options, spine: nil)
  }

  init(_ options: CohortTaskOptions, spine: SpineModel?) throws {
    self.options = options
    spineModel = spine
    let name = options.model ?? String(spine?.rawValue ?? ModelCatalogEntry.defaultWholeBody)
    modelName = name
    let cascade = try CascadeFolders(name, options: options)
    folder = cascade.folder
    roiFolder = cascade.roiFolder
    let names = spine?.outputNames(modelNames: cascade.structureNames) ?? cascade.structureNames
    labelNames = names
    let keep = try SegmentJob.subsetIDs(options.roiSubset, names: names)
    self.keep = keep
    var roles = [Self.sidecarRole]
    if options.splitMasks {
      roles += names.sorted { $0.key < $1.key }.filter { keep?.contains($0.key) ?? true }.map { .extra("mask-\($0.value).nii.gz") }
    }
    if options.outputType.writesDICOMSeg && spine == nil { roles.append(Self.dicomSegRole) }
    extraRoles = roles
    var fingerprint = cascade.fingerprint
    // Only when set, so that the fingerprints of NIfTI-only runs stay what they were.
    if options.outputType != .nifti { fingerprint["output_type"] = options.outputType.rawValue }
    if options.dicomCompression != .none { fingerprint["dicom_compress"] = options.dicomCompression.rawValue }
    fingerprint["step_size"] = "\(options.stepSize)"
    fingerprint["padding"] = "\(options.padding)"
    fingerprint["pipeline"] = spine.map { "spine-\($0.rawValue)" } ?? "segment"
    fingerprint["model_name"] = name
    fingerprint["roi_subset"] = options.roiSubset.joined(separator: ",")
    fingerprint["crop"] = "\(options.crop)"
    fingerprint["keep_size"] = "\(options.keepSize)"
    fingerprint["fill_holes"] = "\(options.fillHoles)"
    fingerprint["split_masks"] = "\(options.splitMasks)"
    self.fingerprint = fingerprint
    modelLabel = cascade.modelLabel
  }

  /// The case's input file name is written into the sidecar.
  public func caseFingerprint(_ item: CohortCase) -> [String: String] {
    ["input_name": item.inputs.first?.lastPathComponent ?? ""]
  }

  /// `vibeseg segment`'s options for these flags (`--crop`, `--keep-size`, `--fill-holes`, `--pad`, `--step-size`).
  var segmentationOptions: SegmentationOptions {
    var segmentation = SegmentationOptions()
    segmentation.stepSize = options.stepSize
    segmentation.padding = options.padding
    segmentation.crop = options.crop
    segmentation.keepSize = options.keepSize
    segmentation.fillHoles = options.fillHoles
    return segmentation
  }

  public func prepare() throws {
    guard pipeline == nil else { return }
    // The files were hashed for the fingerprint already; the sidecars' provenance reuses that.
    let model = try TotalVibeModel(
      folder: folder, folds: options.folds, maxFolds: options.maxFolds, threads: options.threads, sha256: fingerprint["model_sha256"])
    let roi = try roiFolder.map { try TotalVibeModel(folder: $0, threads: options.threads, sha256: fingerprint["roi_model_sha256"]) }
    pipeline = try SegmentationPipeline(model: model, roiModel: roi, options: segmentationOptions)
  }

  public func load(_ item: CohortCase) throws -> SegmentInput {
    guard item.inputs.count == 1 else {
      throw BatchError(.invalidArgument, "--task \(Self.kind) takes one image per case, this case has \(item.inputs.count)")
    }
    let scan = try ImageInput.readVolume(item.inputs[0])
    return SegmentInput(image: scan.image, volume: scan.values, warnings: scan.warnings)
  }

  /// `SegmentJob.compute`, the computation `vibeseg segment`/`spine` runs: the same label map,
  /// sidecar and masks, byte for byte.
  public func run(_ item: CohortCase, _ input: SegmentInput) throws -> CaseProducts {
    try prepare()
    let product = try SegmentJob.compute(
      image: input.image, volume: input.volume, input: item.inputs[0], pipeline: pipeline!, names: labelNames, keep: keep,
      spineModel: spineModel, modelName: modelName)
    let sidecar = product.sidecar
    var extras: [(role: OutputRole, write: (URL) throws -> Void)] = [(Self.sidecarRole, { try AtomicFile.write(sidecar, to: $0) })]
    if options.splitMasks {
      for (id, name) in labelNames.sorted(by: { $0.key < $1.key }) where keep?.contains(id) ?? true {
        let mask = product.mask(id)
        extras.append((.extra("mask-\(name).nii.gz"), { try mask.write(to: $0) }))
      }
    }
    var warnings = input.warnings
    if options.outputType.writesDICOMSeg && spineModel == nil {
      // The series the case's image was read from (its URL carries the DICOM selection).
      var seg = try DICOMSegOutput(input: item.inputs[0])
      seg.compression = options.dicomCompression
      // A stitched case (several station series): one <id>.seg.dcm referencing every station.
      try seg.combineStations()
      let (files, notes) = try seg.encode(
        product.labels, names: labelNames, output: URL(fileURLWithPath: "\(item.id).nii.gz"), modelName: modelName)
      let bytes = files[0].bytes
      extras.append((Self.dicomSegRole, { try AtomicFile.write(bytes, to: $0) }))
      warnings += notes
    }
    return CaseProducts(
      labelMap: product.labelMap, labels: product.labels.converted(to: UInt16.self), background: options.keepSize ? nil : input.image,
      labelNames: labelNames, extras: extras, warnings: warnings)
  }
}

/// `--task spine`: `SegmentTask` with upstream's spine relabelling (model 511 by default; a model
/// folder's relabelling as `SpineModel.resolve` decides, `--spine-labels` when given).
public final class SpineTask: SegmentTask, @unchecked Sendable {
  public override class var kind: String { "spine" }

  public convenience init(_ options: CohortTaskOptions) throws {
    let reference = options.model ?? String(ModelCatalogEntry.defaultSpine)
    let (_, spine) = try SpineModel.resolve(reference, labels: options.spineLabels.flatMap(SpineModel.init), locator: options.modelLocator)
    try self.init(options, spine: spine)
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
  /// The main model's structure names (`dataset.json`, background and ignore left out).
  var structureNames: [Int: String]

  /// Resolves `name` and, for a cascaded model, its ROI model (`options.roiModel` when given, else
  /// the id its `dataset.json` names) with `options.modelLocator`, and hashes their files.
  ///
  /// - Throws: `VibeSegKitError.modelUnavailable` (not a model, not installed, cascade without its
  ///   ROI model), `PlansError`.
  init(_ name: String, options: CohortTaskOptions) throws {
    let resolved = try options.modelLocator.cascade(for: name, roi: options.roiModel)
    let folder = resolved.folder
    self.folder = folder
    let bundle = try ModelBundle(directory: folder, folds: options.folds, rule: .tptbox, maxFolds: options.maxFolds)
    structureNames = bundle.dataset.structureNames
    var fingerprint = [String: String]()
    if let roi = resolved.roiFolder {
      fingerprint["roi_model_sha256"] = try ModelFingerprint.sha256(of: ModelBundle(directory: roi, rule: .tptbox))
    }
    roiFolder = resolved.roiFolder
    fingerprint["model_sha256"] = try ModelFingerprint.sha256(of: bundle)
    fingerprint["folds"] = bundle.foldLabels.joined(separator: ",")
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
