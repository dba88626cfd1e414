import VolumeCore
import VolumeTransforms

/// A station's values on the output grid, kept in the precision NumPy's `t * o` would use with a
/// float32 weight: float32 for types float32 holds exactly and promotes to float32 (uint8, int8,
/// int16, uint16, float32), float64 for the others (int32 … uint64, float64).
enum StationValues: Sendable {
  case single([Float])
  case double([Double])

  var count: Int {
    switch self {
    case .single(let v): v.count
    case .double(let v): v.count
    }
  }

  func value(at n: Int) -> Double {
    switch self {
    case .single(let v): Double(v[n])
    case .double(let v): v[n]
    }
  }

  static func usesSingle(_ type: ScalarType) -> Bool {
    switch type {
    case .uint8, .int8, .int16, .uint16, .float32: true
    default: false
    }
  }
}

/// How a station reached the output grid (reported).
public enum StitchSamplingPath: String, Sendable, Codable {
  /// TPTBox 1.1.0's `resample_from_to` shortcut: same spacing, the grids differ by a signed axis
  /// permutation and an integer shift, so voxels are copied (pad/crop/reorient), exactly.
  case copied
  /// scipy `affine_transform` (order 3 images, order 0 labels, mode constant).
  case interpolated
}

/// Step 5 of the stitch: every station onto the output grid, and its occupancy.
enum StationSampler {
  /// The station's values on `grid` and its occupancy (1 where the station covers the output
  /// voxel, else 0), as TPTBox 1.1.0 `NII.resample_from_to(out, order, mode="constant", c_val=bg)`
  /// and the order-0 resampling of an all-ones array computes them:
  ///
  /// - shortcut (`copied`): with `T = inv(A_s)·A_out` (`VoxelMapping(sampling:at:)`), if rounding
  ///   `T`'s linear part gives a signed permutation `P`, the station spacing along each permuted
  ///   axis equals the output's (`|a − b| ≤ 1e-6 + 1e-5·|b|`, NumPy `allclose`), and
  ///   `A_s·[P | round(t)]` reproduces `A_out` within 1e-4 per entry (upstream's `assert_affine`
  ///   tolerance), output voxel `o` takes source voxel `P·o + round(t)` or cval outside;
  /// - otherwise `Volume.resampled(onto:order:mode: .constant, cval:)` (scipy semantics: closed box
  ///   `[0, n−1]` per axis, integer outputs round half away from zero and saturate), and the
  ///   occupancy is an all-ones array resampled with order 0 and cval 0.
  ///
  /// Float results have NaN and ±infinity replaced by cval (1.1.0, images only).
  static func sample(
    _ station: AnyVolume, onto grid: ImageGrid, order: InterpolationOrder, cval: Double, replaceNonFinite: Bool
  ) -> (values: StationValues, occupancy: [Float], path: StitchSamplingPath)? {
    guard let mapping = VoxelMapping(sampling: station.grid.affine, at: grid.affine) else { return nil }
    let single = StationValues.usesSingle(station.scalarType)
    let values: StationValues
    let occupancy: [Float]
    let path: StitchSamplingPath
    if let shift = integerShift(mapping, from: station.grid, to: grid) {
      (values, occupancy) = gather(station, shift: shift, onto: grid, cval: cval, single: single)
      path = .copied
    } else {
      let resampled = station.resampled(onto: grid, order: order, mode: .constant, cval: cval)
      values = collect(resampled, single: single)
      let ones = Volume<UInt8>(grid: station.grid, repeating: 1)
        .resampled(onto: grid, order: .nearest, mode: .constant, cval: 0)
      occupancy = ones.voxels.map { Float($0) }
      path = .interpolated
    }
    guard replaceNonFinite && station.scalarType.isFloatingPoint else { return (values, occupancy, path) }
    return (replacingNonFinite(values, with: cval), occupancy, path)
  }

