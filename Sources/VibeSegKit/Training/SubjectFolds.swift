/// Subject-grouped cross-validation folds for nnU-Net's `splits_final.json` (training.md §5.4).
///
/// Assignment rule (deterministic, no randomness): the distinct subjects are sorted by the bytes
/// of their UTF-8 names, and the subject at position `p` of that list belongs to fold
/// `p mod foldCount` (round robin). For fold `f`:
/// - `val`: the **undeformed** cases of the subjects in fold `f`;
/// - `train`: **every** case (deformed copies included) of the subjects in the other folds;
/// - the deformed copies of fold `f`'s subjects appear in neither list, so no copy of a
///   validation subject is ever trained on in that fold.
/// Both lists are sorted by case id (byte order). nnU-Net's own default (`KFold(5, shuffle=True,
/// random_state=12345)` over case ids) would put one subject's contrasts and copies on both sides.
public enum SubjectFolds {
  public struct Fold: Sendable, Equatable, Codable {
    public var train: [String]
    public var val: [String]
  }

  /// The fold index of each subject (see the type's rule).
  public static func assignment(subjects: some Sequence<String>, foldCount: Int) -> [String: Int] {
    let sorted = Set(subjects).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    return Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($0.element, $0.offset % foldCount) })
  }

  /// The folds for `cases`.
  ///
  /// - Throws: `VibeSegKitError.invalidOption` (`--folds`) when `foldCount` < 2, or exceeds the
  ///   number of subjects (a fold would have no validation case), or a fold would have no
  ///   undeformed validation case or no training case.
  public static func make(_ cases: [TrainingCase], foldCount: Int) throws(VibeSegKitError) -> [Fold] {
    let subjects = Set(cases.map(\.subject))
    guard foldCount >= 2, foldCount <= subjects.count else {
      throw VibeSegKitError(
        .invalidOption,
        "\(foldCount) folds for \(subjects.count) subjects; folds group whole subjects, so give 2...\(max(subjects.count, 2))",
        option: "--folds")
    }
    let fold = assignment(subjects: subjects, foldCount: foldCount)
    let byID = { (a: String, b: String) in Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)) }
    var folds = [Fold]()
    for f in 0..<foldCount {
      let val = cases.filter { fold[$0.subject] == f && !$0.isDeformedCopy }.map(\.caseID).sorted(by: byID)
      let train = cases.filter { fold[$0.subject] != f }.map(\.caseID).sorted(by: byID)
      guard !val.isEmpty, !train.isEmpty else {
        throw VibeSegKitError(
          .invalidOption, "fold \(f) has \(val.isEmpty ? "no undeformed validation case" : "no training case")",
          option: "--folds")
      }
      folds.append(Fold(train: train, val: val))
    }
    return folds
  }
}
