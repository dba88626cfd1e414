import VolumeCore

/// Steps 7 and 8 of the stitch: blend the weighted stations, floor, cast (TPTBox 1.1.0).
enum StitchBlend {
  /// Images: `out = Σ_s t_s · O_s` accumulated in a float32 array, in station order. The product
  /// is formed as NumPy promotes `t * o` with a float32 weight: in float32 for `.single` values
  /// (uint8 … uint16, float32), else in float64 and added to the float32 accumulator in float64,
  /// then rounded to float32 (NumPy's in-place `+=` with a float64 operand).
  static func blendImages(_ values: [StationValues], _ weights: [[Float]], count: Int) -> [Float] {
    var out = [Float](repeating: 0, count: count)
    for (t, o) in zip(values, weights) {
      switch t {
      case .single(let v):
        for n in 0..<count { out[n] += v[n] * o[n] }
      case .double(let v):
        for n in 0..<count { out[n] = Float(Double(out[n]) + v[n] * Double(o[n])) }
      }
    }
    return out
  }

  /// Segmentations, TPTBox ties: `out += (t_s · round_half_even(O_s)).astype(label type)` per
  /// station, summed in the label type with wrap-around (NumPy unsigned arithmetic). Returns
  /// the sums as Double (exact: label types hold at most 64 bits, labels are small).
  static func blendLabelsTPTBox(_ values: [StationValues], _ weights: [[Float]], count: Int, type: ScalarType)
    -> [Double]
  {
    let modulus = type == .uint64 ? nil : Optional(Double(type.integerRange!.upperBound) + 1)
    var out = [Double](repeating: 0, count: count)
    for (t, o) in zip(values, weights) {
      for n in 0..<count {
        let w = o[n].rounded(.toNearestOrEven)
        guard w != 0 else { continue }
        // float product, then astype(unsigned): truncation toward zero.
        let product: Double
        switch t {
        case .single(let v): product = Double(v[n] * w)
        case .double(let v): product = v[n] * Double(w)
        }
        var sum = out[n] + castToInteger(product, type)
        if let modulus, sum >= modulus { sum -= modulus }
        out[n] = sum
      }
    }
    return out
  }

  /// Segmentations, fixed ties: the label of the station with the largest weight `O_s > 0`, the
  /// earlier station on equal weights; 0 where no station has weight.
  static func blendLabelsFix(_ values: [StationValues], _ weights: [[Float]], count: Int) -> [Double] {
    var out = [Double](repeating: 0, count: count)
    for n in 0..<count {
      var best: Float = 0
      for s in weights.indices where weights[s][n] > best {
        best = weights[s][n]
        out[n] = values[s].value(at: n)
      }
    }
    return out
  }

  /// NumPy `astype(type)` of a float value on x86-64: truncation toward zero; beyond the type's
  /// range C leaves it undefined and x86 converts through a 32-bit (types up to 32 bits signed)
  /// or 64-bit integer and keeps the low bits (wrap-around; an unrepresentable value becomes the
  /// "integer indefinite" `INT_MIN`, whose low bits are 0 for 8/16-bit types). NaN likewise.
  static func castToInteger(_ x: Double, _ type: ScalarType) -> Double {
    let t = x.rounded(.towardZero)
    switch type {
    case .uint8, .int8, .int16, .uint16, .int32:
      let wide: Int64 = (x.isFinite && t >= -2_147_483_648 && t <= 2_147_483_647) ? Int64(t) : Int64(Int32.min)
      switch type {
      case .uint8: return Double(UInt8(truncatingIfNeeded: wide))
      case .int8: return Double(Int8(truncatingIfNeeded: wide))
      case .int16: return Double(Int16(truncatingIfNeeded: wide))
      case .uint16: return Double(UInt16(truncatingIfNeeded: wide))
      default: return Double(Int32(truncatingIfNeeded: wide))
      }
    case .uint32, .int64, .uint64:
      let wide: Int64 =
        (x.isFinite && t >= -9.223372036854775808e18 && t < 9.223372036854775808e18) ? Int64(t) : Int64.min
      switch type {
      case .uint32: return Double(UInt32(truncatingIfNeeded: wide))
      case .int64: return Double(wide)
      default: return Double(UInt64(truncatingIfNeeded: wide))
      }
    case .float32, .float64:
      return x
    }
  }

  /// Step 8: `out[out ≤ floor] = floor` (in float32) when a floor applies, then the cast to
  /// `type` (float64/float32 exact widening or rounding; integers by `castToInteger`).
  static func finish(_ blended: [Float], floor: Double?, grid: ImageGrid, type: ScalarType) -> AnyVolume {
    var values = blended
    if let floor {
      let f = Float(floor)
      for n in values.indices where values[n] <= f { values[n] = f }
    }
    switch type {
    case .float32: return AnyVolume(Volume(grid: grid, voxels: values))
    case .float64: return AnyVolume(Volume(grid: grid, voxels: values.map { Double($0) }))
    default: return integerVolume(values.map { castToInteger(Double($0), type) }, grid: grid, type: type)
    }
  }

  /// Label sums (or integer casts) already in `type`'s range, stored as `type`.
  static func integerVolume(_ values: [Double], grid: ImageGrid, type: ScalarType) -> AnyVolume {
    switch type {
    case .uint8: AnyVolume(Volume(grid: grid, voxels: values.map { UInt8($0) }))
    case .int8: AnyVolume(Volume(grid: grid, voxels: values.map { Int8($0) }))
    case .int16: AnyVolume(Volume(grid: grid, voxels: values.map { Int16($0) }))
    case .uint16: AnyVolume(Volume(grid: grid, voxels: values.map { UInt16($0) }))
    case .int32: AnyVolume(Volume(grid: grid, voxels: values.map { Int32($0) }))
    case .uint32: AnyVolume(Volume(grid: grid, voxels: values.map { UInt32($0) }))
    case .int64: AnyVolume(Volume(grid: grid, voxels: values.map { Int64($0) }))
    case .uint64: AnyVolume(Volume(grid: grid, voxels: values.map { UInt64($0) }))
    case .float32: AnyVolume(Volume(grid: grid, voxels: values.map { Float($0) }))
    case .float64: AnyVolume(Volume(grid: grid, voxels: values))
    }
  }
}
