import ArgumentParser
import Foundation
import NNUNetRuntime
import VibeSegKit

extension VibeSegCommand {
  struct ModelInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "model-info",
      abstract: "Describe an nnU-Net v2 model folder: plans, network, channels, labels, folds, parameters.")

    @Argument(help: "A model folder (<Trainer>__<Plans>__<configuration>/ with dataset.json and plans.json), a dataset folder holding one, or an installed model id.")
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
        // The forms every command accepts (`ModelLocator`): folder, dataset folder, installed id.
        let directory = try installedModels().folder(for: folder)
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

/// `--checkpoint final|best`; nnU-Net's file names (`-chk checkpoint_best.pth`) are accepted too.
enum CheckpointChoice: String, ExpressibleByArgument, CaseIterable {
  case final, best
  var name: CheckpointName { self == .final ? .final : .best }

  init?(argument: String) {
    let short = argument.hasPrefix("checkpoint_") && argument.hasSuffix(".pth") ? String(argument.dropFirst(11).dropLast(4)) : argument
    self.init(rawValue: short)
  }
}
