extension CohortReport {
  /// Z-scores of every case's volume in every column, `scores[case][column]`; nil where the case
  /// has no value, is not done, or the column has fewer than `options.minimumCasesForZScores`
  /// values. A column whose spread is 0 (or below 1e-9 of its centre: rounding noise) gives z = 0
  /// for everyone. Non-finite volumes are ignored.
  public static func zScores(_ cases: [CohortReportCase], options: CohortReportOptions = CohortReportOptions())
    -> [[String: Double]]
  {
    var scores = [[String: Double]](repeating: [:], count: cases.count)
    for column in volumeColumns(cases, options: options) {
      let values = cases.filter { $0.status == nil }.compactMap { $0.volumesMilliliters[column] }.filter(\.isFinite)
      guard values.count >= max(2, options.minimumCasesForZScores) else { continue }
      let (center, scale) = location(values, method: options.zScore)
      // A spread at the level of rounding noise (volumes equal but for summation order) is none:
      // dividing by it would flag identical volumes.
      let spread = scale > 1e-9 * max(1, abs(center))
      for (index, row) in cases.enumerated() where row.status == nil {
        guard let value = row.volumesMilliliters[column], value.isFinite else { continue }
        scores[index][column] = spread ? (value - center) / scale : 0
      }
    }
    return scores
  }

  /// Centre and scale such that `z = (x − centre) / scale`.
  static func location(_ values: [Double], method: CohortZScore) -> (Double, Double) {
    let n = Double(values.count)
    switch method {
    case .standard:
      let mean = values.reduce(0, +) / n
      let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
      return (mean, variance.squareRoot())
    case .robust:
      let median = Self.median(values)
      let mad = Self.median(values.map { abs($0 - median) })
      if mad > 0 { return (median, mad / 0.6745) }
      let meanAbsolute = values.reduce(0) { $0 + abs($1 - median) } / n
      return (median, 1.253314 * meanAbsolute)
    }
  }

  static func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  }

  /// Every case's flags: volumes with |z| > threshold (column order), then missing, then fragmented
  /// structures as the caller passed them.
  public static func flags(_ cases: [CohortReportCase], options: CohortReportOptions = CohortReportOptions())
    -> [[Flag]]
  {
    let scores = zScores(cases, options: options)
    let columns = volumeColumns(cases, options: options)
    return cases.enumerated().map { index, row in
      columns.compactMap { column -> Flag? in
        guard let z = scores[index][column], abs(z) > options.zScoreThreshold else { return nil }
        return Flag(kind: .volumeOutlier, structure: column, zScore: z)
      }
        + row.missingStructures.map { Flag(kind: .missing, structure: $0, zScore: nil) }
        + row.fragmentedStructures.map { Flag(kind: .fragmented, structure: $0, zScore: nil) }
    }
  }
}
