import Foundation

/// Which checkpoint file of a fold to use (`-chk` in nnU-Net).
public enum CheckpointName: String, Sendable, CaseIterable {
  case final = "checkpoint_final.pth"
  case best = "checkpoint_best.pth"
}

/// One fold's checkpoint file.
public struct FoldCheckpoint: Sendable, Equatable {
  /// "0" ... "4" or "all".
  public var fold: String
  public var url: URL
  public var name: CheckpointName
}

/// A trained nnU-Net v2 model folder (`<Trainer>__<Plans>__<configuration>/`, nnunet-inference.md
/// 1.1): dataset.json and plans.json decoded, the configuration resolved, the folds found.
///
/// ```swift
/// let bundle = try ModelBundle(directory: modelURL)
/// ```
public struct ModelBundle: Sendable {
  public var directory: URL
  public var dataset: DatasetDescription
  public var plans: Plans
  public var labels: LabelLayout
  /// From the folder name `<Trainer>__<Plans>__<configuration>`; the trainer stored in the first
  /// fold's checkpoint is authoritative (`trainer_name`), this is what the folder claims.
  public var trainerName: String?
  public var configurationName: String
  public var configuration: Configuration
  /// The checkpoints to run, in fold order.
  public var folds: [FoldCheckpoint]
  /// Things a user should know (e.g. a fold fell back to checkpoint_best.pth).
  public var warnings: [String]

  /// Opens a model folder.
  ///
  /// - Parameters:
  ///   - folds: fold names ("0", "1", ..., "all"); nil finds every `fold_N` folder (not
  ///     `fold_all`) that holds a checkpoint, as nnU-Net does with `use_folds=None`, or `fold_all`
  ///     when there is no `fold_N`.
  ///   - checkpoint: the file to use in each fold. When `.final` is missing but
  ///     `checkpoint_best.pth` exists, that is used with a warning (a training that never finished).
  ///   - configuration: overrides the configuration named by the folder.
  public init(directory: URL, folds requested: [String]? = nil, checkpoint: CheckpointName = .final,
    configuration override: String? = nil) throws {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    guard fm.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw PlansError(.missingFile, "model folder not found", path: directory.path)
    }
    self.directory = directory
    let datasetURL = directory.appendingPathComponent("dataset.json")
    let plansURL = directory.appendingPathComponent("plans.json")
    for url in [datasetURL, plansURL] where !fm.fileExists(atPath: url.path) {
      throw PlansError(.missingFile, "missing: an nnU-Net model folder holds dataset.json and plans.json", path: url.path)
    }
    dataset = try DatasetDescription(contentsOf: datasetURL)
    plans = try Plans(contentsOf: plansURL)
    labels = try dataset.labelLayout(path: datasetURL.path)
    let parts = directory.lastPathComponent.components(separatedBy: "__")
    trainerName = parts.count == 3 ? parts[0] : nil
    let configurationName = override ?? (parts.count == 3 ? parts[2] : "3d_fullres")
    self.configurationName = configurationName
    configuration = try plans.configuration(configurationName, path: plansURL.path)
    guard configuration.normalizationSchemes.count == dataset.channelNames.count else {
      throw PlansError(.invalidField, "\(configuration.normalizationSchemes.count) normalisation schemes for \(dataset.channelNames.count) channels in dataset.json", path: plansURL.path, field: "configurations.\(configurationName).normalization_schemes")
    }
    var warnings = [String]()
    folds = try Self.findFolds(in: directory, requested: requested, checkpoint: checkpoint, warnings: &warnings)
    self.warnings = warnings
  }

  static func findFolds(in directory: URL, requested: [String]?, checkpoint: CheckpointName, warnings: inout [String]) throws -> [FoldCheckpoint] {
    let fm = FileManager.default
    let entries = (try? fm.contentsOfDirectory(atPath: directory.path)) ?? []
    func checkpointURL(_ fold: String) -> FoldCheckpoint? {
      let folder = directory.appendingPathComponent("fold_\(fold)")
      let wanted = folder.appendingPathComponent(checkpoint.rawValue)
      if fm.fileExists(atPath: wanted.path) { return FoldCheckpoint(fold: fold, url: wanted, name: checkpoint) }
      if checkpoint == .final {
        let best = folder.appendingPathComponent(CheckpointName.best.rawValue)
        if fm.fileExists(atPath: best.path) {
          warnings.append("fold_\(fold): no \(CheckpointName.final.rawValue) (training did not finish?); using \(CheckpointName.best.rawValue)")
          return FoldCheckpoint(fold: fold, url: best, name: .best)
        }
      }
      return nil
    }
    if let requested {
      return try requested.map { fold in
        guard fold == "all" || Int(fold) != nil else {
          throw PlansError(.invalidField, "fold '\(fold)' is neither a number nor 'all'", path: directory.path)
        }
        guard let found = checkpointURL(fold) else {
          throw PlansError(.missingFile, "fold_\(fold) has no \(checkpoint.rawValue)", path: directory.appendingPathComponent("fold_\(fold)").path)
        }
        return found
      }
    }
    let numbered = entries.compactMap { name -> Int? in
      guard name.hasPrefix("fold_"), let n = Int(name.dropFirst(5)) else { return nil }
      return n
    }.sorted()
    var found = numbered.compactMap { checkpointURL(String($0)) }
    if found.isEmpty, let all = checkpointURL("all") { found = [all] }
    guard !found.isEmpty else {
      throw PlansError(.missingFile, "no fold_N (or fold_all) folder with \(checkpoint.rawValue)", path: directory.path)
    }
    return found
  }
}
