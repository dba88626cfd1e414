import DICOMCore
import Foundation

/// The Dixon contrast of a series group.
public enum DICOMContrast: String, Sendable, CaseIterable, Codable {
  case water
  case fat
  case inPhase = "in"
  case opposedPhase = "opp"
  /// Not one of the four Dixon contrasts (a localizer, another sequence, or no evidence).
  case other

  /// The four Dixon contrasts, in the order stations are compared (water is the reference).
  public static let dixon: [DICOMContrast] = [.water, .fat, .inPhase, .opposedPhase]
}

/// How a group's contrast was decided, and every piece of evidence seen.
public struct ContrastDecision: Sendable, Equatable {
  public enum Rule: String, Sendable {
    case imageType
    case seriesDescription
    case echoTime
    /// `--contrast-map`: the user said so (overrides the rules and their conflicts).
    case contrastMap
  }

  public var contrast: DICOMContrast
  /// The rule that decided (the first that matched); nil for `other`.
  public var rule: Rule?
  /// One line per source consulted that said something, in rule order.
  public var evidence: [String]
}

/// dicom.md 2.4 rule 2: contrast per group, first match wins, every source recorded, and two
/// sources that disagree are an error naming both values.
///
/// 1. An ImageType token: `WATER`/`W` water, `FAT`/`F` fat, `IN_PHASE`/`IP` in, `OPP_PHASE`/`OUT_PHASE`/`OP` opp.
/// 2. The last `_`-separated token of SeriesDescription (case-insensitive): `W`, `F`, `in`, `opp`
///    (UK Biobank `Dixon_BH_17s_W`, NAKO `3D_GRE_TRA_W`).
/// 3. In vs opposed phase by EchoTime: of two otherwise unclassified groups at the same slice
///    positions with different first-echo TEs, the larger TE is in-phase (1.5 T about 4.8 vs
///    2.4 ms, 3 T about 2.5 vs 1.2 ms). The same comparison checks groups already classified in/opp.
public enum ContrastRule {
  static let imageTypeTokens: [String: DICOMContrast] = [
    "WATER": .water, "W": .water, "FAT": .fat, "F": .fat, "IN_PHASE": .inPhase, "IP": .inPhase,
    "OPP_PHASE": .opposedPhase, "OUT_PHASE": .opposedPhase, "OP": .opposedPhase,
  ]
  static let descriptionTokens: [String: DICOMContrast] = ["W": .water, "F": .fat, "IN": .inPhase, "OPP": .opposedPhase]

  static func classify(_ groups: inout [SeriesGroup], problems: inout [DICOMProblem], map: [String: DICOMContrast] = [:]) {
    for i in groups.indices {
      groups[i].contrast = decide(groups[i], problems: &problems)
    }
    echoTimeRule(&groups, problems: &problems)
    applyMap(map, to: &groups, problems: &problems)
  }

  /// `--contrast-map SERIES=CONTRAST,...` (dicom.md 2.4 rule 2's override): each key is a
  /// SeriesNumber or a SeriesInstanceUID; the groups it names take that contrast (rule
  /// `contrastMap`, the former decision kept as evidence) and the contrast conflicts that involve
  /// them are dropped. A key that names no group is an error (a typo must not pass silently).
  static func applyMap(_ map: [String: DICOMContrast], to groups: inout [SeriesGroup], problems: inout [DICOMProblem]) {
    guard !map.isEmpty else { return }
    var overridden = Set<String>()
    for (key, contrast) in map.sorted(by: { $0.key < $1.key }) {
      let matching = groups.indices.filter { groups[$0].seriesNumber.map(String.init) == key || groups[$0].key.seriesInstanceUID == key }
      guard !matching.isEmpty else {
        problems.append(DICOMProblem(.error, .contrastConflict, "--contrast-map names series \(key), which is not in the input"))
        continue
      }
      for i in matching {
        let before = groups[i].contrast
        groups[i].contrast = ContrastDecision(
          contrast: contrast, rule: .contrastMap,
          evidence: before.evidence + ["--contrast-map \(key)=\(contrast.rawValue) (the rules said \(before.contrast.rawValue))"])
        overridden.insert(groups[i].key.seriesInstanceUID)
      }
    }
    problems.removeAll { $0.kind == .contrastConflict && !$0.series.isEmpty && $0.series.contains(where: overridden.contains) }
  }

