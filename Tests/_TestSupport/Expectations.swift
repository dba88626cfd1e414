import Testing

/// Largest violation of `|a - b| <= atol + rtol·|b|` over two equal-length sequences (numpy
/// `allclose` convention, b is the reference). Returns nil when all pass; else the worst index.
public func worstMismatch(_ actual: [Double], _ expected: [Double], rtol: Double, atol: Double) -> (index: Int, actual: Double, expected: Double)? {
  precondition(actual.count == expected.count, "length \(actual.count) vs \(expected.count)")
  var worst: (Int, Double, Double, Double)? = nil
  for idx in actual.indices {
    let a = actual[idx], b = expected[idx]
    if a.isNaN && b.isNaN { continue }
    let excess = abs(a - b) - (atol + rtol * abs(b))
    if !(excess <= 0) && (worst == nil || excess > worst!.3 || excess.isNaN) { worst = (idx, a, b, excess) }
  }
  return worst.map { ($0.0, $0.1, $0.2) }
}

/// Expects two sequences to agree element-wise within `atol + rtol·|expected|`.
public func expectClose(_ actual: [Double], _ expected: [Double], rtol: Double = 0, atol: Double = 0,
  _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
  #expect(actual.count == expected.count, comment, sourceLocation: sourceLocation)
  guard actual.count == expected.count else { return }
  let worst = worstMismatch(actual, expected, rtol: rtol, atol: atol)
  #expect(worst == nil, "\(comment.map { "\($0): " } ?? "")worst mismatch at \(worst.map { "\($0.index): \($0.actual) vs \($0.expected)" } ?? "-") (rtol \(rtol), atol \(atol))", sourceLocation: sourceLocation)
}
