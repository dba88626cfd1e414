/// Ranks with ties averaged, as `scipy.stats.rankdata(values, method='average')`.
public enum Ranking {
  /// 1-based ranks (ties get the mean of the ranks they span) and the sizes of the tie groups
  /// (each group of equal values, singletons included, in ascending value order).
  ///
  /// - Precondition: no NaN.
  public static func averageRanks(_ values: [Double]) -> (ranks: [Double], tieGroups: [Int]) {
    precondition(!values.contains { $0.isNaN }, "Ranking: NaN")
    let order = values.indices.sorted { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }
    var ranks = [Double](repeating: 0, count: values.count)
    var groups = [Int]()
    var start = 0
    while start < order.count {
      var end = start + 1
      while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
      // Ranks start + 1 ... end averaged: (start + 1 + end) / 2.
      let rank = Double(start + 1 + end) / 2
      for p in start..<end { ranks[order[p]] = rank }
      groups.append(end - start)
      start = end
    }
    return (ranks, groups)
  }
}
