#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The random numbers of one deformed copy (training.md §4.4): a xoshiro256** stream (Blackman &
/// Vigna 2018) whose state is keyed by `(seed, SHA-256(case id), copy index)` alone, so a copy's
/// parameters do not depend on the thread count, the processing order or the other cases.
///
/// Keying (version 1): `mix(z)` is SplitMix64's output for state `z` (`x = z + 0x9E3779B97F4A7C15`,
/// `x = (x ^ x>>30)·0xBF58476D1CE4E5B9`, `x = (x ^ x>>27)·0x94D049BB133111EB`, `x ^ x>>31`, all
/// modulo 2^64); the key is `k = mix(mix(mix(mix(mix(mix(seed) ^ h0) ^ h1) ^ h2) ^ h3) ^ copy)`
/// where `h0 … h3` are the
/// SHA-256 digest of the case id's UTF-8 bytes read as four big-endian 64-bit words and `copy` the
/// copy index (two's complement); the four state words are `mix(k)`, `mix(k + γ)`, `mix(k + 2γ)`,
/// `mix(k + 3γ)` with `γ = 0x9E3779B97F4A7C15` (a SplitMix64 generator started at `k`).
///
/// - `uniform()`: `(next() >> 11) · 2^-53`, in [0, 1) (53 bits).
/// - `normal()`: Box–Muller on two uniforms `u1 = 1 − uniform()` (in (0, 1]) and `u2`:
///   `r = sqrt(−2 ln u1)`, returns `r·cos(2π u2)`, then `r·sin(2π u2)` on the next call.
///   (`log`, `cos`, `sin` come from the platform's C library; values can differ in the last bit
///   between C libraries.)
struct AugmentRandom {
  /// Recorded in every sidecar.
  static let name = "xoshiro256** keyed by SplitMix64(seed, SHA-256(case id), copy index), Box-Muller normals"
  static let version = 1

  private var state: (UInt64, UInt64, UInt64, UInt64)
  private var spare: Double?

  /// - Parameter caseDigest: the 32 bytes of SHA-256(case id).
  /// - Precondition: `caseDigest.count == 32`.
  init(seed: UInt64, caseDigest: [UInt8], copyIndex: Int) {
    precondition(caseDigest.count == 32, "AugmentRandom: a SHA-256 digest has 32 bytes")
    var key = Self.mix(seed)
    for word in 0..<4 {
      var h: UInt64 = 0
      for byte in caseDigest[(8 * word)..<(8 * word + 8)] { h = h << 8 | UInt64(byte) }
      key = Self.mix(key ^ h)
    }
    key = Self.mix(key ^ UInt64(bitPattern: Int64(copyIndex)))
    var splitmix = key
    func nextSplitMix() -> UInt64 {
      let value = Self.mix(splitmix)
      splitmix &+= 0x9E37_79B9_7F4A_7C15
      return value
    }
    state = (nextSplitMix(), nextSplitMix(), nextSplitMix(), nextSplitMix())
  }

  /// The SplitMix64 output function of state `z` (adds the golden gamma first).
  static func mix(_ z: UInt64) -> UInt64 {
    var x = z &+ 0x9E37_79B9_7F4A_7C15
    x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
    x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
    return x ^ (x >> 31)
  }

  /// The next 64 bits of xoshiro256**.
  mutating func next() -> UInt64 {
    let result = rotate(state.1 &* 5, 7) &* 9
    let t = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= t
    state.3 = rotate(state.3, 45)
    return result
  }

  private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

  mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

  mutating func normal() -> Double {
    if let spare {
      self.spare = nil
      return spare
    }
    let u1 = 1.0 - uniform()
    let u2 = uniform()
    let r = (-2.0 * log(u1)).squareRoot()
    let angle = 2.0 * Double.pi * u2
    spare = r * sin(angle)
    return r * cos(angle)
  }
}
