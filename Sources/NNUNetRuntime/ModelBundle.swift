import Foundation

/// Which checkpoint file of a fold to use (`-chk` in nnU-Net).
public enum CheckpointName: String, Sendable, CaseIterable {
  case final = "checkpoint_final.pth"
  case best = "checkpoint_best.pth"
}

/// How the folds and their checkpoint files are chosen.
public enum FoldRule: String, Sendable, Hashable {
  /// nnU-Net v2 (`nnUNetPredictor.initialize_from_trained_model_folder`, `vibeseg predict`):
  /// default folds are the `fold_N` folders (names sorted as strings, `fold_all` excluded) that
  /// hold the requested checkpoint; a fold without it is left out (with a warning); a requested
  /// fold without it is an error. VibeSeg's one addition: `fold_all` when no `fold_N` qualifies.
  case nnUNet
  /// TPTBox 1.1.0 (`run_inference_on_file`, `load_inf_model`; `vibeseg segment`): default folds
  /// are every `fold*` folder, names sorted as strings (`fold_all` included); the requested
  /// checkpoint when every fold has it, else `checkpoint_best.pth` for every fold (a warning),
  /// never a mix.
  case tptbox
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

  /// `fold:checkpoint file` per fold, in fold order (`0:checkpoint_final.pth`): how manifests and
  /// sidecars name the folds that ran.
  public var foldLabels: [String] { folds.map { "\($0.fold):\($0.name.rawValue)" } }

  /// Opens a model folder.
  ///
  /// - Parameters:
  ///   - folds: fold names ("0", "1", ..., "all"); nil finds every `fold_N` folder (not
  ///     `fold_all`) that holds a checkpoint, as nnU-Net does with `use_folds=None`, or `fold_all`
  ///     when there is no `fold_N`.
  ///   - checkpoint: the file to use in each fold (see `rule` for a missing one).
  ///   - configuration: overrides the configuration named by the folder.
  ///   - rule: how folds and checkpoints are chosen: nnU-Net's (default) or TPTBox's.
  ///   - maxFolds: `FoldRule.tptbox` only: keep the first N default folds (names sorted as
  ///     strings), TPTBox's `max_folds=N` (`run_inference_on_file`: `folds[:max_folds]`, before
  ///     the checkpoint is chosen). Ignored when `folds` names them.
  public init(directory: URL, folds requested: [String]? = nil, checkpoint: CheckpointName = .final,
    configuration override: String? = nil, rule: FoldRule = .nnUNet, maxFolds: Int? = nil) throws {
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
    folds = try rule == .nnUNet
      ? Self.findFolds(in: directory, requested: requested, checkpoint: checkpoint, warnings: &warnings)
      : Self.findFoldsAsTPTBox(in: directory, requested: requested, checkpoint: checkpoint, maxFolds: maxFolds, warnings: &warnings)
    self.warnings = warnings
  }

  /// `FoldRule.nnUNet`.
  static func findFolds(in directory: URL, requested: [String]?, checkpoint: CheckpointName, warnings: inout [String]) throws -> [FoldCheckpoint] {
    let fm = FileManager.default
    func checkpointURL(_ fold: String) -> FoldCheckpoint? {
      let wanted = directory.appendingPathComponent("fold_\(fold)").appendingPathComponent(checkpoint.rawValue)
      return fm.fileExists(atPath: wanted.path) ? FoldCheckpoint(fold: fold, url: wanted, name: checkpoint) : nil
    }
    if let requested {
      return try requested.map { fold in
        try checkFoldName(fold, in: directory)
        guard let found = checkpointURL(fold) else {
          throw PlansError(.missingFile, "fold_\(fold) has no \(checkpoint.rawValue)", path: directory.appendingPathComponent("fold_\(fold)").path)
        }
        return found
      }
    }
    var found = [FoldCheckpoint]()
    for name in foldFolders(in: directory) where name != "fold_all" {
      let fold = String(name.dropFirst(5))
      guard Int(fold) != nil else { continue }
      if let checkpoint = checkpointURL(fold) {
        found.append(checkpoint)
      } else {
        warnings.append("\(name): no \(checkpoint.rawValue); left out, as nnU-Net does (choose the checkpoint with --checkpoint)")
      }
    }
    if found.isEmpty, let all = checkpointURL("all") { found = [all] }
    guard !found.isEmpty else {
      throw PlansError(.missingFile, "no fold_N (or fold_all) folder with \(checkpoint.rawValue)", path: directory.path)
    }
    return found
  }

  /// `FoldRule.tptbox`.
  static func findFoldsAsTPTBox(in directory: URL, requested: [String]?, checkpoint: CheckpointName, maxFolds: Int? = nil, warnings: inout [String]) throws -> [FoldCheckpoint] {
    let folds = try requested ?? Array(foldFolders(in: directory).map { String($0.dropFirst(5)) }.prefix(max(maxFolds ?? .max, 1)))
    for fold in folds { try checkFoldName(fold, in: directory) }
    guard !folds.isEmpty else {
      throw PlansError(.missingFile, "no fold_N (or fold_all) folder", path: directory.path)
    }
    func urls(_ name: CheckpointName) -> [FoldCheckpoint]? {
      let all = folds.map { FoldCheckpoint(fold: $0, url: directory.appendingPathComponent("fold_\($0)").appendingPathComponent(name.rawValue), name: name) }
      return all.allSatisfy { FileManager.default.fileExists(atPath: $0.url.path) } ? all : nil
    }
    if let found = urls(checkpoint) { return found }
    if checkpoint == .final, let best = urls(.best) {
      warnings.append("not every fold has \(CheckpointName.final.rawValue); every fold uses \(CheckpointName.best.rawValue), as upstream does")
      return best
    }
    let missing = folds.filter { !FileManager.default.fileExists(atPath: directory.appendingPathComponent("fold_\($0)/\(checkpoint.rawValue)").path) }
    throw PlansError(
      .missingFile, "fold_\(missing[0]) has no \(checkpoint.rawValue)\(checkpoint == .final ? " (and not every fold has \(CheckpointName.best.rawValue))" : "")",
      path: directory.appendingPathComponent("fold_\(missing[0])").path)
  }

  /// The `fold_*` folders of `directory`, names sorted as strings (Python's `sorted`).
  static func foldFolders(in directory: URL) -> [String] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return entries.filter { name in
      var isDirectory: ObjCBool = false
      return name.hasPrefix("fold_") && FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path, isDirectory: &isDirectory)
        && isDirectory.boolValue
    }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
  }

  static func checkFoldName(_ fold: String, in directory: URL) throws {
    guard fold == "all" || Int(fold) != nil else {
      throw PlansError(.invalidField, "fold '\(fold)' is neither a number nor 'all'", path: directory.path)
    }
  }
}
