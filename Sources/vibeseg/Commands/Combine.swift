import ArgumentParser
import DICOMCore
import DICOMInput
import Foundation
import ModelZoo
import VibeSegKit

extension VibeSegCommand {
  struct Combine: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Segment the Dixon contrasts of one subject and combine them with upstream's priorities.",
      discussion: """
        Each given contrast is segmented with the same model, validated (components outside the \
        expected count and at most autofix x 5 voxels are removed), combined (type priorities vessel, \
        lung, cns, prone_to_over_seg, bone, digestion, muscle, organ, rest; muscle and \
        prone_to_over_seg from water only; largest component for single-component structures; first \
        writer wins), validated again (x 15), and optionally hole-filled. OUT.json lists the labels \
        and every removed component. A DICOM visit (folder or zip) given with --dicom supplies every \
        contrast it holds; a DICOM input given to --water (--in-phase, --opposed-phase) is read for \
        that contrast when it holds several.

        Examples:
          vibeseg combine --water W.nii.gz --in-phase IN.nii.gz --opposed-phase OPP.nii.gz -o seg.nii.gz
          vibeseg combine --water W.nii.gz -o seg.nii.gz --intermediate parts/ --female
          vibeseg combine --dicom visit/ -o seg.nii.gz
        """)

    @Option(help: "Water image.") var water: String?
    @Option(help: "In-phase image.") var inPhase: String?
    @Option(help: "Opposed-phase image.") var opposedPhase: String?
    @Option(help: "A DICOM visit (folder or zip): its water, in-phase and opposed-phase series.") var dicom: String?
    @OptionGroup var rules: DICOMRuleOptions

    @Option(name: .shortAndLong, help: "Combined label map (.nii or .nii.gz).")
    var output: String

    @Option(help: "Model id (100, 99, ...) or model folder.")
    var model: String = String(ModelCatalogEntry.defaultWholeBody)

    @Option(help: "ROI model id or folder for a cascaded model (default: the id its dataset.json names).")
    var roiModel: String?

    @Flag(help: "Never write prostate (female subjects).")
    var female = false

    @Flag(help: "Fill holes in every structure of the combined map.")
    var fillHoles = false

    @Option(help: "Also keep each contrast's own segmentation in this folder.")
    var intermediate: String?

    @Option(help: "nifti, dicom-seg (DICOM contrasts: OUT.seg.dcm next to OUT referencing the first given contrast's series, no NIfTI map) or both.")
    var outputType: SegmentationOutputType = .nifti

    @Option(help: "DICOM-SEG encoding: none (explicit VR little endian) or deflate (about 100x smaller; pydicom, highdicom, dcmqi read it, dciodvfy does not).")
    var dicomCompress: DICOMSegCompression = .none

    @OptionGroup var modelOptions: ModelRunOptions

    func validate() throws {
      try checkNiftiOutput(output)
      if dicomCompress != .none && !outputType.writesDICOMSeg {
        throw ValidationError("--dicom-compress applies to DICOM-SEG output: add --output-type dicom-seg or both")
      }
      guard water != nil || inPhase != nil || opposedPhase != nil || dicom != nil else {
        throw ValidationError("give at least one of --water, --in-phase, --opposed-phase, or --dicom")
      }
      if dicom != nil && (water != nil || inPhase != nil || opposedPhase != nil) {
        throw ValidationError("--dicom supplies the contrasts itself; not with --water, --in-phase or --opposed-phase")
      }
      if outputType.writesDICOMSeg, let primary = water ?? inPhase ?? opposedPhase,
        FileManager.default.fileExists(atPath: primary), ImageInput.format(of: URL(fileURLWithPath: primary)) != .dicom
      {
        throw ValidationError(
          "--output-type \(outputType.rawValue) needs DICOM input (a series folder or file): \(primary) is not DICOM, so there are no source images for the segmentation to reference")
      }
    }

    func run() throws {
      try reportingErrors {
        let inputs = try contrastInputs()
        let intermediateFolder = intermediate.map { URL(fileURLWithPath: $0) }
        // Outputs first: an unwritable folder or an existing output is found before any model loads.
        let outputs = try CombineJob.outputs(
          inputs: inputs, output: URL(fileURLWithPath: output), intermediateFolder: intermediateFolder,
          overwrite: modelOptions.overwrite, outputType: outputType)
        let (main, roi) = try modelOptions.loadCascade(model: model, roiModel: roiModel)
        var job = CombineJob(inputs: inputs, output: URL(fileURLWithPath: output), model: main, roiModel: roi, modelName: model)
        job.segmentation.stepSize = modelOptions.stepSize
        job.segmentation.padding = modelOptions.pad
        job.combination.female = female
        job.combination.fillHoles = fillHoles
        job.intermediateFolder = intermediateFolder
        job.overwrite = modelOptions.overwrite
        job.outputType = outputType
        job.dicomCompression = dicomCompress
        let progress = ProgressLines()
        job.progress = progress.report
        job.tileProgress = progress.tiles
        let report = try job.run(outputs: outputs)
        printWarnings(report.warnings)
        printWritten((outputType.writesNifti ? [output] : []) + report.dicomSeg.map(\.path) + [report.sidecar.path])
      }
    }

    /// The image of each contrast. A DICOM input that holds several contrasts is read for the
    /// option's own contrast (`DICOMSelection`); `--dicom` supplies each contrast it holds.
    func contrastInputs() throws -> [ContrastCombination.Contrast: URL] {
      let rules = self.rules.selection()
      if let dicom { return try DICOMSelection.combineInputs(of: rules.applied(to: URL(fileURLWithPath: dicom))) }
      var inputs = [ContrastCombination.Contrast: URL]()
      // One index per DICOM path, however many options name it (a zip is unpacked to index it).
      var several = [String: Bool]()
      for (contrast, path) in [(DICOMContrast.water, water), (.inPhase, inPhase), (.opposedPhase, opposedPhase)] {
        guard let path else { continue }
        let plain = URL(fileURLWithPath: path)
        guard ImageInput.format(of: plain) == .dicom else {
          inputs[DICOMSelection.role(contrast)!] = plain
          continue
        }
        let url = rules.applied(to: plain)
        if several[path] == nil { several[path] = try DICOMSelection.holdsSeveralContrasts(url) }
        inputs[DICOMSelection.role(contrast)!] = several[path]! ? rules.choosing(contrast: contrast).applied(to: plain) : url
      }
      return inputs
    }
  }

  struct Labels: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "List the structures of a model: ids, names, groups and expected component counts.",
      discussion: """
        Models 100 and 99 share TotalVibeSegmentator's 72-id registry (also used for --roi-subset, \
        sidecars, statistics and combine). Other models list the labels of their dataset.json \
        (installed models or a model folder), with upstream's spine relabelling for 511 and 512.
        """)

    @Option(help: "Model id or model folder (default: the TotalVibeSegmentator registry of model 100).")
    var model: String?

    enum Format: String, ExpressibleByArgument, CaseIterable {
      case table, json, itksnap
    }

    @Option(help: "table, json (schemaVersion 1) or itksnap (an ITK-SNAP label description file with preview's colours and the ignore label, max id + 1).")
    var format: Format = .table

    @Flag(help: .hidden)
    var json = false

    func run() throws {
      try reportingErrors {
        let listing = try LabelListing.make(model: model) { reference in
          try installedModels().folder(for: reference)
        }
        switch json ? .json : format {
        case .json: try printJSON(listing)
        case .table: print(listing.table)
        case .itksnap:
          let registry = StatisticsLabelRegistry(names: Dictionary(uniqueKeysWithValues: listing.labels.map { ($0.id, $0.name) }))
          print(ITKSnapLabelFile.text(ITKSnapLabelFile.entries(names: registry.names, ignore: registry.ignoreLabel)), terminator: "")
        }
      }
    }
  }
}
