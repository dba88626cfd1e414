import Foundation
import NNUNetRuntime

extension SpineModel {
  /// The folder and the relabelling for `spine --model REFERENCE` and `batch --task spine`:
  /// - "511" or "512": that installed model (resolved by `locator`), its own relabelling;
  /// - a model folder or dataset folder: its relabelling is `labels` when given, else the one its
  ///   `plans.json` `dataset_name` (or a `Dataset511_…`/`Dataset512_…` folder in its path) names.
  /// A folder that names neither is refused rather than relabelled by guess: the two mappings send
  /// different model ids to different output ids.
  ///
  /// - Throws: `VibeSegKitError.modelUnavailable` (unknown reference, folder of unknown kind) or
  ///   `.invalidArgument` (`labels` contradicting the id given).
  public static func resolve(_ reference: String, labels: SpineModel?, locator: ModelLocator) throws -> (folder: URL, model: SpineModel) {
    let isPath = FileManager.default.fileExists(atPath: reference)
    if !isPath, let id = Int(reference) {
      guard let model = SpineModel(rawValue: id) else {
        throw VibeSegKitError(
          .modelUnavailable, "spine models are \(allCases.map { String($0.rawValue) }.joined(separator: " and ")) or a model folder, not \(id)",
          option: "--model")
      }
      if let labels, labels != model {
        throw VibeSegKitError(.invalidOption, "--spine-labels \(labels.rawValue) contradicts --model \(id); --spine-labels is for model folders", option: "--spine-labels")
      }
      return (try locator.folder(forID: id), model)
    }
    let folder = try locator.folder(for: reference)
    if let labels { return (folder, labels) }
    guard let model = inferred(from: folder) else {
      throw VibeSegKitError(
        .modelUnavailable,
        "cannot tell which spine model this folder is (plans.json dataset_name is not Dataset511_… or Dataset512_…); give --spine-labels 511 (vertebra instances) or 512 (sub-regions)",
        path: folder.path)
    }
    return (folder, model)
  }

  /// The spine model a model folder is, from its `plans.json` `dataset_name` or, failing that, the
  /// `Dataset###_…` folders on its path; nil when neither names 511 or 512.
  public static func inferred(from folder: URL) -> SpineModel? {
    var names = folder.pathComponents.reversed().map { $0 }
    if let plans = try? Plans(contentsOf: folder.appendingPathComponent("plans.json")) { names.insert(plans.datasetName, at: 0) }
    for name in names where name.hasPrefix("Dataset") {
      let digits = name.dropFirst("Dataset".count).prefix { $0.isNumber }
      if let id = Int(digits) { return SpineModel(rawValue: id) }
    }
    return nil
  }
}
