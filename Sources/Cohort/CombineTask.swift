import Foundation
import ModelZoo
import NiftiIO
import VibeSegKit
import VolumeCore

/// `--task combine`: `vibeseg combine` on every case, the model (and its ROI model when it is
/// cascaded) loaded once. Per case (`CombineJob.read`, then `CombineJob.combine`): each contrast is
/// segmented, each map validated (aggressiveness 5), the maps combined with upstream's priorities,
/// the result validated (15) and, with `--fill-holes`, hole-filled. Writes the combined uint8 map
/// (`OutputRole.labelMap`, `<id>.nii.gz`) and its sidecar (`CombineTask.sidecarRole`,
/// `<id>.json`: label names, input names, validation findings), both byte-identical to
/// `vibeseg combine --water W --in-phase I --opposed-phase O -o <id>.nii.gz` with the same
/// `--model` (the sidecar records the `--model` text), `--female` and `--fill-holes`.
/// `--intermediate` has no batch counterpart.
///
/// Which input is which contrast (the combination's priorities depend on it):
/// - CSV list (`CaseSource.list`): columns `water`, `in_phase`, `opposed_phase` (named after the
///   command's flags), or `channel_0`, `channel_1`, `channel_2` in that order; any may be empty.
/// - Folder: nnU-Net names `<id>_0000` (water), `<id>_0001` (in-phase), `<id>_0002`
///   (opposed-phase); a case with fewer files has the first contrasts of that list. Files without
///   the suffix are one-contrast cases (water).
/// - A fourth channel fails the case (input error). BIDS trees are refused (`checkSource`): their
///   cases are single files, and grouping `part-` files into subjects is not implemented.
///
/// Fingerprint: model and ROI model sha256, folds, step size, `female`, `fill_holes` and the model
/// name written into the sidecar; per case, each file's contrast and name (`caseFingerprint`), so
/// moving a file to another contrast column redoes the case.
public final class CombineTask: CohortTask, @unchecked Sendable {
  public static let kind = "combine"
  /// The sidecar `vibeseg combine` writes next to its map: `<id>.json` in the plain layout.
  public static let sidecarRole = OutputRole.extra("json")

  /// Refuses BIDS trees: their cases are single files, and grouping `part-` files into subjects
  /// is not implemented.
  public static func checkSource(_ source: CaseSource) throws {
    if case .bids = source {
      throw BatchError(
        .invalidArgument,
        "--task combine needs each subject's contrasts in one case: give a CSV list (columns water, in_phase, "
          + "opposed_phase) or a folder with nnU-Net names (_0000 water, _0001 in-phase, _0002 opposed-phase), not --bids",
        path: CaseDiscovery.sourcePath(source))
    }
  }

  public let fingerprint: [String: String]
  public let modelLabel: String?
  /// The sidecar, and with `--output-type both` `<id>.seg.dcm` (referencing the water series, else
  /// the first contrast's: the combined map is on its grid).
  public let extraRoles: [OutputRole]
  let options: CohortTaskOptions
  let cascade: CascadeFolders
  /// `--model` as given (default "100"): the sidecar's `model`.
  let modelName: String
  var pipeline: SegmentationPipeline?
  var labelNames: [Int: String] = [:]

  /// Resolves the model (and the ROI model of a cascade) and hashes their files; loads nothing.
  ///
  /// - Throws: `ModelZooError.unknownModel` (not installed, no such folder), `PlansError`.
  public init(_ options: CohortTaskOptions) throws {
    self.options = options
    modelName = options.model ?? String(ModelCatalogEntry.defaultWholeBody)
    cascade = try CascadeFolders(modelName, options: options)
    extraRoles = [Self.sidecarRole] + (options.outputType.writesDICOMSeg ? [SegmentTask.dicomSegRole] : [])
    var fingerprint = cascade.fingerprint
    fingerprint["step_size"] = "\(options.stepSize)"
    fingerprint["padding"] = "\(options.padding)"
    fingerprint["pipeline"] = "combine"
    fingerprint["model_name"] = modelName
    fingerprint["female"] = "\(options.female)"
    fingerprint["fill_holes"] = "\(options.fillHoles)"
    if options.outputType != .nifti { fingerprint["output_type"] = options.outputType.rawValue }
    if options.dicomCompression != .none { fingerprint["dicom_compress"] = options.dicomCompression.rawValue }
    self.fingerprint = fingerprint
    modelLabel = cascade.modelLabel
  }

