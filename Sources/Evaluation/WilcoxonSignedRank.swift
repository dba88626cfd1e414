import VolumeCore
import Foundation

/// How a p-value was obtained.
public enum TestMethod: String, Sendable, Codable {
  /// The exact null distribution of the signed-rank statistic (no ties, no zero differences).
  case exact
  /// All 2^n sign flips enumerated (scipy's `PermutationMethod` for n <= 13 with ties or zeros).
  case permutation
  /// Normal approximation.
  case asymptotic
}

/// A two-sided test result: the statistic and p-value scipy reports.
public struct TestResult: Sendable, Codable, Equatable {
  public var statistic: Double
  public var pValue: Double
  public var method: TestMethod
  /// Sample size used (pairs for Wilcoxon, n1 + n2 for the rank-sum test).
  public var count: Int

  public init(statistic: Double, pValue: Double, method: TestMethod, count: Int) {
    self.statistic = statistic
    self.pValue = pValue
    self.method = method
    self.count = count
  }
}

/// The paired Wilcoxon signed-rank test, reproducing `scipy.stats.wilcoxon(x, y)` (scipy 1.17.1)
/// with its defaults: `zero_method='wilcox'`, `correction=False`, `alternative='two-sided'`,
/// `method='auto'`.
///
/// - Differences `d = x − y`; zero differences are dropped from the ranking; `|d|` is ranked with
///   ties averaged; `r+` / `r−` are the rank sums of positive / negative differences; the
///   statistic is `min(r+, r−)`.
/// - Method choice (scipy's "auto", with `n` counting the zero differences too): `n > 50` →
///   normal approximation; otherwise no ties and no zeros → exact distribution; otherwise
///   `n <= 13` → exact enumeration of all 2^n sign flips; otherwise the normal approximation.
/// - Exact: the distribution of `r+` built by scipy's recursion (`_get_wilcoxon_distr`), p =
///   `2·min(sf(floor r+), cdf(ceil r+))` clipped to 1, where cdf/sf sum the probability mass from
///   the nearer tail (`1 − other tail` beyond the mean).
/// - Permutation: p = `2·min(P(R+ <= r+ + γ), P(R+ >= r+ − γ))` clipped to 1, with
///   `γ = 100·ε·|r+|` (scipy's `permutation_test` tolerance).
/// - Normal: `z = (r+ − n'(n'+1)/4) / σ`, `σ² = (n'(n'+1)(2n'+1) − Σ(t³ − t)/2) / 24` over the tie
///   groups `t` of the nonzero `|d|` (n' nonzero differences); p = `2·Φ(−|z|)` = `erfc(|z|/√2)`.
public enum WilcoxonSignedRank {
  /// - Throws: `.invalidSample` when the samples differ in length or are empty.
  public static func test(_ x: [Double], _ y: [Double]) throws(EvaluationError) -> TestResult {
    guard x.count == y.count, !x.isEmpty else {
      throw EvaluationError(.invalidSample, "the Wilcoxon signed-rank test needs two non-empty paired samples of equal length (got \(x.count) and \(y.count))", context: "wilcoxon")
    }
    let d = zip(x, y).map { $0 - $1 }
    let n = d.count
    let nonzero = d.filter { $0 != 0 }
    let zeros = n - nonzero.count
    let (ranks, groups) = Ranking.averageRanks(nonzero.map { abs($0) })
    var rPlus = 0.0, rMinus = 0.0
    for (v, r) in zip(nonzero, ranks) {
      if v > 0 { rPlus += r } else { rMinus += r }
    }
    let statistic = min(rPlus, rMinus)
    let hasTies = groups.contains { $0 > 1 }
    let method: TestMethod = n > 50 ? .asymptotic : (!hasTies && zeros == 0) ? .exact : n <= 13 ? .permutation : .asymptotic
    let p: Double
    switch method {
    case .exact:
      p = exactPValue(rPlus: rPlus, n: n)
    case .permutation:
      p = permutationPValue(rPlus: rPlus, ranks: ranks)
    case .asymptotic:
      let m = Double(nonzero.count)
      let mean = m * (m + 1) * 0.25
      let tie = groups.reduce(0.0) { $0 + Double($1) * Double($1) * Double($1) - Double($1) }
      let se = ((m * (m + 1) * (2 * m + 1) - tie / 2) / 24).squareRoot()
      let z = (rPlus - mean) / se
      p = 2 * normalSurvival(abs(z))
    }
    return TestResult(statistic: statistic, pValue: p, method: method, count: n)
  }

