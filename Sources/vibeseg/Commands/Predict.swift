import ArgumentParser
import Foundation
import NNUNetRuntime
import VibeSegKit

extension VibeSegCommand {
  struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Run an nnU-Net v2 model folder on one case, as nnUNetv2_predict does (CPU, no Python).",
      discussion: """
        Defaults equal nnUNetv2_predict's: every fold found, checkpoint_final.pth, step size 0.5, \
        Gaussian weighting, test-time mirroring over the axes the checkpoint allows. The label map \
        is written on the first channel's grid in the smallest integer type.
        """)

    @Option(name: .shortAndLong, help: "The model folder.")
    var model: String

    @Option(name: .shortAndLong, help: "Input channel files, in channel order (repeat -i).")
    var input: [String]

    @Option(name: .shortAndLong, help: "Output label map (.nii or .nii.gz).")
    var output: String

    @Option(parsing: .upToNextOption, help: "Folds (default: every fold_N found).")
    var folds: [String] = []

    @Option(help: "Checkpoint: final or best.")
    var checkpoint: CheckpointChoice = .final

    @Option(help: "Sliding-window step as a fraction of the patch (nnU-Net's default 0.5).")
    var stepSize: Double = 0.5

    @Flag(inversion: .prefixedNo, help: "Test-time mirroring (default on when the checkpoint allows it).")
    var tta = true

    @Option(help: "Also write class probabilities to this file (4-D float32 NIfTI).")
    var saveProbabilities: String?

    @Option(help: "Threads for the network (default: every core, as nnU-Net and PyTorch use them).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Replace existing outputs (never one of the inputs).")
    var overwrite = false

    func validate() throws {
      guard !input.isEmpty else { throw ValidationError("give at least one input channel with -i") }
      guard stepSize > 0 && stepSize <= 1 else { throw ValidationError("--step-size must be in (0, 1]") }
      guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
      try checkFolds(folds)
      for name in [output] + (saveProbabilities.map { [$0] } ?? []) {
        let lower = name.lowercased()
        guard lower.hasSuffix(".nii") || lower.hasSuffix(".nii.gz") else {
          throw ValidationError("\(name): outputs must end in .nii or .nii.gz")
        }
      }
    }

    func run() throws {
      try reportingErrors {
        var job = PredictionJob(modelFolder: URL(fileURLWithPath: model), inputs: input.map { URL(fileURLWithPath: $0) },
          output: URL(fileURLWithPath: output))
        job.folds = folds.isEmpty ? nil : folds
        job.checkpoint = checkpoint.name
        job.options.stepSize = stepSize
        job.options.mirroring = tta
        job.probabilitiesOutput = saveProbabilities.map { URL(fileURLWithPath: $0) }
        job.threads = threads
        job.overwrite = overwrite
        for warning in try job.run() { printError("vibeseg: warning: \(warning)") }
        printWritten([output] + (saveProbabilities.map { [$0] } ?? []))
      }
    }
  }
}
