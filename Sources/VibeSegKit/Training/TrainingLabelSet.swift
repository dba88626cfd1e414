import Foundation

/// The label set of an nnU-Net training export: names for ids 1...N, consecutive (nnU-Net
/// refuses gaps, training.md §5.1), and the ignore label N + 1
/// (`StatisticsLabelRegistry.ignoreLabel`, the one definition of it).
public struct TrainingLabelSet: Sendable, Equatable {
  /// Name of each id 1...maxID.
  public var names: [Int: String]
  /// Where the names came from ("TotalVibeSegmentator's table" or the file's path).
  public var source: String

  public var maxID: Int { names.keys.max() ?? 0 }
  public var ignoreLabel: Int { StatisticsLabelRegistry(names: names).ignoreLabel }

  /// TotalVibeSegmentator's 72 labels (ignore = 73).
  public static let totalVibe = TrainingLabelSet(
    names: StatisticsLabelRegistry.totalVibe.names, source: "TotalVibeSegmentator's table")

  init(names: [Int: String], source: String) {
    self.names = names
    self.source = source
  }

  /// Reads a label-name file (`LabelNameFile`: a dataset.json, id → name, name → id, ITK-SNAP)
  /// and checks it can be an nnU-Net label set.
  ///
  /// - Throws: `VibeSegKitError.invalidLabelFile` naming the file: ids not 1...N without gaps,
  ///   a name given twice, or a label named `background` or `ignore` (both are written by the
  ///   export itself).
  public init(contentsOf url: URL) throws(VibeSegKitError) {
    let names = try LabelNameFile.load(contentsOf: url, option: "--label-names")
    let ids = names.keys.sorted()
    if let gap = (1...max(ids.last ?? 1, 1)).first(where: { names[$0] == nil }) {
      throw VibeSegKitError(
        .invalidLabelFile,
        "label ids must be 1...\(ids.last ?? 0) without gaps (nnU-Net requires consecutive labels); id \(gap) has no name (name it e.g. \"unused\")",
        path: url.path, option: "--label-names")
    }
    var seen = [String: Int]()
    for id in ids {
      let name = names[id]!
      if let other = seen[name] {
        throw VibeSegKitError(
          .invalidLabelFile, "name '\(name)' is given to ids \(other) and \(id)", path: url.path,
          option: "--label-names")
      }
      if name == "background" || name == "ignore" {
        throw VibeSegKitError(
          .invalidLabelFile,
          "id \(id) is named '\(name)'; background (0) and ignore (max id + 1) are added by the export", path: url.path,
          option: "--label-names")
      }
      seen[name] = id
    }
    self.init(names: names, source: url.path)
  }

  /// dataset.json's `labels` in id order: `background: 0`, the names, `ignore: N + 1`.
  public var datasetLabels: [(name: String, id: Int)] {
    [("background", 0)] + names.keys.sorted().map { (names[$0]!, $0) } + [("ignore", ignoreLabel)]
  }
}
