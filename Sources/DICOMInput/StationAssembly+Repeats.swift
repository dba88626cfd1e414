import DICOMCore

/// What the index does with a station acquired twice in one contrast (dicom.md 2.4 rule 3):
/// `refuse` (default: an error listing both), or `newest`: keep the latest acquisition
/// (Langner's rule for UK Biobank repeats), set the others aside with a warning.
public enum DuplicateStationRule: String, Sendable, CaseIterable {
  case refuse
  case newest
}

extension StationAssembly {
  /// `newest`: within each Dixon contrast, of the groups that are one station (`sameStation`),
  /// keeps the one acquired last — AcquisitionTime of its first slice, else SeriesTime, as
  /// seconds of the day; ties and missing times go to the higher SeriesNumber — and removes the
  /// others from `groups`, each named in a warning.
  static func keepNewest(_ groups: inout [SeriesGroup], problems: inout [DICOMProblem]) {
    var dropped = Set<Int>()
    for contrast in DICOMContrast.dixon {
      let candidates = groups.indices.filter { groups[$0].contrast.contrast == contrast }
        .sorted { center(groups[$0]) > center(groups[$1]) }
      var clusters: [[Int]] = []
      for i in candidates {
        if let last = clusters.last, sameStation(groups[last[0]], groups[i]) {
          clusters[clusters.count - 1].append(i)
        } else {
          clusters.append([i])
        }
      }
      for cluster in clusters where cluster.count > 1 {
        let kept = cluster.max { order(groups[$0]) < order(groups[$1]) }!
        let others = cluster.filter { $0 != kept }
        dropped.formUnion(others)
        let describe = { (g: SeriesGroup) in "\(g.name) (time \(g.first.acquisitionTime ?? g.first.seriesTime ?? "?"))" }
        problems.append(
          DICOMProblem(
            .warning, .repeatedStation,
            "repeated \(contrast.rawValue) station: kept the newest, \(describe(groups[kept])); set aside \(others.map { describe(groups[$0]) }.joined(separator: " and ")) (--duplicate-station newest)",
            series: cluster.map { groups[$0].key.seriesInstanceUID }, paths: cluster.map { groups[$0].first.path }))
      }
    }
    groups = groups.indices.filter { !dropped.contains($0) }.map { groups[$0] }
  }

  /// Acquisition order: (seconds of the day or -1, SeriesNumber or -1).
  static func order(_ group: SeriesGroup) -> (Double, Int) {
    ((group.first.acquisitionTime ?? group.first.seriesTime).flatMap(seconds) ?? -1, group.seriesNumber ?? -1)
  }

  /// DICOM TM `HHMMSS.FFFFFF` (also `HHMM`, `HH`, and the older `HH:MM:SS`) as seconds of the day.
  static func seconds(_ time: String) -> Double? {
    let text = time.replacingOccurrences(of: ":", with: "").trimmingCharacters(in: .whitespaces)
    let whole = text.split(separator: ".", maxSplits: 1)
    guard let digits = whole.first, digits.count >= 2, digits.count <= 6, digits.allSatisfy(\.isNumber) else { return nil }
    let padded = digits + String(repeating: "0", count: 6 - digits.count)
    let h = Double(padded.prefix(2))!, m = Double(padded.dropFirst(2).prefix(2))!, s = Double(padded.dropFirst(4).prefix(2))!
    let fraction = whole.count == 2 ? Double("0." + whole[1]) ?? 0 : 0
    return h * 3600 + m * 60 + s + fraction
  }
}
