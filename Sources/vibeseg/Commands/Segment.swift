import ArgumentParser
import Foundation
import VolumeCore
#if canImport(Glibc)
import Glibc
#endif
import ModelZoo
import NiftiIO
import VibeSegKit

extension SegmentationOutputType: ExpressibleByArgument {}
extension DICOMSegCompression: ExpressibleByArgument {}

/// Options shared by `segment` and `spine`: where the model comes from and how it runs.
struct ModelRunOptions: ParsableArguments {
  @Option(parsing: .upToNextOption, help: "Folds of the model (default: every fold_N it has, as upstream; a cascade's ROI model always runs every fold, as upstream's run script).")
  var folds: [String] = []

  @Option(help: "Use only the first N folds of the model (fold names sorted as strings; upstream's max_folds). Not with --folds.")
  var maxFolds: Int?

  @Option(help: "Sliding-window step as a fraction of the patch (upstream: 0.5).")
  var stepSize: Double = 0.5

  @Option(help: "Voxels of reflect padding on every side on the model grid, cut off after prediction (upstream padd: 5 in run_vibeseg and the run script; 0 = none).")
  var pad: Int = 5

  @Option(help: "Threads for the network (default: every usable core: affinity and cgroup quota respected, as nnU-Net and PyTorch use them).")
  var threads: Int = UsableCores.count

  @Flag(help: "Never download: fail with instructions when a model is not installed.")
  var offline = false

  @Flag(help: "Replace existing outputs.")
  var overwrite = false

  @OptionGroup var verbosity: VerbosityOptions

  func validate() throws {
    guard stepSize > 0 && stepSize <= 1 else { throw ValidationError("--step-size must be in (0, 1]") }
    guard (0...64).contains(pad) else { throw ValidationError("--pad must be in 0...64") }
    guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    try checkFolds(folds)
    if let maxFolds {
      guard maxFolds >= 1 else { throw ValidationError("--max-folds must be at least 1") }
      guard folds.isEmpty else { throw ValidationError("--max-folds and --folds exclude each other: --folds names the folds, --max-folds keeps the first N") }
    }
  }

  func locator() throws -> ModelLocator {
    ModelLocator(zoo: try ModelZoo.fromEnvironment(), allowDownload: !offline, progress: ProgressReporter().report)
  }

  /// The model `--folds`/`--max-folds` apply to.
  func load(_ folder: URL) throws -> TotalVibeModel {
    try TotalVibeModel(folder: folder, folds: folds.isEmpty ? nil : folds, maxFolds: maxFolds, threads: threads)
  }

  /// A cascade's ROI model: every fold, as upstream's `run_roi` (no `max_folds`).
  func loadROI(_ folder: URL) throws -> TotalVibeModel {
    try TotalVibeModel(folder: folder, threads: threads)
  }

  /// The model `--model` names and, when it is cascaded, its ROI model: `--roi-model`, else the
  /// id its dataset.json names, looked up (and downloaded unless `--offline`) in the model zoo.
  func loadCascade(model: String, roiModel: String?) throws -> (TotalVibeModel, TotalVibeModel?) {
    let resolved = try locator().cascade(for: model, roi: roiModel)
    return (try load(resolved.folder), try resolved.roiFolder.map(loadROI))
  }
}

/// The resolver for commands without downloads (predict, model-info, labels): folders, dataset
/// folders and installed ids; a model that is not installed gets the download/import instructions.
func installedModels() throws -> ModelLocator {
  ModelLocator(zoo: try ModelZoo.fromEnvironment(), allowDownload: false)
}

/// `--folds` entries: fold numbers or `all`, space-separated (64 with a hint for `0,1`).
func checkFolds(_ folds: [String]) throws {
  for fold in folds where !(fold == "all" || Int(fold).map { $0 >= 0 } == true) {
    let hint = fold.contains(",") ? "; give folds separated by spaces: --folds \(fold.split(separator: ",").joined(separator: " "))" : ""
    throw ValidationError("--folds: '\(fold)' is not a fold number or 'all'\(hint)")
  }
}