  /// scipy `_get_wilcoxon_distr(n)`: probabilities of r+ = 0 ... n(n+1)/2, by the same halving
  /// recursion (so the same floating-point values).
  static func distribution(_ n: Int) -> [Double] {
    var c: [Double] = [1]
    if n == 0 { return c }
    for k in 1...n {
      let previous = c
      c = [Double](repeating: 0, count: k * (k + 1) / 2 + 1)
      let m = previous.count
      for i in 0..<m { c[i] = previous[i] * 0.5 }
      for i in 0..<m { c[c.count - m + i] += previous[i] * 0.5 }
    }
    return c
  }

  static func exactPValue(rPlus: Double, n: Int) -> Double {
    let pmf = distribution(n)
    let mean = Double(n) * Double(n + 1) / 4
    func lowerSum(_ k: Int) -> Double { k < 0 ? 0 : pairwiseSum(pmf[0...min(k, pmf.count - 1)]) }
    func upperSum(_ k: Int) -> Double { k >= pmf.count ? 0 : pairwiseSum(pmf[max(k, 0)...]) }
    func cdf(_ k: Int) -> Double { Double(k) <= mean ? lowerSum(k) : 1 - upperSum(k + 1) }
    func sf(_ k: Int) -> Double { Double(k) <= mean ? upperSum(k) : 1 - lowerSum(k - 1) }
    let p = 2 * min(sf(Int(rPlus.rounded(.down))), cdf(Int(rPlus.rounded(.up))))
    return min(max(p, 0), 1)
  }

  /// NumPy's pairwise summation of a contiguous float64 array (`NumPySum`).
  static func pairwiseSum(_ a: ArraySlice<Double>) -> Double { NumPySum.pairwise(a) }

  /// Enumerates every sign assignment of the nonzero differences (zeros only double every count,
  /// which cancels in the proportions).
  static func permutationPValue(rPlus: Double, ranks: [Double]) -> Double {
    let m = ranks.count
    let gamma = abs(100 * Double.ulpOfOne * rPlus)
    var less = 0, greater = 0
    for mask in 0..<(1 << m) {
      var s = 0.0
      for b in 0..<m where mask & (1 << b) != 0 { s += ranks[b] }
      if s <= rPlus + gamma { less += 1 }
      if s >= rPlus - gamma { greater += 1 }
    }
    let total = Double(1 << m)
    return min(max(2 * min(Double(less) / total, Double(greater) / total), 0), 1)
  }

  /// `scipy.special.ndtr(-x)` for the upper tail: `erfc(x/√2)/2`.
  static func normalSurvival(_ x: Double) -> Double { 0.5 * erfc(x / 2.0.squareRoot()) }
}

/// The Wilcoxon rank-sum test, reproducing `scipy.stats.ranksums(x, y)` (two-sided): rank the
/// pooled sample with ties averaged, `s` = rank sum of `x`, `z = (s − n₁(n₁+n₂+1)/2) /
/// √(n₁n₂(n₁+n₂+1)/12)` (no tie correction, as scipy), p = `2·Φ(−|z|)`; the statistic is `z`.
public enum RankSum {
  /// - Throws: `.invalidSample` when either sample is empty.
  public static func test(_ x: [Double], _ y: [Double]) throws(EvaluationError) -> TestResult {
    guard !x.isEmpty, !y.isEmpty else {
      throw EvaluationError(.invalidSample, "the rank-sum test needs two non-empty samples (got \(x.count) and \(y.count))", context: "ranksums")
    }
    let n1 = Double(x.count), n2 = Double(y.count)
    let (ranks, _) = Ranking.averageRanks(x + y)
    let s = ranks[0..<x.count].reduce(0, +)
    let expected = n1 * (n1 + n2 + 1) / 2.0
    let z = (s - expected) / (n1 * n2 * (n1 + n2 + 1) / 12.0).squareRoot()
    return TestResult(statistic: z, pValue: 2 * WilcoxonSignedRank.normalSurvival(abs(z)), method: .asymptotic, count: x.count + y.count)
  }
}