  public func prepare() throws {
    guard pipeline == nil else { return }
    // The files were hashed for the fingerprint already; the sidecars' provenance reuses that.
    let model = try TotalVibeModel(
      folder: cascade.folder, folds: options.folds, maxFolds: options.maxFolds, threads: options.threads,
      sha256: cascade.fingerprint["model_sha256"])
    let roi = try cascade.roiFolder.map {
      try TotalVibeModel(folder: $0, threads: options.threads, sha256: cascade.fingerprint["roi_model_sha256"])
    }
    var segmentation = SegmentationOptions()
    segmentation.stepSize = options.stepSize
    segmentation.padding = options.padding
    pipeline = try SegmentationPipeline(model: model, roiModel: roi, options: segmentation)
    labelNames = model.labelNames
  }

  /// The contrast of each column name (`CohortCase.channels`); folder cases use `channel_<i>`.
  static let contrastsByChannel: [String: ContrastCombination.Contrast] = [
    "water": .water, "channel_0": .water,
    "in_phase": .inPhase, "channel_1": .inPhase,
    "opposed_phase": .opposedPhase, "channel_2": .opposedPhase,
  ]

  /// The case's inputs by contrast (see the type).
  ///
  /// - Throws: `BatchError.invalidArgument` for a channel that is no contrast.
  public static func contrasts(of item: CohortCase) throws -> [ContrastCombination.Contrast: URL] {
    if isDICOMVisit(item) {
      return try DICOMSelection.combineInputs(of: item.inputs[0])
    }
    let names = item.channels ?? item.inputs.indices.map { "channel_\($0)" }
    var result = [ContrastCombination.Contrast: URL]()
    for (name, url) in zip(names, item.inputs) {
      guard let contrast = contrastsByChannel[name], result[contrast] == nil else {
        throw BatchError(
          .invalidArgument,
          "\(name) is not a contrast --task combine knows: give water, in_phase, opposed_phase columns (or channel_0, channel_1, channel_2; folder names _0000, _0001, _0002)",
          path: url.path)
      }
      result[contrast] = url
    }
    return result
  }

  /// A case that is one DICOM visit (a zip or study folder, no series chosen): its water, in
  /// and opp series are found when the case is read, not while planning (no zip is unpacked then).
  static func isDICOMVisit(_ item: CohortCase) -> Bool {
    guard item.inputs.count == 1, item.channels == nil else { return false }
    let chosen = DICOMSelection(of: item.inputs[0])
    return chosen.contrast == nil && chosen.series == nil && ImageInput.format(of: item.inputs[0]) == .dicom
  }

  public func caseFingerprint(_ item: CohortCase) -> [String: String] {
    if Self.isDICOMVisit(item) { return ["contrasts": "dicom visit: water, in, opp as found"] }
    guard let inputs = try? Self.contrasts(of: item) else { return [:] }
    let list = ContrastCombination.Contrast.allCases.compactMap { contrast in
      inputs[contrast].map { "\(contrast.rawValue)=\($0.lastPathComponent)" }
    }
    return ["contrasts": list.joined(separator: ",")]
  }

  public func load(_ item: CohortCase) throws -> CombineJob.Contrasts {
    try CombineJob.read(try Self.contrasts(of: item))
  }

  public func run(_ item: CohortCase, _ contrasts: CombineJob.Contrasts) throws -> CaseProducts {
    try prepare()
    var combination = ContrastCombination.Options()
    combination.female = options.female
    combination.fillHoles = options.fillHoles
    let combined = try CombineJob.combine(contrasts, pipeline: pipeline!, options: combination, modelName: modelName)
    let sidecar = combined.sidecar
    var extras: [(role: OutputRole, write: (URL) throws -> Void)] = [(Self.sidecarRole, { try AtomicFile.write(sidecar, to: $0) })]
    var warnings = contrasts.warnings
    if options.outputType.writesDICOMSeg, let primary = contrasts.first.flatMap({ contrasts.urls[$0] }) {
      var seg = try DICOMSegOutput(input: primary)
      seg.compression = options.dicomCompression
      // A stitched case (several station series): one <id>.seg.dcm referencing every station.
      try seg.combineStations()
      let (files, notes) = try seg.encode(
        combined.labelMap.volume.converted(to: UInt8.self), names: labelNames,
        output: URL(fileURLWithPath: "\(item.id).nii.gz"), modelName: modelName)
      let bytes = files[0].bytes
      extras.append((SegmentTask.dicomSegRole, { try AtomicFile.write(bytes, to: $0) }))
      warnings += notes
    }
    return CaseProducts(
      labelMap: combined.labelMap, labels: combined.result.labelMap.converted(to: UInt16.self),
      background: contrasts.first.flatMap { contrasts.images[$0] }, labelNames: labelNames, extras: extras, warnings: warnings)
  }
}
