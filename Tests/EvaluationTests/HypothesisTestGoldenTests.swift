import Evaluation
import Testing
import _TestSupport

@Suite("Wilcoxon and rank-sum tests vs scipy.stats")
struct HypothesisTestGoldenTests {
  @Test("scipy.stats.wilcoxon(x, y) defaults", arguments: StatisticsGoldens.loaded.tests)
  func wilcoxon(_ s: StatisticsGoldens.Sample) throws {
    let r = try WilcoxonSignedRank.test(s.x, s.y)
    // scipy 1.17.1 golden; requirement 1e-9 (the exact/permutation paths agree to the last bits).
    #expect(abs(r.statistic - s.wilcoxon.statistic) <= 1e-9, "statistic \(r.statistic) vs \(s.wilcoxon.statistic)")
    #expect(abs(r.pValue - s.wilcoxon.pvalue) <= 1e-9, "p \(r.pValue) vs \(s.wilcoxon.pvalue) (\(r.method))")
    print("wilcoxon \(s.name) \(r.method): |Δstatistic| \(abs(r.statistic - s.wilcoxon.statistic)), |Δp| \(abs(r.pValue - s.wilcoxon.pvalue))")
  }

  @Test("scipy.stats.ranksums(x, y)", arguments: StatisticsGoldens.loaded.tests)
  func rankSum(_ s: StatisticsGoldens.Sample) throws {
    let r = try RankSum.test(s.x, s.y)
    #expect(abs(r.statistic - s.ranksums.statistic) <= 1e-9, "z \(r.statistic) vs \(s.ranksums.statistic)")
    #expect(abs(r.pValue - s.ranksums.pvalue) <= 1e-9, "p \(r.pValue) vs \(s.ranksums.pvalue)")
    print("ranksums \(s.name): |Δz| \(abs(r.statistic - s.ranksums.statistic)), |Δp| \(abs(r.pValue - s.ranksums.pvalue))")
  }

  @Test("method choice follows scipy's auto rule")
  func methods() throws {
    let byName = Dictionary(uniqueKeysWithValues: StatisticsGoldens.loaded.tests.map { ($0.name, $0) })
    func method(_ name: String) throws -> TestMethod { let s = byName[name]!; return try WilcoxonSignedRank.test(s.x, s.y).method }
    #expect(try method("exact_n20") == .exact)
    #expect(try method("permutation_n8") == .permutation)
    #expect(try method("asymptotic_ties_n30") == .asymptotic)
    #expect(try method("asymptotic_n51") == .asymptotic)
  }

  @Test("unequal or empty samples are rejected")
  func invalid() {
    #expect(throws: EvaluationError.self) { try WilcoxonSignedRank.test([1, 2], [1]) }
    #expect(throws: EvaluationError.self) { try RankSum.test([], [1]) }
  }

  @Test("np.percentile (linear) and np.median", arguments: StatisticsGoldens.loaded.percentiles.indices)
  func percentiles(_ index: Int) {
    let c = StatisticsGoldens.loaded.percentiles[index]
    let sorted = c.values.sorted()
    for (q, expected) in c.percentiles {
      // Same formula as NumPy's _lerp: exact.
      #expect(Percentile.linear(sorted: sorted, Double(q)!) == expected, "q \(q)")
    }
    #expect(Percentile.median(sorted: sorted) == c.median)
  }
}

@Suite("Bootstrap")
struct BootstrapTests {
  let values = (0..<23).map { 0.8 + 0.01 * Double(($0 * 7) % 13) }

  @Test("SplitMix64 reproduces its published first output for seed 0")
  func splitMix() {
    var g = SplitMix64(seed: 0)
    #expect(g.next() == 0xE220_A839_7B1D_CDAF)
  }

  @Test("same seed, same interval; other seed, other interval")
  func reproducible() throws {
    let a = try #require(Bootstrap.meanInterval(values, iterations: 2000, seed: 42))
    let b = try #require(Bootstrap.meanInterval(values, iterations: 2000, seed: 42))
    let c = try #require(Bootstrap.meanInterval(values, iterations: 2000, seed: 43))
    #expect(a == b)
    #expect(a != c)
    let mean = values.reduce(0, +) / Double(values.count)
    #expect(a.lower < mean && mean < a.upper)
  }

  @Test("constant values give a zero-width interval; fewer than 2 values give none")
  func degenerate() {
    #expect(Bootstrap.meanInterval([0.5, 0.5, 0.5], iterations: 100)! == (0.5, 0.5))
    #expect(Bootstrap.meanInterval([0.5], iterations: 100) == nil)
  }

  @Test("MetricSummary: mean, sample sd, median")
  func summary() {
    let s = MetricSummary(values: [1, 2, 3, 4], undefined: 2, bootstrapIterations: 0)
    #expect(s.mean == 2.5 && s.median == 2.5 && s.count == 4 && s.undefinedCount == 2)
    #expect(abs(s.standardDeviation! - (5.0 / 3).squareRoot()) < 1e-15)
    #expect(s.confidenceLower == nil)
  }
}
