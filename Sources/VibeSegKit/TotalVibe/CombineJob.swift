import Foundation
import NiftiIO
import VolumeCore

/// `vibeseg combine`: upstream's multi-contrast run (`run_TotalVibeSegmentator_multi.py`,
/// totalvibe.md section 6). Each given Dixon contrast is segmented with the same loaded model
/// (`SegmentationPipeline`), then `ContrastCombination.run` validates each map (aggressiveness 5),
/// combines them with upstream's priorities, validates the result (aggressiveness 15) and
/// optionally fills holes. Writes the combined uint8 map on the first contrast's grid, a sidecar
/// `OUT.json` with label names and the validation findings, and, with `intermediateFolder`, each
/// contrast's own segmentation as `<stem>_part-<contrast>_seg.nii.gz`.
public struct CombineJob {
  /// Told what starts next (reading, each contrast's models, writing), for the CLI's progress lines.
  public var progress: ((String) -> Void)? = nil
  /// Told after every sliding-window tile (tiles done, tiles in all), for a progress line with an ETA.
  public var tileProgress: (@Sendable (Int, Int) -> Void)? = nil
  public var inputs: [ContrastCombination.Contrast: URL]
  public var output: URL
  public var model: TotalVibeModel
  public var roiModel: TotalVibeModel?
  public var segmentation = SegmentationOptions()
  public var combination = ContrastCombination.Options()
  public var intermediateFolder: URL?
  public var overwrite = false
  public var modelName: String
  /// `--output-type`: the combined NIfTI map, a DICOM-SEG of it referencing the first given
  /// contrast's series (water, else in-phase, else opposed-phase: the map is on its grid), or both.
  public var outputType = SegmentationOutputType.nifti
  /// `--dicom-compress`: the SEG files' encoding.
  public var dicomCompression = DICOMSegCompression.none

  public init(inputs: [ContrastCombination.Contrast: URL], output: URL, model: TotalVibeModel, roiModel: TotalVibeModel? = nil, modelName: String) {
    self.inputs = inputs
    self.output = output
    self.model = model
    self.roiModel = roiModel
    self.modelName = modelName
  }

  public struct Report: Sendable {
    public var warnings: [String]
    public var result: ContrastCombination.Result
    public var sidecar: URL
    /// The DICOM-SEG files written (`--output-type dicom-seg|both`).
    public var dicomSeg: [URL] = []
  }

  /// The outputs of a run, checked before anything is computed (`SegmentJob.outputs`): the
  /// combined map, its sidecar and, with `intermediateFolder`, each contrast's own map.
  public static func outputs(
    inputs: [ContrastCombination.Contrast: URL], output: URL, intermediateFolder: URL?, overwrite: Bool,
    outputType: SegmentationOutputType = .nifti
  ) throws -> OutputTransaction {
    guard !inputs.isEmpty else {
      throw VibeSegKitError(.invalidOption, "give at least one contrast (--water, --in-phase, --opposed-phase)")
    }
    var urls = (outputType.writesNifti ? [output] : []) + [SegmentJob.sidecarURL(for: output)]
    if let folder = intermediateFolder {
      do {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      } catch {
        throw VibeSegKitError(.cannotCreateOutput, "cannot create the folder: \(error.localizedDescription)", path: folder.path)
      }
      urls += ContrastCombination.Contrast.allCases.compactMap { contrast in inputs[contrast].map { partURL($0, contrast, folder) } }
    }
    return try OutputTransaction(outputs: urls, inputs: Array(inputs.values), overwrite: overwrite)
  }

  static func partURL(_ input: URL, _ contrast: ContrastCombination.Contrast, _ folder: URL) -> URL {
    folder.appendingPathComponent("\(ImageInput.stem(of: input))_part-\(contrast.rawValue)_seg.nii.gz")
  }

