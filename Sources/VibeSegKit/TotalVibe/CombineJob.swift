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
  public var inputs: [ContrastCombination.Contrast: URL]
  public var output: URL
  public var model: TotalVibeModel
  public var roiModel: TotalVibeModel?
  public var segmentation = SegmentationOptions()
  public var combination = ContrastCombination.Options()
  public var intermediateFolder: URL?
  public var overwrite = false
  public var modelName: String

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
  }

  public func run() throws -> Report {
    guard !inputs.isEmpty else {
      throw VibeSegKitError(.invalidOption, "give at least one contrast (--water, --in-phase, --opposed-phase)")
    }
    let sidecar = SegmentJob.sidecarURL(for: output)
    if !overwrite {
      for url in [output, sidecar] where FileManager.default.fileExists(atPath: url.path) {
        throw VibeSegKitError(.invalidOption, "exists; pass --overwrite to replace it", path: url.path, option: "--overwrite")
      }
    }
    // Read every input before the (long) predictions, so a missing file fails at once.
    var images = [ContrastCombination.Contrast: (NiftiImage, AnyVolume)]()
    var warnings = [String]()
    for contrast in ContrastCombination.Contrast.allCases {
      guard let url = inputs[contrast] else { continue }
      let (image, volume, notes) = try SegmentJob.readImage(url)
      images[contrast] = (image, volume)
      warnings += notes
    }
    let pipeline = try SegmentationPipeline(model: model, roiModel: roiModel, options: segmentation)
    var maps = [ContrastCombination.Contrast: Volume<UInt8>]()
    for contrast in ContrastCombination.Contrast.allCases {
      guard let (image, volume) = images[contrast], let url = inputs[contrast] else { continue }
      maps[contrast] = try pipeline.segment(volume)
      if let folder = intermediateFolder {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let stem = SegmentJob.stem(of: url)
        let part = folder.appendingPathComponent("\(stem)_part-\(contrast.rawValue)_seg.nii.gz")
        try SegmentJob.labelImage(maps[contrast]!, like: image).write(to: part)
      }
    }
    let result = try ContrastCombination(combination).run(
      water: maps[.water], inPhase: maps[.inPhase], opposedPhase: maps[.opposedPhase])
    let first = ContrastCombination.Contrast.allCases.first { images[$0] != nil }!
    try SegmentJob.labelImage(result.labelMap, like: images[first]!.0).write(to: output)

    struct Sidecar: Encodable {
      var schemaVersion = 1
      var model: String
      var inputs: [String: String]
      var labels: [String: String]
      var labelsPresent: [Int]
      var validation: [String: LabelValidationReport]
      var resampledContrasts: [String]
      var filledVoxels: [String: Int]
    }
    var present = Set<Int>()
    for v in result.labelMap.voxels where v != 0 { present.insert(Int(v)) }
    var validation = [String: LabelValidationReport]()
    for (contrast, report) in result.inputReports { validation[contrast.rawValue] = report }
    validation["combined"] = result.resultReport
    let names = model.labelNames
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    let data = try encoder.encode(
      Sidecar(
        model: modelName, inputs: Dictionary(uniqueKeysWithValues: inputs.map { ($0.key.rawValue, $0.value.lastPathComponent) }),
        labels: Dictionary(uniqueKeysWithValues: names.map { (String($0.key), $0.value) }), labelsPresent: present.sorted(),
        validation: validation, resampledContrasts: result.resampled.map(\.rawValue),
        filledVoxels: Dictionary(uniqueKeysWithValues: result.filledVoxels.map { (String($0.key), $0.value) })))
    do {
      try AtomicFile.write(Array(data) + [10], to: sidecar)
    } catch {
      throw VibeSegKitError(.cannotCreateOutput, "cannot write the sidecar: \(error)", path: sidecar.path, underlying: error)
    }
    return Report(warnings: warnings, result: result, sidecar: sidecar)
  }
}
