import ArgumentParser
import Foundation
import VolumeCore
import Cohort
import NNUNetRuntime
import NiftiIO
import VibeSegKit

extension VibeSegCommand {
  struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Run an nnU-Net v2 model on one case or a folder of cases, as nnUNetv2_predict does (CPU, no Python).",
      discussion: """
        Defaults equal nnUNetv2_predict's: every fold found, checkpoint_final.pth, step size 0.5, \
        Gaussian weighting, test-time mirroring over the axes the checkpoint allows. The label map \
        is written on the first channel's grid in the smallest integer type.

        nnUNetv2_predict's spelling works too: -i FOLDER -o FOLDER (cases grouped by their _0000, \
        _0001 ... channel suffix, one <case>.nii.gz each, the model loaded once), -d DATASET [-c \
        CONFIG] [-tr TRAINER] [-p PLANS] (looked up in $nnUNet_results), -f, -chk, -step_size, \
        --disable_tta.

        Examples:
          vibeseg predict -m MODEL_FOLDER -i case_0000.nii.gz -o case.nii.gz
          vibeseg predict -d 42 -c 3d_fullres -f 0 1 -i imagesTs -o predictions --disable_tta
        """)

    @Option(name: .shortAndLong, help: "The model: a model folder, a dataset folder holding one, or an installed model id (as segment --model).")
    var model: String?

    @Option(name: [.customShort("d"), .customLong("dataset")], help: "nnU-Net: the dataset id or name in $nnUNet_results (instead of -m).")
    var dataset: String?

    @Option(name: [.customShort("c"), .customLong("configuration")], help: "nnU-Net: the configuration with -d (default 3d_fullres).")
    var configuration: String = "3d_fullres"

    @Option(name: [.customLong("tr", withSingleDash: true), .customLong("trainer")], help: "nnU-Net: the trainer with -d (default nnUNetTrainer).")
    var trainer: String = "nnUNetTrainer"

    @Option(name: [.customShort("p"), .customLong("plans")], help: "nnU-Net: the plans with -d (default nnUNetPlans).")
    var plans: String = "nnUNetPlans"

    @Option(name: .shortAndLong, help: "Input channel files, in channel order (repeat -i), or one folder of cases (nnU-Net's _0000 names).")
    var input: [String]

    @Option(name: .shortAndLong, help: "Output label map (.nii or .nii.gz), or a folder when -i is a folder.")
    var output: String

    @Option(name: [.customShort("f"), .long], parsing: .upToNextOption, help: "Folds (default: every fold_N found).")
    var folds: [String] = []

    @Option(name: [.long, .customLong("chk", withSingleDash: true)], help: "Checkpoint: final or best (or the file name, checkpoint_final.pth).")
    var checkpoint: CheckpointChoice = .final

    @Option(name: [.long, .customLong("step_size", withSingleDash: true)], help: "Sliding-window step as a fraction of the patch (nnU-Net's default 0.5).")
    var stepSize: Double = 0.5

    @Flag(inversion: .prefixedNo, help: "Test-time mirroring (default on when the checkpoint allows it).")
    var tta = true

    @Flag(name: .customLong("disable_tta"), help: "nnU-Net's spelling of --no-tta.")
    var disableTTA = false

    @Option(help: "Also write class probabilities to this file (4-D float32 NIfTI; one case only).")
    var saveProbabilities: String?

    @Option(help: "Threads for the network (default: every usable core: affinity and cgroup quota respected, as nnU-Net and PyTorch use them).")
    var threads: Int = UsableCores.count

    @Flag(help: "Replace existing outputs (never one of the inputs).")
    var overwrite = false

    @OptionGroup var verbosity: VerbosityOptions

    /// `-i FOLDER`: one input that is a folder of cases (a folder holding DICOM is one image,
    /// read through `ImageInput`, not a folder of cases).
    var inputFolder: URL? {
      var isDirectory: ObjCBool = false
      guard input.count == 1, FileManager.default.fileExists(atPath: input[0], isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
      let url = URL(fileURLWithPath: input[0])
      return ImageInput.format(of: url) == .dicom ? nil : url
    }

    func validate() throws {
      guard !input.isEmpty else { throw ValidationError("give at least one input channel with -i") }
      guard (model == nil) != (dataset == nil) else { throw ValidationError("give the model with -m MODEL or nnU-Net's -d DATASET (not both)") }
      guard stepSize > 0 && stepSize <= 1 else { throw ValidationError("--step-size must be in (0, 1]") }
      guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
      try checkFolds(folds)
      if inputFolder != nil {
        guard !NiftiFileName.isNifti(output) else { throw ValidationError("-i is a folder, so -o names a folder too (one <case>.nii.gz per case), not \(output)") }
        guard saveProbabilities == nil else { throw ValidationError("--save-probabilities takes one case (one file name); not with -i FOLDER") }
      } else {
        for name in [output] + (saveProbabilities.map { [$0] } ?? []) { try checkNiftiOutput(name) }
      }
    }

    /// `-m` as given, or `-d/-tr/-p/-c` looked up in `$nnUNet_results` as nnU-Net does
    /// (`<results>/Dataset<ID:03>_<Name>/<trainer>__<plans>__<configuration>`).
    func modelReference() throws -> String {
      if let model { return model }
      guard let results = ProcessInfo.processInfo.environment["nnUNet_results"], !results.isEmpty else {
        throw VibeSegKitError(.modelUnavailable, "-d needs $nnUNet_results set to nnU-Net's results folder (or give the model folder with -m)", option: "-d")
      }
      let name = dataset!
      let names = (try? FileManager.default.contentsOfDirectory(atPath: results)) ?? []
      let wanted = Int(name).map { String(format: "Dataset%03d_", $0) }
      let matches = names.filter { wanted.map($0.hasPrefix) ?? ($0 == name) }.sorted()
      guard matches.count == 1 else {
        throw VibeSegKitError(
          .modelUnavailable, matches.isEmpty ? "no dataset '\(name)' in $nnUNet_results" : "several datasets match '\(name)': \(matches.joined(separator: ", "))",
          path: results)
      }
      return URL(fileURLWithPath: results).appendingPathComponent(matches[0]).appendingPathComponent("\(trainer)__\(plans)__\(configuration)").path
    }

    func run() throws {
      try reportingErrors {
        let reference = try modelReference()
        var job = PredictionJob(modelFolder: URL(fileURLWithPath: reference), inputs: input.map { URL(fileURLWithPath: $0) },
          output: URL(fileURLWithPath: output))
        job.model = reference
        job.locator = try installedModels()
        job.folds = folds.isEmpty ? nil : folds
        job.checkpoint = checkpoint.name
        job.options.stepSize = stepSize
        job.options.mirroring = tta && !disableTTA
        job.probabilitiesOutput = saveProbabilities.map { URL(fileURLWithPath: $0) }
        job.threads = threads
        job.overwrite = overwrite
        let progress = ProgressLines()
        job.progress = progress.report
        job.options.tileProgress = progress.tiles
        if let inputFolder {
          try runFolder(inputFolder, job: job)
          return
        }
        printWarnings(try job.run())
        printWritten([output] + (saveProbabilities.map { [$0] } ?? []))
      }
    }

    /// nnUNetv2_predict's folder mode: the cases of `folder` (`CaseDiscovery`, nnU-Net's channel
    /// suffixes), each written to `-o`/`<case>.nii.gz`, the model loaded once. Every output is
    /// checked before the first case runs (existing ones need --overwrite).
    func runFolder(_ folder: URL, job template: PredictionJob) throws {
      let cases = try CaseDiscovery.cases(from: .folder(folder, pattern: nil))
      let outputFolder = URL(fileURLWithPath: output)
      try FileManager.default.createDirectory(at: outputFolder, withIntermediateDirectories: true)
      let outputs = cases.map { outputFolder.appendingPathComponent("\($0.id).nii.gz") }
      let existing = overwrite ? [] : outputs.filter { FileManager.default.fileExists(atPath: $0.path) }
      if let first = existing.first {
        throw NiftiError(.cannotCreateOutput, "exists; pass --overwrite to replace it (\(existing.count) of \(outputs.count) outputs exist)", path: first.path)
      }
      let (model, warnings) = try template.loadModel()
      printWarnings(warnings)
      for (index, (item, out)) in zip(cases, outputs).enumerated() {
        var job = template
        job.inputs = item.inputs
        job.output = out
        printWarnings(try job.run(using: model))
        if Verbosity.level != .quiet { printError("vibeseg: [\(index + 1)/\(cases.count)] wrote \(out.path)") }
      }
      printWritten(["\(cases.count) label maps in \(outputFolder.path)"])
    }
  }
}
