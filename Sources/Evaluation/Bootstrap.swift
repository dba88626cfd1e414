/// SplitMix64 (Steele, Lea & Flood 2014; the generator Java's `SplittableRandom` uses): a 64-bit
/// state advanced by 0x9E3779B97F4A7C15 and mixed. Chosen because its output for a seed is fixed by
/// its definition on every platform and Swift version, which `SystemRandomNumberGenerator` is not.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  public var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform integer in `0..<bound` by Lemire's multiply-and-reject method (unbiased, and
  /// defined here rather than by the standard library so the stream never changes).
  public mutating func index(below bound: Int) -> Int {
    precondition(bound > 0, "SplitMix64.index: bound must be positive")
    let b = UInt64(bound)
    var m = next().multipliedFullWidth(by: b)
    if m.low < b {
      let threshold = (0 &- b) % b
      while m.low < threshold { m = next().multipliedFullWidth(by: b) }
    }
    return Int(m.high)
  }
}

/// Non-parametric percentile bootstrap of the mean.
public enum Bootstrap {
  /// The `confidence` interval of the mean of `values` from `iterations` resamples with
  /// replacement (Efron's percentile method, as the TotalVibeSegmentator paper's 10,000-iteration
  /// CIs): resample `n` indices with `SplitMix64(seed:)` and `index(below: n)`, in order, one
  /// resample after the other; take each resample's mean (summed in index order); the interval is
  /// the NumPy-linear percentiles `(1 − confidence)/2` and `(1 + confidence)/2` of the sorted means.
  /// Identical output for identical inputs and seed on every machine (but not NumPy's stream, and
  /// not scipy's default BCa interval). Nil for fewer than 2 values. O(iterations·n).
  public static func meanInterval(_ values: [Double], iterations: Int = 10_000, confidence: Double = 0.95, seed: UInt64 = 0) -> (lower: Double, upper: Double)? {
    precondition(iterations > 0 && confidence > 0 && confidence < 1, "Bootstrap: bad iterations/confidence")
    let n = values.count
    guard n >= 2 else { return nil }
    var rng = SplitMix64(seed: seed)
    var means = [Double](repeating: 0, count: iterations)
    values.withUnsafeBufferPointer { v in
      for b in 0..<iterations {
        var sum = 0.0
        for _ in 0..<n { sum += v[rng.index(below: n)] }
        means[b] = sum / Double(n)
      }
    }
    means.sort()
    let alpha = (1 - confidence) / 2
    return (Percentile.linear(sorted: means, alpha * 100)!, Percentile.linear(sorted: means, (1 - alpha) * 100)!)
  }
}
