import ArgumentParser
import Foundation
import NNUNetRuntime
import VibeSegKit

extension VibeSegCommand {
  struct ModelInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "model-info",
      abstract: "Describe an nnU-Net v2 model folder: plans, network, channels, labels, folds, parameters.")

    @Argument(help: "A model folder (<Trainer>__<Plans>__<configuration>/ with dataset.json and plans.json).")
    var folder: String

    @Flag(help: "Print JSON (schemaVersion 1).")
    var json = false

    @Option(parsing: .upToNextOption, help: "Folds to load (default: every fold_N found).")
    var folds: [String] = []

    @Option(help: "Checkpoint: final or best.")
    var checkpoint: CheckpointChoice = .final

    func validate() throws {
      try checkFolds(folds)
    }

    func run() throws {
      try reportingErrors {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
          throw PlansError(.missingFile, "model folder not found", path: folder)
        }
        // The model folder, or a dataset folder holding exactly one (as segment --model accepts).
        let directory = try ModelLocator.modelFolder(in: URL(fileURLWithPath: folder))
        let bundle = try ModelBundle(directory: directory, folds: folds.isEmpty ? nil : folds, checkpoint: checkpoint.name)
        let report = ModelReport(try LoadedModel(bundle: bundle))
        if json {
          try printJSON(report)
        } else {
          print(report.text)
        }
      }
    }
  }
}

enum CheckpointChoice: String, ExpressibleByArgument, CaseIterable {
  case final, best
  var name: CheckpointName { self == .final ? .final : .best }
}
