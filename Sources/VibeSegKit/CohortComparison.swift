import Foundation

/// The statistics of `vibeseg compare-cohort` (training.md §6.2, the paper's failure analysis):
/// two label maps per case (A and B, e.g. the second-to-last model and another network), per
/// label l and case c
///
///     D[c,l] = 2 |A_l ∩ B_l| / (|A_l| + |B_l|)       both empty: undefined (left out); one empty: 0
///     μ_l = mean_c D[c,l],  σ_l = sample SD (n - 1),  z[c,l] = (D[c,l] - μ_l) / σ_l
///     c is flagged for l  ⇔  D[c,l] < μ_l - k σ_l                          (k = 2 in the paper)
///
/// and, with `Criterion.volume`, the relative volume difference r[c,l] = (|B_l| - |A_l|) / |A_l|
/// (undefined when A_l is empty) flagged two-sided: |r - mean_l r| > k SD_l(r). `robust` replaces
/// mean and SD by the median and 1.4826 MAD (Dice is bounded and skewed). A label with fewer than
/// two defined values has no spread and flags nothing; a case is flagged only strictly beyond the
/// threshold, so identical values never flag.
public enum CohortComparison {
  public enum Criterion: String, Sendable, CaseIterable, Codable {
    /// Low Dice only (the paper).
    case dice
    /// Relative volume difference, both directions.
    case volume
    case both

    var usesDice: Bool { self != .volume }
    var usesVolume: Bool { self != .dice }
  }

  /// The counts of one label in one case: voxels of the label in A and B and in both.
  public struct Counts: Sendable, Equatable, Codable {
    public var a: Int
    public var b: Int
    public var both: Int

    public init(a: Int, b: Int, both: Int) {
      self.a = a
      self.b = b
      self.both = both
    }

    /// nil when both are empty.
    public var dice: Double? { a + b == 0 ? nil : 2 * Double(both) / Double(a + b) }
    /// (|B| - |A|) / |A|; nil when A is empty.
    public var relativeVolumeDifference: Double? { a == 0 ? nil : Double(b - a) / Double(a) }
    /// Voxels of B missing from A, as a fraction of |B| (the reviewer's "missing" hint); nil when B is empty.
    public var missingFraction: Double? { b == 0 ? nil : Double(b - both) / Double(b) }
    /// Voxels of A outside B, as a fraction of |B| ("over-segmented"); nil when B is empty.
    public var extraFraction: Double? { b == 0 ? nil : Double(a - both) / Double(b) }
  }

  /// Centre and spread of one metric over the cases where it is defined.
  public struct Spread: Sendable, Equatable, Codable {
    public var n: Int
    /// Mean (or median when robust).
    public var centre: Double
    /// Sample SD (or 1.4826 MAD when robust); nil for n < 2.
    public var scale: Double?

    /// Mean and sample SD (or median and 1.4826 MAD) of `values`.
    public init(_ values: [Double], robust: Bool) {
      n = values.count
      guard !values.isEmpty else {
        centre = .nan
        scale = nil
        return
      }
      if robust {
        centre = Self.median(values)
        scale = values.count < 2 ? nil : 1.4826 * Self.median(values.map { abs($0 - centre) })
      } else {
        centre = values.reduce(0, +) / Double(values.count)
        let c = centre
        scale = values.count < 2 ? nil : (values.reduce(0) { $0 + ($1 - c) * ($1 - c) } / Double(values.count - 1)).squareRoot()
      }
    }

    static func median(_ values: [Double]) -> Double {
      let s = values.sorted()
      return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// (value - centre) / scale; nil without a positive scale.
    public func z(_ value: Double) -> Double? {
      guard let scale, scale > 0 else { return nil }
      return (value - centre) / scale
    }
  }

  /// Why a case is on the review queue: one label and metric beyond the threshold.
  public struct Flag: Sendable, Equatable, Codable {
    public var label: Int
    public var metric: String
    public var value: Double
    public var z: Double
  }

  /// The spreads of every label and the flags of every case.
  public struct Result: Sendable, Equatable {
    public var dice: [Int: Spread]
    public var volume: [Int: Spread]
    /// Case index -> its flags, most extreme first.
    public var flags: [Int: [Flag]]
  }

  /// - Parameters:
  ///   - counts: per case (index = case), label -> counts (labels absent from a case's dictionary
  ///     are empty in both maps there).
  public static func analyse(_ counts: [[Int: Counts]], labels: [Int], k: Double, robust: Bool, criterion: Criterion)
    -> Result
  {
    var dice: [Int: Spread] = [:], volume: [Int: Spread] = [:]
    var flags: [Int: [Flag]] = [:]
    for label in labels {
      let d = Spread(counts.compactMap { $0[label]?.dice }, robust: robust)
      let v = Spread(counts.compactMap { $0[label]?.relativeVolumeDifference }, robust: robust)
      dice[label] = d
      volume[label] = v
      for (c, caseCounts) in counts.enumerated() {
        guard let count = caseCounts[label] else { continue }
        if criterion.usesDice, let value = count.dice, let z = d.z(value), z < -k {
          flags[c, default: []].append(Flag(label: label, metric: "dice", value: value, z: z))
        }
        if criterion.usesVolume, let value = count.relativeVolumeDifference, let z = v.z(value), abs(z) > k {
          flags[c, default: []].append(Flag(label: label, metric: "volume", value: value, z: z))
        }
      }
    }
    for c in flags.keys { flags[c]!.sort { (-abs($0.z), $0.label) < (-abs($1.z), $1.label) } }
    return Result(dice: dice, volume: volume, flags: flags)
  }
}
