/// Order statistics with NumPy's conventions.
public enum Percentile {
  /// `numpy.percentile(values, q)` with the default `method='linear'` on already sorted values:
  /// virtual index `(n − 1)·(q/100)`, neighbours `floor` and `floor + 1` (the last value when the
  /// index reaches `n − 1`), and NumPy's `_lerp`: `a + (b − a)·t`, or `b − (b − a)·(1 − t)` when
  /// `t >= 0.5`. Returns nil for an empty array.
  ///
  /// - Precondition: `sorted` is ascending and `q` in 0...100.
  public static func linear(sorted: [Double], _ q: Double) -> Double? {
    sorted.withUnsafeBufferPointer { linear(sortedBuffer: $0, q) }
  }

  public static func linear(sortedBuffer sorted: UnsafeBufferPointer<Double>, _ q: Double) -> Double? {
    precondition((0...100).contains(q), "Percentile: q = \(q) outside 0...100")
    let n = sorted.count
    guard n > 0 else { return nil }
    let (lo, hi, t) = neighbours(count: n, q)
    return lerp(sorted[lo], sorted[hi], t)
  }

  /// The two order-statistic indices and the weight NumPy uses for percentile `q` of `count` values.
  public static func neighbours(count n: Int, _ q: Double) -> (Int, Int, Double) {
    let virtualIndex = Double(n - 1) * (q / 100)
    if virtualIndex >= Double(n - 1) { return (n - 1, n - 1, virtualIndex - virtualIndex.rounded(.down)) }
    let lo = Int(virtualIndex.rounded(.down))
    return (lo, lo + 1, virtualIndex - Double(lo))
  }

  /// NumPy `_lerp(a, b, t)`.
  @inlinable public static func lerp(_ a: Double, _ b: Double, _ t: Double) -> Double {
    let diff = b - a
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t
  }

  /// `numpy.median` of sorted values: the middle value, or `(a + b)/2` of the two middle values
  /// (NumPy takes the mean of the two). Nil when empty.
  public static func median(sorted: [Double]) -> Double? {
    let n = sorted.count
    guard n > 0 else { return nil }
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
  }
}