/// Every command's check of a label-map or image output name (64 before anything runs).
func checkNiftiOutput(_ name: String, masksHint: Bool = false) throws {
  guard NiftiFileName.isNifti(name) else {
    // TotalSegmentator users type `-o DIR` for one file per structure.
    let hint = masksHint ? "; for one mask file per structure in a folder (TotalSegmentator's -o DIR) add --split-masks DIR" : ""
    throw ValidationError("\(name): outputs must end in .nii or .nii.gz\(hint)")
  }
}

extension VibeSegCommand {
  struct Segment: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Segment a whole-body MRI (VIBE/Dixon) into TotalVibeSegmentator's 71 structures.",
      discussion: """
        Upstream's steps: reorient to the model's orientation, rescale to its voxel size (cubic \
        B-spline, edge extension), squash intensities above 10000, nnU-Net prediction (all folds, \
        step 0.5, no mirroring), nearest neighbour back onto the input grid. Cascaded models run \
        their ROI model first. Writes a uint8 label map with the input's geometry and OUT.json \
        with the label names. The model (default 100) is downloaded on first use into \
        $VIBESEG_HOME (default ~/.vibeseg); offline, use `vibeseg models import`.

        Examples:
          vibeseg segment water.nii.gz -o seg.nii.gz
          vibeseg segment scan.nii.gz -o seg.nii.gz --roi-subset liver,spleen --split-masks masks/
          vibeseg segment scan.nii.gz -o seg.nii.gz --stats seg.csv --preview seg.png -v
          vibeseg segment DICOM_SERIES_FOLDER -o seg.nii.gz --output-type both   # + seg.seg.dcm
        """)

    @Argument(help: "The image: .nii or .nii.gz (one 3-D volume), or a DICOM series folder, file or zip.")
    var image: String

    @OptionGroup var dicom: DICOMSelectionOptions

    @Option(name: .shortAndLong, help: "Output label map (.nii or .nii.gz).")
    var output: String

    @Option(help: "Model id (100, 99, ...) or model folder.")
    var model: String = String(ModelCatalogEntry.defaultWholeBody)

    @Option(help: "ROI model id or folder for a cascaded model (default: the id its dataset.json names).")
    var roiModel: String?

    @Flag(help: "Predict only inside the bounding box of voxels > 20 (upstream --crop).")
    var crop = false

    @Flag(help: "Keep the model's grid instead of resampling back to the input (upstream keep_size).")
    var keepSize = false

    @Flag(help: "Fill holes in every structure after resampling back.")
    var fillHoles = false

    @Option(parsing: .upToNextOption, help: "Keep only these structures: names (as in `vibeseg labels`), ids or ranges, comma or space separated.")
    var roiSubset: [String] = []

    @Option(help: "Also write one binary mask per structure into this folder.")
    var splitMasks: String?

    @Option(help: "Also write label statistics (volumes, intensities over the input) to this .csv or .json file.")
    var stats: String?

    @Option(help: "Also write a QC picture (.png) of the map over the input.")
    var preview: String?

    @Option(help: "nifti, dicom-seg (DICOM input: OUT.seg.dcm next to OUT, no NIfTI map) or both.")
    var outputType: SegmentationOutputType = .nifti

    @Option(help: "DICOM-SEG encoding: none (explicit VR little endian) or deflate (about 100x smaller; pydicom, highdicom, dcmqi read it, dciodvfy does not).")
    var dicomCompress: DICOMSegCompression = .none

    @OptionGroup var modelOptions: ModelRunOptions

    func validate() throws {
      try checkNiftiOutput(output, masksHint: true)
      try dicom.check(image)
      if dicomCompress != .none && !outputType.writesDICOMSeg {
        throw ValidationError("--dicom-compress applies to DICOM-SEG output: add --output-type dicom-seg or both")
      }
      if let stats, !(stats.lowercased().hasSuffix(".csv") || stats.lowercased().hasSuffix(".json")) {
        throw ValidationError("--stats must end in .csv or .json")
      }
      if let preview, !preview.lowercased().hasSuffix(".png") { throw ValidationError("--preview must end in .png") }
      if preview != nil && keepSize { throw ValidationError("--preview draws on the input image; not with --keep-size") }
      // A missing path is left to the run (66); an existing non-DICOM one is a usage error.
      if outputType.writesDICOMSeg && FileManager.default.fileExists(atPath: image)
        && ImageInput.format(of: URL(fileURLWithPath: image)) != .dicom
      {
        throw ValidationError(
          "--output-type \(outputType.rawValue) needs DICOM input (a series folder or file): \(image) is not DICOM, so there are no source images for the segmentation to reference")
      }
    }

    func run() throws {
      try reportingErrors {
        // Outputs first: an unwritable folder or an existing output is found before any model loads.
        let outputs = try SegmentJob.outputs(
          for: URL(fileURLWithPath: output), input: dicom.input(image), overwrite: modelOptions.overwrite,
          outputType: outputType)
        let (main, roi) = try modelOptions.loadCascade(model: model, roiModel: roiModel)
        var job = SegmentJob(
          input: dicom.input(image), output: URL(fileURLWithPath: output), model: main, roiModel: roi,
          modelName: model)
        job.options.stepSize = modelOptions.stepSize
        job.options.padding = modelOptions.pad
        job.options.crop = crop
        job.options.keepSize = keepSize
        job.options.fillHoles = fillHoles
        job.roiSubset = roiSubset
        job.splitMasksFolder = splitMasks.map { URL(fileURLWithPath: $0) }
        job.statisticsOutput = stats.map { URL(fileURLWithPath: $0) }
        job.previewOutput = preview.map { URL(fileURLWithPath: $0) }
        job.overwrite = modelOptions.overwrite
        job.outputType = outputType
        job.dicomCompression = dicomCompress
        let progress = ProgressLines()
        job.progress = progress.report
        job.tileProgress = progress.tiles
        let report = try job.run(outputs: outputs)
        printWarnings(report.warnings)
        printWritten(
          (outputType.writesNifti ? [output] : []) + report.dicomSeg.map(\.path) + [report.sidecar.path] + [stats, preview].compactMap { $0 }
            + report.masks.map(\.path),
          labels: report.labelsPresent.count)
      }
    }
  }

  struct Spine: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Segment the spine: vertebra instances (model 511) or vertebra sub-regions (512).",
      discussion: """
        Upstream's relabelling is applied: 511 maps label 27 to the disc label 100 and 16 to S1 (26); \
        512 maps its sub-regions to TPTBox's location ids (41-49, 60, 61, 100) and 16 to S1 (26).

        Examples:
          vibeseg spine water.nii.gz -o spine.nii.gz
          vibeseg spine water.nii.gz -o regions.nii.gz --model 512
        """)

    @Argument(help: "The image: .nii or .nii.gz (one 3-D volume), or a DICOM series folder, file or zip.")
    var image: String

    @OptionGroup var dicom: DICOMSelectionOptions

    @Option(name: .shortAndLong, help: "Output label map (.nii or .nii.gz).")
    var output: String

    @Option(help: "511 (vertebra instances), 512 (sub-regions), or a model folder.")
    var model: String = String(ModelCatalogEntry.defaultSpine)

    @Option(help: "For a model folder: relabel as model 511 or 512 (default: from its plans.json dataset_name).")
    var spineLabels: Int?

    @Option(help: .hidden)
    var modelFolder: String?

    @OptionGroup var modelOptions: ModelRunOptions

    func validate() throws {
      try checkNiftiOutput(output)
      try dicom.check(image)
      if let spineLabels, SpineModel(rawValue: spineLabels) == nil { throw ValidationError("--spine-labels must be 511 or 512") }
    }

    func run() throws {
      try reportingErrors {
        let outputs = try SegmentJob.outputs(
          for: URL(fileURLWithPath: output), input: dicom.input(image), overwrite: modelOptions.overwrite)
        let locator = try modelOptions.locator()
        // --model-folder (hidden) is the older spelling of --model FOLDER; with it, --model still
        // names the relabelling as before.
        let reference = modelFolder ?? model
        let labels = spineLabels.flatMap(SpineModel.init) ?? (modelFolder != nil ? Int(model).flatMap(SpineModel.init) : nil)
        let (folder, spine) = try SpineModel.resolve(reference, labels: labels, locator: locator)
        var job = SegmentJob(
          input: dicom.input(image), output: URL(fileURLWithPath: output), model: try modelOptions.load(folder),
          modelName: reference)
        job.spineModel = spine
        job.options.stepSize = modelOptions.stepSize
        job.options.padding = modelOptions.pad
        job.overwrite = modelOptions.overwrite
        let progress = ProgressLines()
        job.progress = progress.report
        job.tileProgress = progress.tiles
        let report = try job.run(outputs: outputs)
        printWarnings(report.warnings)
        printWritten([output, report.sidecar.path], labels: report.labelsPresent.count)
      }
    }
  }
}

