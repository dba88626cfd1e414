/// The deformation parameters of one copy and the copy-count rule (training.md §4.1, §4.4): the
/// authors' law from TPTBox `elastic_deform.get_random_deform_parameter`, drawn from
/// `AugmentRandom` instead of NumPy's global generator.
public enum AugmentLaw {
  /// A copy's parameters: `sigma` (voxels, the standard deviation of every control
  /// displacement, the same on each axis), `points` per axis, and `sigma0` when the law drew it.
  public struct Draw: Sendable, Equatable {
    public var sigma: Double
    public var sigma0: Double?
    public var points: Int
  }

  /// TPTBox's `max_points` for a base sigma: [.., 2) → 17 (the branch TPTBox reaches only with a
  /// given sigma), [2, 2.1) → 15, [2.1, 2.3) → 14, [2.3, 2.5) → 13, [2.5, 2.6) → 12, [2.6, 2.7) → 11,
  /// [2.7, 2.8) → 10, [2.8, 3.0) → 9, [3.0, 3.5) → 8, [3.5, 4.0) → 7, [4.0, 4.3) → 6, else 5.
  public static func maxPoints(sigma0: Double) -> Int {
    let table: [(Double, Int)] = [
      (2.0, 17), (2.1, 15), (2.3, 14), (2.5, 13), (2.6, 12), (2.7, 11), (2.8, 10), (3.0, 9), (3.5, 8), (4.0, 7),
      (4.3, 6),
    ]
    return table.first { sigma0 < $0.0 }?.1 ?? 5
  }

  /// Draws one copy's parameters. Always consumes two uniforms, in this order, whatever is fixed:
  /// `U1` gives `sigma0 = 2 + 2.5·U1` and `sigma = sigma0 · deformFactor`; `U2` gives
  /// `points = 3 + floor(U2 · (maxPoints(sigma0) − 2))`, uniform in `3 … maxPoints`.
  /// A fixed `sigma` replaces both `sigma0` and `sigma` (no factor, as TPTBox uses a given sigma
  /// as is) and picks the table row for `points`; a fixed `points` replaces the drawn count.
  static func draw(
    _ random: inout AugmentRandom, sigma fixedSigma: Double?, points fixedPoints: Int?, deformFactor: Double
  )
    -> Draw
  {
    let u1 = random.uniform()
    let u2 = random.uniform()
    let sigma0 = fixedSigma ?? (2 + 2.5 * u1)
    let maximum = maxPoints(sigma0: sigma0)
    let drawnPoints = 3 + Int((u2 * Double(maximum - 2)).rounded(.down))
    return Draw(
      sigma: fixedSigma ?? sigma0 * deformFactor, sigma0: fixedSigma == nil ? sigma0 : nil,
      points: fixedPoints ?? min(drawnPoints, maximum))
  }

  /// Control displacements `D` (3 × P × P × P, C order, voxels): `3·P³` normals in storage order,
  /// each times `sigma` (drawn after `draw`, from the same stream).
  static func displacements(_ random: inout AugmentRandom, points: Int, sigma: Double) -> [Double] {
    (0..<(3 * points * points * points)).map { _ in random.normal() * sigma }
  }

  /// Copies per source case from a target dataset size (training.md §4.4): `factor =
  /// clamp(round(targetTotal / sourceCases), 4, 500)` (round half to even, as Python's `round`),
  /// `copies = factor − 1` (the original makes up the factor).
  ///
  /// - Precondition: both counts ≥ 1.
  public static func copies(targetTotal: Int, sourceCases: Int) -> Int {
    precondition(targetTotal >= 1 && sourceCases >= 1, "copies(targetTotal:sourceCases:) needs counts >= 1")
    let factor = (Double(targetTotal) / Double(sourceCases)).rounded(.toNearestOrEven)
    return Int(min(max(factor, 4), 500)) - 1
  }
}
