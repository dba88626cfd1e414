#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Initial conditions of the cubic B-spline prefilter at both ends of a line: how the line is
/// assumed to continue (scipy `ni_splines.c`, `apply_filter`).
enum BSplineBoundary: Sendable {
  /// Whole-sample symmetric `… c2 c1 | c0 c1 … c(n-1) | c(n-2) …` (scipy modes 'mirror' and
  /// 'constant'): `_init_causal_mirror` / `_init_anticausal_mirror`.
  case mirror
  /// Half-sample symmetric `… c1 c0 | c0 c1 … c(n-1) | c(n-1) …` (scipy modes 'nearest' and
  /// 'reflect'): `_init_causal_reflect` / `_init_anticausal_reflect`.
  case reflect
}

/// The cubic B-spline of scipy.ndimage: the prefilter (`spline_filter1d(order=3)`) that turns
/// samples into interpolating coefficients, and the evaluation weights
/// (`get_spline_interpolation_weights`).
enum BSplineCubic {
  /// The filter pole `sqrt(3) - 2`, as the literal scipy uses.
  static let pole = -0.267949192431122706472553658494127633

  /// The filter gain `(1 - z)(1 - 1/z)` = 6 (up to rounding), computed as scipy does.
  static let gain: Double = {
    var g = 1.0
    g *= (1.0 - pole) * (1.0 - 1.0 / pole)
    return g
  }()

  /// Filters `lanes` interleaved lines of `length` samples in place: sample `x` of lane `l` is
  /// `c[x · lanes + l]`. Per lane this is scipy's `apply_filter` operation for operation
  /// (so results are bit-identical to `spline_filter1d`):
  ///
  /// 1. multiply by the gain;
  /// 2. causal initialisation, mirror: `c0 = (c0 + z^(n-1) c(n-1) + Σ_{i=1}^{n-2} z^i (c_i + z^(n-1) c(n-1-i))) / (1 - z^(2(n-1)))`;
  ///    reflect: `c0 += z (c0 + z^n c(n-1) + Σ_{i=1}^{n-1} z^(i-1) (c_i + z^n c(n-1-i))) / (1 - z^(2n))`,
  ///    accumulated in place (scipy reads the partial sum back at i = n - 1);
  /// 3. causal recursion `c_i += z c(i-1)`;
  /// 4. anticausal initialisation, mirror: `c(n-1) = (z c(n-2) + c(n-1)) z / (z² - 1)`; reflect:
  ///    `c(n-1) *= z / (z - 1)`;
  /// 5. anticausal recursion `c_i = z (c(i+1) - c_i)`.
  ///
  /// Lines of length 0 or 1 are left unchanged (scipy skips them). `scratch` holds `lanes`
  /// values. Complexity O(length · lanes).
  static func filter(
    _ c: UnsafeMutablePointer<Double>, length n: Int, lanes: Int, boundary: BSplineBoundary,
    scratch: UnsafeMutablePointer<Double>
  ) {
    guard n > 1 else { return }
    let z = pole
    let count = n * lanes
    for idx in 0..<count { c[idx] *= gain }
    let last = (n - 1) * lanes
    switch boundary {
    case .mirror:
      let zn1 = pow(z, Double(n - 1))
      for l in 0..<lanes { c[l] = c[l] + zn1 * c[last + l] }
      var zi = z
      if n > 2 {
        for i in 1..<(n - 1) {
          let a = i * lanes
          let b = (n - 1 - i) * lanes
          for l in 0..<lanes { c[l] += zi * (c[a + l] + zn1 * c[b + l]) }
          zi *= z
        }
      }
      let divisor = 1 - zn1 * zn1
      for l in 0..<lanes { c[l] /= divisor }
    case .reflect:
      let zn = pow(z, Double(n))
      for l in 0..<lanes {
        scratch[l] = c[l]
        c[l] = c[l] + zn * c[last + l]
      }
      var zi = z
      for i in 1..<n {
        let a = i * lanes
        let b = (n - 1 - i) * lanes
        for l in 0..<lanes { c[l] += zi * (c[a + l] + zn * c[b + l]) }
        zi *= z
      }
      let factor = z / (1 - zn * zn)
      for l in 0..<lanes {
        c[l] *= factor
        c[l] += scratch[l]
      }
    }
    for i in 1..<n {
      let a = i * lanes
      let p = a - lanes
      for l in 0..<lanes { c[a + l] += z * c[p + l] }
    }
    switch boundary {
    case .mirror:
      let before = last - lanes
      for l in 0..<lanes { c[last + l] = (z * c[before + l] + c[last + l]) * z / (z * z - 1) }
    case .reflect:
      let factor = z / (z - 1)
      for l in 0..<lanes { c[last + l] *= factor }
    }
    for i in stride(from: n - 2, through: 0, by: -1) {
      let a = i * lanes
      let q = a + lanes
      for l in 0..<lanes { c[a + l] = z * (c[q + l] - c[a + l]) }
    }
  }

  /// The four cubic B-spline weights for taps `floor(x) - 1 … floor(x) + 2`, with
  /// `t = x - floor(x)`: `w1 = (t²(t - 2)·3 + 4)/6`, `w2 = ((1-t)²((1-t) - 2)·3 + 4)/6`,
  /// `w0 = (1-t)³/6`, `w3 = 1 - w0 - w1 - w2` (scipy's expressions and order).
  @inline(__always)
  static func weights(_ x: Double) -> (Double, Double, Double, Double) {
    let y = x - x.rounded(.down)
    let z = 1.0 - y
    let w1 = (y * y * (y - 2.0) * 3.0 + 4.0) / 6.0
    let w2 = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0
    let w0 = z * z * z / 6.0
    var w3 = 1.0
    w3 -= w0
    w3 -= w1
    w3 -= w2
    return (w0, w1, w2, w3)
  }
}
