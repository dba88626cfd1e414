import DICOMCore

/// One station: the groups (one per Dixon contrast present) that cover one z-range.
public struct DICOMStation: Sendable, Equatable {
  /// 1-based, superior first.
  public var index: Int
  /// The union of the groups' z-ranges (LPS z, mm; superior is larger).
  public var zRange: ClosedRange<Double>
  /// Index into `DICOMIndex.groups` per contrast.
  public var groups: [DICOMContrast: Int]
}

/// dicom.md 2.4 rule 3.
///
/// - Within one contrast every group is a station candidate, ordered by the centre of its z-range,
///   superior first. Two groups whose z-ranges overlap by half the shorter one or more are the same
///   station repeated: refused (an error listing both, with their SeriesTime), never resolved silently.
/// - The contrasts present must have the same number of stations, and station k of each must have the
///   same Rows/Columns/PixelSpacing/ImageOrientationPatient and slice positions (1e-3 mm) as water's
///   (or the first contrast present). Positions are not compared for a group that already failed rule 4
///   (its own error says why).
/// - A UK Biobank-like set (SeriesDescription `Dixon_...`) usually has 6 stations, a NAKO-like one
///   (`3D_GRE_TRA_...`) 4: another count is a warning (partial coverage is legitimate).
enum StationAssembly {
  static func assemble(_ groups: inout [SeriesGroup], problems: inout [DICOMProblem]) -> [DICOMStation] {
    var perContrast: [DICOMContrast: [Int]] = [:]
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
        let listed = cluster.map { i in
          "\(groups[i].name) (SeriesTime \(groups[i].first.seriesTime ?? "?"), UID \(groups[i].key.seriesInstanceUID))"
        }
        problems.append(
          DICOMProblem(
            .error, .repeatedStation,
            "repeated \(contrast.rawValue) station at z \(SeriesGroup.mm(groups[cluster[0]].zRange.upperBound, digits: 1))..\(SeriesGroup.mm(groups[cluster[0]].zRange.lowerBound, digits: 1)) mm: \(listed.joined(separator: " and ")); refused (--duplicate-station newest keeps the latest acquisition)",
            series: cluster.map { groups[$0].key.seriesInstanceUID }, paths: cluster.map { groups[$0].first.path }))
      }
      // The lowest series number stands for a repeated station in the comparisons below.
      let representatives = clusters.map { cluster in
        cluster.min { (groups[$0].seriesNumber ?? Int.max) < (groups[$1].seriesNumber ?? Int.max) }!
      }
      if !representatives.isEmpty { perContrast[contrast] = representatives }
    }
    guard let reference = DICOMContrast.dixon.first(where: { perContrast[$0] != nil }), let referenceStations = perContrast[reference]
    else { return [] }

    for contrast in DICOMContrast.dixon where contrast != reference {
      guard let stations = perContrast[contrast] else { continue }
      guard stations.count == referenceStations.count else {
        problems.append(
          DICOMProblem(
            .error, .stationMismatch,
            "the contrasts do not share their stations: \(reference.rawValue) has \(referenceStations.count), \(contrast.rawValue) has \(stations.count)",
            series: (referenceStations + stations).map { groups[$0].key.seriesInstanceUID }))
        continue
      }
      for (k, (r, c)) in zip(referenceStations, stations).enumerated() {
        let a = groups[r], b = groups[c]
        var differences: [String] = []
        if a.key.rows != b.key.rows || a.key.columns != b.key.columns {
          differences.append("matrix \(a.key.rows)x\(a.key.columns) vs \(b.key.rows)x\(b.key.columns)")
        }
        if a.key.pixelSpacing != b.key.pixelSpacing { differences.append("PixelSpacing \(a.key.pixelSpacing) vs \(b.key.pixelSpacing)") }
        if a.key.orientation != b.key.orientation { differences.append("ImageOrientationPatient differs") }
        if differences.isEmpty, !a.hasErrors, !b.hasErrors, !a.samePositions(as: b) {
          differences.append(
            "slice positions differ (\(a.files.count) slices at z \(SeriesGroup.mm(a.zRange.upperBound, digits: 1))..\(SeriesGroup.mm(a.zRange.lowerBound, digits: 1)) mm vs \(b.files.count) at \(SeriesGroup.mm(b.zRange.upperBound, digits: 1))..\(SeriesGroup.mm(b.zRange.lowerBound, digits: 1)) mm, tolerance 1e-3 mm)")
        }
        if !differences.isEmpty {
          problems.append(
            DICOMProblem(
              .error, .stationMismatch,
              "station \(k + 1): \(reference.rawValue) \(a.name) and \(contrast.rawValue) \(b.name) differ: \(differences.joined(separator: "; "))",
              series: [a.key.seriesInstanceUID, b.key.seriesInstanceUID], paths: [a.first.path, b.first.path]))
        }
      }
    }

    var stations: [DICOMStation] = []
    for (k, r) in referenceStations.enumerated() {
      var members: [DICOMContrast: Int] = [:]
      var range = groups[r].zRange
      for contrast in DICOMContrast.dixon {
        guard let list = perContrast[contrast], list.count == referenceStations.count else { continue }
        members[contrast] = list[k]
        range = min(range.lowerBound, groups[list[k]].zRange.lowerBound)...max(range.upperBound, groups[list[k]].zRange.upperBound)
      }
      for i in members.values { groups[i].station = k + 1 }
      stations.append(DICOMStation(index: k + 1, zRange: range, groups: members))
    }
    // Repeats take their representative's station number.
    for contrast in DICOMContrast.dixon {
      for i in groups.indices where groups[i].contrast.contrast == contrast && groups[i].station == nil {
        if let k = stations.firstIndex(where: { s in s.groups[contrast].map { sameStation(groups[$0], groups[i]) } ?? false }) {
          groups[i].station = k + 1
        }
      }
    }

    let descriptions = groups.compactMap { $0.contrast.contrast == .other ? nil : $0.seriesDescription?.uppercased() }
    let expected: (String, Int)? =
      descriptions.contains { $0.hasPrefix("DIXON_") } ? ("UK Biobank-like", 6)
      : descriptions.contains { $0.contains("3D_GRE_TRA") } ? ("NAKO-like", 4) : nil
    if let (layout, count) = expected, stations.count != count {
      problems.append(
        DICOMProblem(
          .warning, .stationCount,
          "\(stations.count) station(s) where a \(layout) set usually has \(count) (partial body coverage is legitimate)"))
    }
    return stations
  }

  static func center(_ g: SeriesGroup) -> Double { (g.zRange.lowerBound + g.zRange.upperBound) / 2 }

  /// Two groups of one contrast are one station when their z-ranges overlap by at least half the
  /// shorter (stations of a whole-body protocol overlap by a few slices only).
  static func sameStation(_ a: SeriesGroup, _ b: SeriesGroup) -> Bool {
    let overlap = min(a.zRange.upperBound, b.zRange.upperBound) - max(a.zRange.lowerBound, b.zRange.lowerBound)
    let shorter = min(a.zRange.upperBound - a.zRange.lowerBound, b.zRange.upperBound - b.zRange.lowerBound)
    return overlap >= 0 && overlap >= 0.5 * shorter
  }
}
