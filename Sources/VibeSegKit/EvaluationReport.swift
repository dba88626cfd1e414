import Evaluation

/// One label's summary for one method: every metric over the successful cases.
public struct EvaluationLabelSummary: Sendable, Codable, Equatable {
  /// Label id, or nil for the "all labels" row (statistics over the per-label means).
  public var label: Int?
  public var name: String
  /// `prediction` or `compare`.
  public var method: String
  /// Keyed by `Metric.rawValue`.
  public var metrics: [String: MetricSummary]
}

/// A test of one metric between the two methods.
public struct EvaluationComparison: Sendable, Codable, Equatable {
  public var label: Int?
  public var name: String
  public var metric: String
  /// Paired Wilcoxon signed-rank test (prediction vs compare), scipy.stats.wilcoxon defaults.
  public var wilcoxon: TestResult?
  /// Rank-sum test (scipy.stats.ranksums) on the same values, unpaired.
  public var rankSum: TestResult?
}

/// The report of `vibeseg evaluate` (JSON schemaVersion 1).
public struct EvaluationReport: Sendable, Codable, Equatable {
  public var schemaVersion = 1
  public var toleranceMillimeters: Double
  public var bootstrapIterations: Int
  public var seed: UInt64
  public var emptyMaskPolicy =
    "label in both maps: all metrics; in one map only: dice = iou = nsd = 0, assd and hd95 undefined (counted as undefinedCount); in neither: left out"
  public var cases: [EvaluationCase]
  /// Prediction files with no reference of the same name (folder mode).
  public var unmatchedPredictions: [String]
  public var labels: [EvaluationLabelSummary]
  public var comparisons: [EvaluationComparison]
  public var labelNames: [String: String]

  public var failedCases: [EvaluationCase] { cases.filter(\.failed) }

  /// Summaries and tests from the cases.
  ///
  /// - Per label and method: `MetricSummary` of each metric over the successful cases where it is
  ///   defined (bootstrap `request.bootstrapIterations`, `request.seed`).
  /// - "all labels" per method: the same statistics over the per-label means (each label counts
  ///   once: the paper's "0.92 ± 0.04 over 71 labels").
  /// - With a compared method, per label and metric: Wilcoxon signed-rank on the cases where both
  ///   methods have a value, and the rank-sum test on the same values; "all labels": both tests on
  ///   the per-label means of labels where both have one. Tests need at least one pair.
  init(cases: [EvaluationCase], unmatchedPredictions: [String], registry: StatisticsLabelRegistry, request: EvaluationRequest) {
    toleranceMillimeters = request.toleranceMillimeters
    bootstrapIterations = request.bootstrapIterations
    seed = request.seed
    self.cases = cases
    self.unmatchedPredictions = unmatchedPredictions
    let ok = cases.filter { !$0.failed }
    let labelIDs = Set(ok.flatMap { $0.metrics.map(\.label) + ($0.compareMetrics ?? []).map(\.label) }).sorted()
    labelNames = Dictionary(uniqueKeysWithValues: labelIDs.map { (String($0), registry.name(of: $0)) })
    let hasCompare = ok.contains { $0.compareMetrics != nil }
    let methods = hasCompare ? ["prediction", "compare"] : ["prediction"]
    func metrics(_ c: EvaluationCase, _ method: String) -> [LabelMetrics] { method == "prediction" ? c.metrics : c.compareMetrics ?? [] }
    /// Value per case (nil when undefined or absent from both), in case order.
    func column(_ label: Int, _ metric: Metric, _ method: String) -> [(defined: Double?, counted: Bool)] {
      ok.map { c in
        guard let m = metrics(c, method).first(where: { $0.label == label }), m.presence != .neither else { return (nil, false) }
        return (m.value(of: metric), true)
      }
    }
    var summaries = [EvaluationLabelSummary]()
    var means = [String: [Metric: [Int: Double]]]()  // method -> metric -> label -> mean
    for method in methods {
      for label in labelIDs {
        var row = [String: MetricSummary]()
        for metric in Metric.allCases {
          let col = column(label, metric, method)
          let values = col.compactMap(\.defined)
          let undefined = col.filter { $0.counted && $0.defined == nil }.count
          let s = MetricSummary(values: values, undefined: undefined, bootstrapIterations: request.bootstrapIterations, seed: request.seed)
          row[metric.rawValue] = s
          if let m = s.mean { means[method, default: [:]][metric, default: [:]][label] = m }
        }
        summaries.append(EvaluationLabelSummary(label: label, name: registry.name(of: label), method: method, metrics: row))
      }
      var overall = [String: MetricSummary]()
      for metric in Metric.allCases {
        let values = labelIDs.compactMap { means[method]?[metric]?[$0] }
        overall[metric.rawValue] = MetricSummary(values: values, bootstrapIterations: request.bootstrapIterations, seed: request.seed)
      }
      summaries.append(EvaluationLabelSummary(label: nil, name: "all labels", method: method, metrics: overall))
    }
    labels = summaries
    var tests = [EvaluationComparison]()
    if hasCompare {
      for metric in Metric.allCases {
        for label in labelIDs {
          let a = column(label, metric, "prediction"), b = column(label, metric, "compare")
          let pairs = zip(a, b).compactMap { x, y in x.defined.flatMap { xv in y.defined.map { (xv, $0) } } }
          tests.append(Self.compare(label: label, name: registry.name(of: label), metric: metric, pairs))
        }
        let pairs = labelIDs.compactMap { l in means["prediction"]?[metric]?[l].flatMap { x in means["compare"]?[metric]?[l].map { (x, $0) } } }
        tests.append(Self.compare(label: nil, name: "all labels", metric: metric, pairs))
      }
    }
    comparisons = tests
  }

  static func compare(label: Int?, name: String, metric: Metric, _ pairs: [(Double, Double)]) -> EvaluationComparison {
    let x = pairs.map(\.0), y = pairs.map(\.1)
    return EvaluationComparison(label: label, name: name, metric: metric.rawValue,
      wilcoxon: pairs.isEmpty ? nil : try? WilcoxonSignedRank.test(x, y),
      rankSum: pairs.isEmpty ? nil : try? RankSum.test(x, y))
  }
}