  /// Parses `7=water,8=fat` (SeriesNumber or SeriesInstanceUID = water|fat|in|opp|other).
  ///
  /// - Throws: `DICOMError.invalidValue` naming the bad entry.
  public static func parseMap(_ text: String) throws -> [String: DICOMContrast] {
    var map = [String: DICOMContrast]()
    for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
      let pair = entry.split(separator: "=", maxSplits: 1).map(String.init)
      guard pair.count == 2, !pair[0].isEmpty, let contrast = DICOMContrast(rawValue: pair[1]) else {
        throw DICOMError(
          .invalidValue, "--contrast-map entry '\(entry)': expected SERIES=CONTRAST with CONTRAST one of \(DICOMContrast.allCases.map(\.rawValue).joined(separator: ", "))",
          path: "")
      }
      map[pair[0]] = contrast
    }
    return map
  }

  /// Rules 1 and 2 for one group.
  static func decide(_ group: SeriesGroup, problems: inout [DICOMProblem]) -> ContrastDecision {
    var evidence: [String] = []
    var votes: [(rule: ContrastDecision.Rule, contrast: DICOMContrast, what: String)] = []
    let imageType = group.key.imageType.joined(separator: "\\")
    let matches = group.key.imageType.compactMap { token in imageTypeTokens[token.uppercased()].map { (token, $0) } }
    for (token, contrast) in matches {
      evidence.append("ImageType \(DICOMText.printable(imageType)): token \(DICOMText.printable(token)) -> \(contrast.rawValue)")
    }
    if let (token, contrast) = matches.first {
      votes.append((.imageType, contrast, "ImageType token \(DICOMText.printable(token)) says \(contrast.rawValue)"))
      if let other = matches.first(where: { $0.1 != contrast }) {
        votes.append((.imageType, other.1, "ImageType token \(DICOMText.printable(other.0)) says \(other.1.rawValue)"))
      }
    }
    if let description = group.seriesDescription,
      let token = description.split(separator: "_", omittingEmptySubsequences: false).last,
      let contrast = descriptionTokens[token.uppercased()]
    {
      let what = "SeriesDescription '\(DICOMText.printable(description))' ends in _\(DICOMText.printable(String(token)))"
      evidence.append("\(what) -> \(contrast.rawValue)")
      votes.append((.seriesDescription, contrast, "\(what), which says \(contrast.rawValue)"))
    }
    guard let decided = votes.first else { return ContrastDecision(contrast: .other, rule: nil, evidence: evidence) }
    if let disagreeing = votes.first(where: { $0.contrast != decided.contrast }) {
      problems.append(
        DICOMProblem(
          .error, .contrastConflict,
          "\(group.name): conflicting contrast: \(decided.what), but \(disagreeing.what)",
          series: [group.key.seriesInstanceUID], paths: [group.first.path]))
    }
    return ContrastDecision(contrast: decided.contrast, rule: decided.rule, evidence: evidence)
  }

  /// Rule 3, and the echo-time check of in/opp decided by rules 1-2.
  static func echoTimeRule(_ groups: inout [SeriesGroup], problems: inout [DICOMProblem]) {
    // Partners: same study, geometry and slice positions, different echo times.
    func partners(of i: Int, where accept: (SeriesGroup) -> Bool) -> [Int] {
      groups.indices.filter { j in
        j != i && accept(groups[j]) && groups[j].key.studyInstanceUID == groups[i].key.studyInstanceUID
          && groups[j].sameGeometry(as: groups[i]) && groups[j].samePositions(as: groups[i])
      }
    }
    let echo = { (g: SeriesGroup) in g.key.echoTime.map { SeriesGroup.mm($0, digits: 2) } ?? "?" }
    // Decided on the groups as rules 1-2 left them, then applied (each pair is seen from both sides).
    var assigned: [(Int, ContrastDecision)] = []
    for i in groups.indices where groups[i].contrast.contrast == .other {
      guard let te = groups[i].key.echoTime else { continue }
      let candidates = partners(of: i) { $0.contrast.contrast == .other && $0.key.echoTime != nil }
      guard candidates.count == 1, let otherTE = groups[candidates[0]].key.echoTime, otherTE != te else { continue }
      let j = candidates[0]
      let contrast: DICOMContrast = te > otherTE ? .inPhase : .opposedPhase
      let line =
        "EchoTime \(echo(groups[i])) ms vs \(echo(groups[j])) ms of \(groups[j].name) at the same positions: the larger first-echo TE is in-phase -> \(contrast.rawValue)"
      assigned.append((i, ContrastDecision(contrast: contrast, rule: .echoTime, evidence: groups[i].contrast.evidence + [line])))
    }
    for (i, decision) in assigned { groups[i].contrast = decision }
    // Groups classified in/opp by rules 1-2: the in-phase TE must be the larger.
    for i in groups.indices where groups[i].contrast.contrast == .inPhase && groups[i].contrast.rule != .echoTime {
      guard let te = groups[i].key.echoTime else { continue }
      for j in partners(of: i, where: { $0.contrast.contrast == .opposedPhase && $0.contrast.rule != .echoTime }) {
        guard let otherTE = groups[j].key.echoTime, te < otherTE else { continue }
        problems.append(
          DICOMProblem(
            .error, .contrastConflict,
            "conflicting contrast: \(groups[i].name) is in-phase by \(groups[i].contrast.rule!.rawValue) and \(groups[j].name) opposed-phase, but the in-phase EchoTime \(echo(groups[i])) ms is smaller than \(echo(groups[j])) ms",
            series: [groups[i].key.seriesInstanceUID, groups[j].key.seriesInstanceUID],
            paths: [groups[i].first.path, groups[j].first.path]))
      }
    }
  }
}
