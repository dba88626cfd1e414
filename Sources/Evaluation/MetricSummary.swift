/// Summary of one metric of one label over cases.
public struct MetricSummary: Sendable, Codable, Equatable {
  /// Cases where the metric is defined (see `LabelMetrics`' empty-mask policy).
  public var count: Int
  /// Cases where the label is in exactly one of the maps and the metric is undefined (distances).
  public var undefinedCount: Int
  public var mean: Double?
  /// Sample standard deviation (n − 1 denominator; NumPy `std(ddof=1)`); nil below 2 values.
  public var standardDeviation: Double?
  public var median: Double?
  /// Percentile-bootstrap confidence interval of the mean (`Bootstrap.meanInterval`).
  public var confidenceLower: Double?
  public var confidenceUpper: Double?

  /// Summarises `values`; `undefined` counts the cases where the metric had no value.
  public init(values: [Double], undefined: Int = 0, bootstrapIterations: Int = 10_000, confidence: Double = 0.95, seed: UInt64 = 0) {
    count = values.count
    undefinedCount = undefined
    guard !values.isEmpty else { return }
    let n = Double(values.count)
    let m = values.reduce(0, +) / n
    mean = m
    if values.count >= 2 {
      standardDeviation = (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)).squareRoot()
    }
    median = Percentile.median(sorted: values.sorted())
    if bootstrapIterations > 0, let ci = Bootstrap.meanInterval(values, iterations: bootstrapIterations, confidence: confidence, seed: seed) {
      confidenceLower = ci.lower
      confidenceUpper = ci.upper
    }
  }
}