  /// Runs the job; every output is published together at the end, or none is.
  public func run(outputs given: OutputTransaction? = nil) throws -> Report {
    let outputs =
      try given
      ?? Self.outputs(inputs: inputs, output: output, intermediateFolder: intermediateFolder, overwrite: overwrite, outputType: outputType)
    let sidecar = SegmentJob.sidecarURL(for: output)
    // Read every input before the (long) predictions, so a missing file fails at once.
    progress?("reading \(inputs.count) contrast(s)")
    let contrasts = try Self.read(inputs)
    // The SEG's source series (the first given contrast) next, so that a SEG that cannot be
    // written is found before the models run.
    let primary = ContrastCombination.Contrast.allCases.first { inputs[$0] != nil }.flatMap { inputs[$0] }
    var dicomSeg = try outputType.writesDICOMSeg ? primary.map { try DICOMSegOutput(input: $0) } : nil
    dicomSeg?.compression = dicomCompression
    if let dicomSeg { try outputs.declare(dicomSeg.urls(for: output)) }
    var pipeline = try SegmentationPipeline(model: model, roiModel: roiModel, options: segmentation)
    pipeline.progress = progress
    pipeline.tileProgress = tileProgress
    let combined = try Self.combine(contrasts, pipeline: pipeline, options: combination, modelName: modelName) {
      contrast, map in
      progress?("\(contrast.rawValue) segmented")
      guard let folder = intermediateFolder, let url = inputs[contrast], let image = contrasts.images[contrast] else {
        return
      }
      try SegmentJob.labelImage(map, like: image).write(to: Self.partURL(url, contrast, folder), in: outputs)
    }
    progress?("combined; writing \(output.lastPathComponent)")
    if outputType.writesNifti { try combined.labelMap.write(to: output, in: outputs) }
    var segWarnings: [String] = []
    if let dicomSeg {
      segWarnings = try dicomSeg.write(
        combined.labelMap.volume.converted(to: UInt8.self), names: model.labelNames, output: output, modelName: modelName, in: outputs)
    }
    do {
      try outputs.write(combined.sidecar, to: sidecar)
    } catch {
      throw VibeSegKitError(.cannotCreateOutput, "cannot write the sidecar: \(error)", path: sidecar.path, underlying: error)
    }
    try outputs.commit()
    // Say what upstream does silently: a contrast on another grid was resampled onto the first one's.
    let resampled = combined.result.resampled.map {
      "\($0.rawValue): on another grid than \(contrasts.first?.rawValue ?? "the first contrast"); its map was resampled onto that grid (nearest neighbour), as upstream does"
    }
    return Report(
      warnings: outputs.notes + contrasts.warnings + resampled + segWarnings, result: combined.result, sidecar: sidecar,
      dicomSeg: dicomSeg?.urls(for: output) ?? [])
  }

  /// A subject's contrasts, read and checked (`read`), ready for `combine`.
  public struct Contrasts: @unchecked Sendable {
    public var urls: [ContrastCombination.Contrast: URL]
    public var images: [ContrastCombination.Contrast: NiftiImage]
    /// Each image's voxels as `InputImage.values` (scaled when the file has a slope).
    public var volumes: [ContrastCombination.Contrast: AnyVolume]
    /// Header notes, identity affines (`ImageInput.readVolume`).
    public var warnings: [String]

    /// The first given contrast in upstream's order (water, in-phase, opposed-phase): its grid
    /// and header are the combined map's.
    public var first: ContrastCombination.Contrast? {
      ContrastCombination.Contrast.allCases.first { images[$0] != nil }
    }
  }

  /// What `combine` made for one subject, still in memory.
  public struct Combined {
    /// The combined uint8 map on the first contrast's grid, units and form codes from its header.
    public var labelMap: NiftiImage
    public var result: ContrastCombination.Result
    /// The sidecar's bytes (pretty-printed JSON with sorted keys, then a newline).
    public var sidecar: [UInt8]
  }