  /// `(P, t)` with source index `P·o + t` when the shortcut applies (see `sample`), else nil.
  static func integerShift(_ mapping: VoxelMapping, from source: ImageGrid, to target: ImageGrid) -> (
    permutation: [[Int]], offset: [Int]
  )? {
    let p = mapping.matrix.map { row in row.map { Int($0.rounded()) } }
    for r in 0..<3 {
      guard p[r].map(abs).reduce(0, +) == 1, (0..<3).allSatisfy({ c in abs(p[c][r]) <= 1 }) else { return nil }
    }
    for c in 0..<3 { guard (0..<3).map({ abs(p[$0][c]) }).reduce(0, +) == 1 else { return nil } }
    let sourceSpacing = source.spacingMillimeters
    let targetSpacing = target.spacingMillimeters
    for r in 0..<3 {
      let c = p[r].firstIndex { $0 != 0 }!
      let a = sourceSpacing[r]
      let b = targetSpacing[c]
      guard abs(a - b) <= 1e-6 + 1e-5 * abs(b) else { return nil }
    }
    guard mapping.offset.allSatisfy({ $0.isFinite && abs($0) < 1e9 }) else { return nil }
    let t = mapping.offset.map { Int($0.rounded()) }
    // A_s · [P | t] against A_out, entry by entry.
    var tolerance = 0.0
    for r in 0..<3 {
      for c in 0..<4 {
        var sum = c == 3 ? source.affine[r, 3] : 0
        for k in 0..<3 { sum += source.affine[r, k] * Double(c == 3 ? t[k] : p[k][c]) }
        tolerance = Swift.max(tolerance, abs(sum - target.affine[r, c]))
      }
    }
    return tolerance <= 1e-4 ? (p, t) : nil
  }

  private static func gather(
    _ station: AnyVolume, shift: (permutation: [[Int]], offset: [Int]), onto grid: ImageGrid, cval: Double, single: Bool
  ) -> (StationValues, [Float]) {
    let n = station.grid.shape
    let out = grid.shape
    let p = shift.permutation
    let t = shift.offset
    // cval as the station's type would store it (np.pad of the typed array).
    let typedCval =
      station.apply { $0.scalarType }.integerRange.map { range in
        Swift.min(Swift.max(cval.rounded(.towardZero), range.lowerBound), range.upperBound)
      } ?? cval
    let source = station.converted(to: Double.self).voxels
    if single {
      return (.single(fill(source, n: n, out: out, p: p, t: t, cval: Float(typedCval)) { Float($0) }), occupancy(n, out, p, t))
    }
    return (.double(fill(source, n: n, out: out, p: p, t: t, cval: typedCval) { $0 }), occupancy(n, out, p, t))
  }

  /// Output voxel `(i, j, k)` takes source voxel `P·(i, j, k) + t` (source axis r: row r of P),
  /// or `cval` when that lies outside the source.
  private static func fill<T>(
    _ source: [Double], n: [Int], out: [Int], p: [[Int]], t: [Int], cval: T, _ convert: (Double) -> T
  ) -> [T] {
    var values = [T](repeating: cval, count: out[0] * out[1] * out[2])
    visit(n, out, p, t) { index, s in values[index] = convert(source[s]) }
    return values
  }

  private static func occupancy(_ n: [Int], _ out: [Int], _ p: [[Int]], _ t: [Int]) -> [Float] {
    var occupancy = [Float](repeating: 0, count: out[0] * out[1] * out[2])
    visit(n, out, p, t) { index, _ in occupancy[index] = 1 }
    return occupancy
  }

  /// Calls `body(outputIndex, sourceIndex)` for every output voxel whose source voxel exists.
  @inline(__always)
  private static func visit(_ n: [Int], _ out: [Int], _ p: [[Int]], _ t: [Int], _ body: (Int, Int) -> Void) {
    let (p0, p1, p2) = (p[0], p[1], p[2])
    let (n0, n1, n2) = (n[0], n[1], n[2])
    var index = 0
    for k in 0..<out[2] {
      for j in 0..<out[1] {
        let b0 = p0[1] * j + p0[2] * k + t[0]
        let b1 = p1[1] * j + p1[2] * k + t[1]
        let b2 = p2[1] * j + p2[2] * k + t[2]
        for i in 0..<out[0] {
          let s0 = p0[0] * i + b0
          let s1 = p1[0] * i + b1
          let s2 = p2[0] * i + b2
          if s0 >= 0 && s0 < n0 && s1 >= 0 && s1 < n1 && s2 >= 0 && s2 < n2 { body(index, s0 + n0 * (s1 + n1 * s2)) }
          index += 1
        }
      }
    }
  }

  private static func collect(_ volume: AnyVolume, single: Bool) -> StationValues {
    if case .float32(let v) = volume { return .single(v.voxels) }
    if case .float64(let v) = volume { return .double(v.voxels) }
    let doubles = volume.converted(to: Double.self).voxels
    return single ? .single(doubles.map { Float($0) }) : .double(doubles)
  }

  private static func replacingNonFinite(_ values: StationValues, with cval: Double) -> StationValues {
    switch values {
    case .single(let v): .single(v.map { $0.isFinite ? $0 : Float(cval) })
    case .double(let v): .double(v.map { $0.isFinite ? $0 : cval })
    }
  }
}