/// Progress of a long command on stderr: `vibeseg: [  12.3 s] model 100 (5 fold(s))`, seconds
/// since the command started. Only when stderr is a terminal, so that scripts and logs get just
/// warnings and the one error line.
final class ProgressLines: @unchecked Sendable {
  let start = Date()
  let enabled = Verbosity.showsProgress
  /// When the current model's first tile finished, and when a tile line was last drawn.
  private var tilesStarted = Date()
  private var lastDrawn = Date.distantPast
  private let lock = NSLock()

  func report(_ step: String) {
    guard enabled else { return }
    printError("vibeseg: [\(String(format: "%6.1f", Date().timeIntervalSince(start))) s] \(step)")
  }

  /// Sliding-window progress, redrawn in place at most twice a second:
  /// `vibeseg: [  42.0 s]   tile 12/36, about 1 min 24 s left` (the time left extrapolated from
  /// this model's tiles so far); the last tile ends the line.
  func tiles(_ done: Int, _ total: Int) {
    guard enabled else { return }
    lock.lock()
    defer { lock.unlock() }
    let now = Date()
    if done == 1 { tilesStarted = now }
    guard done == total || now.timeIntervalSince(lastDrawn) >= 0.5 else { return }
    lastDrawn = now
    var text = "vibeseg: [\(String(format: "%6.1f", now.timeIntervalSince(start))) s]   tile \(done)/\(total)"
    if done > 1 && done < total {
      let left = now.timeIntervalSince(tilesStarted) / Double(done - 1) * Double(total - done)
      text += left >= 60 ? ", about \(Int(left) / 60) min \(Int(left) % 60) s left" : ", about \(Int(left.rounded())) s left"
    }
    FileHandle.standardError.write(Data(("\r\u{1B}[K" + text + (done == total ? "\n" : "")).utf8))
  }
}

/// The last line of a command that wrote files: what was written, where (stdout).
func printWritten(_ paths: [String], labels: Int? = nil) {
  guard Verbosity.level != .quiet else { return }
  let shown = paths.count > 4 ? paths.prefix(3) + ["... \(paths.count - 3) more"] : paths[...]
  let seconds = Date().timeIntervalSince(commandStart)
  let time = seconds >= 60 ? "\(Int(seconds) / 60) min \(Int(seconds) % 60) s" : String(format: "%.1f s", seconds)
  print("wrote \(shown.joined(separator: ", "))" + (labels.map { " (\($0) labels present)" } ?? "") + " in \(time)")
}

/// When the command started (set first thing in `main`).
nonisolated(unsafe) var commandStart = Date()