  /// Reads each contrast with `ImageInput.readVolume` (one finite 3-D volume, slope applied), in
  /// upstream's order.
  ///
  /// - Throws: `VibeSegKitError.invalidOption` when `inputs` is empty, `.missingInput`,
  ///   `.invalidInput` (4-D), `NiftiError` (malformed file).
  public static func read(_ inputs: [ContrastCombination.Contrast: URL]) throws -> Contrasts {
    guard !inputs.isEmpty else {
      throw VibeSegKitError(.invalidOption, "give at least one contrast (--water, --in-phase, --opposed-phase)")
    }
    var result = Contrasts(urls: inputs, images: [:], volumes: [:], warnings: [])
    for contrast in ContrastCombination.Contrast.allCases {
      guard let url = inputs[contrast] else { continue }
      let scan = try ImageInput.readVolume(url)
      result.images[contrast] = scan.image
      result.volumes[contrast] = scan.values
      result.warnings += scan.warnings
    }
    return result
  }

  /// Segments each contrast with `pipeline` (calling `eachContrast` with its map, in upstream's
  /// order, before the next one), combines the maps (`ContrastCombination.run`), and builds the
  /// combined image and the sidecar (schemaVersion 1: model name, input file names, label names
  /// of `pipeline.model`, labels present, validation findings, resampled contrasts, filled voxels).
  /// `vibeseg combine` and `vibeseg batch --task combine` both write exactly these bytes.
  public static func combine(
    _ contrasts: Contrasts, pipeline: SegmentationPipeline, options: ContrastCombination.Options, modelName: String,
    eachContrast: (ContrastCombination.Contrast, Volume<UInt8>) throws -> Void = { _, _ in }
  ) throws -> Combined {
    guard let first = contrasts.first else {
      throw VibeSegKitError(.invalidOption, "give at least one contrast (--water, --in-phase, --opposed-phase)")
    }
    var maps = [ContrastCombination.Contrast: Volume<UInt8>]()
    for contrast in ContrastCombination.Contrast.allCases {
      guard let volume = contrasts.volumes[contrast] else { continue }
      let map = try pipeline.segment(volume)
      maps[contrast] = map
      try eachContrast(contrast, map)
    }
    let result = try ContrastCombination(options).run(
      water: maps[.water], inPhase: maps[.inPhase], opposedPhase: maps[.opposedPhase])
    let labelMap = SegmentJob.labelImage(result.labelMap, like: contrasts.images[first]!)

    struct Sidecar: Encodable {
      var schemaVersion = 1
      var model: String
      var inputs: [String: String]
      var labels: [String: String]
      var labelsPresent: [Int]
      var validation: [String: LabelValidationReport]
      var resampledContrasts: [String]
      var filledVoxels: [String: Int]
      var provenance: Provenance
    }
    var present = Set<Int>()
    for v in result.labelMap.voxels where v != 0 { present.insert(Int(v)) }
    var validation = [String: LabelValidationReport]()
    for (contrast, report) in result.inputReports { validation[contrast.rawValue] = report }
    validation["combined"] = result.resultReport
    let names = pipeline.model.labelNames
    let data = try SidecarJSON.encode(
      Sidecar(
        model: modelName,
        inputs: Dictionary(uniqueKeysWithValues: contrasts.urls.map { ($0.key.rawValue, $0.value.lastPathComponent) }),
        labels: Dictionary(uniqueKeysWithValues: names.map { (String($0.key), $0.value) }), labelsPresent: present.sorted(),
        validation: validation, resampledContrasts: result.resampled.map(\.rawValue),
        filledVoxels: Dictionary(uniqueKeysWithValues: result.filledVoxels.map { (String($0.key), $0.value) }),
        provenance: try Provenance(
          inputs: Dictionary(uniqueKeysWithValues: contrasts.urls.map { ($0.key.rawValue, $0.value) }),
          model: pipeline.model.provenance, roiModel: pipeline.roiModel?.provenance)))
    return Combined(labelMap: labelMap, result: result, sidecar: data)
  }
}
