import VolumeCore

/// Voxels to Double for the resampling engine, and back with the rules scipy.ndimage uses to
/// store an interpolated Double `t` into its output array (`CASE_INTERP_OUT*` in
/// `ni_interpolation.c`):
///
/// - float32 / float64: C conversion, round to nearest even (`Float(t)`).
/// - signed integers: `t > 0 ? t + 0.5 : t - 0.5`, clamped to the type's range, truncated
///   toward zero: round half away from zero, computed in floating point (so
///   0.49999999999999994 + 0.5 rounds to 1.0 and gives 1, where `VoxelScalar.init(converting:)`
///   gives 0).
/// - unsigned integers: `t > 0 ? t + 0.5 : 0`, clamped, truncated.
/// - NaN (undefined behaviour in scipy's C cast): 0.
package enum ResamplingConversion {
  /// Converts every value to `T` with scipy's rules. O(n).
  package static func convert<T: VoxelScalar>(_ values: [Double], to type: T.Type) -> [T] {
    // Double -> Double: no copy (a conditional array cast would test every element).
    if T.self == Double.self { return unsafeBitCast(values, to: [T].self) }
    return [T](unsafeUninitializedCapacity: values.count) { buffer, initialized in
      let raw = UnsafeMutableRawPointer(buffer.baseAddress!)
      // Each case binds the memory to T itself: T is the type named by T.scalarType.
      switch T.scalarType {
      case .float32: fill(raw.assumingMemoryBound(to: Float.self), values) { Float($0) }
      case .float64: fill(raw.assumingMemoryBound(to: Double.self), values) { $0 }
      case .uint8: fill(raw.assumingMemoryBound(to: UInt8.self), values) { integer($0) }
      case .int8: fill(raw.assumingMemoryBound(to: Int8.self), values) { integer($0) }
      case .int16: fill(raw.assumingMemoryBound(to: Int16.self), values) { integer($0) }
      case .uint16: fill(raw.assumingMemoryBound(to: UInt16.self), values) { integer($0) }
      case .int32: fill(raw.assumingMemoryBound(to: Int32.self), values) { integer($0) }
      case .uint32: fill(raw.assumingMemoryBound(to: UInt32.self), values) { integer($0) }
      case .int64: fill(raw.assumingMemoryBound(to: Int64.self), values) { integer($0) }
      case .uint64: fill(raw.assumingMemoryBound(to: UInt64.self), values) { integer($0) }
      }
      initialized = values.count
    }
  }

  /// scipy's integer store of one value (see the type's documentation).
  @inline(__always)
  package static func integer<I: FixedWidthInteger>(_ t: Double) -> I {
    if t.isNaN { return 0 }
    var v: Double
    if I.isSigned {
      v = t > 0 ? t + 0.5 : t - 0.5
    } else {
      v = t > 0 ? t + 0.5 : 0
    }
    v.round(.towardZero)
    if v >= Double(I.max) { return I.max }
    if v <= Double(I.min) { return I.min }
    return I(v)
  }

  @inline(__always)
  private static func fill<E>(_ target: UnsafeMutablePointer<E>, _ values: [Double], _ convert: (Double) -> E) {
    for (n, value) in values.enumerated() { (target + n).initialize(to: convert(value)) }
  }

  /// The voxels as Double (`VoxelScalar.doubleValue`), one specialised loop per scalar type
  /// (a generic `map(\.doubleValue)` dispatches through the protocol for every voxel). O(n).
  package static func doubles<V: VoxelScalar>(_ voxels: ArraySlice<V>) -> [Double] {
    voxels.withUnsafeBufferPointer { buffer in
      let raw = UnsafeRawPointer(buffer.baseAddress!)
      let n = buffer.count
      // Each case reads the memory as the type V is (named by V.scalarType).
      switch V.scalarType {
      case .float32: return read(raw.assumingMemoryBound(to: Float.self), n) { Double($0) }
      case .float64: return Array(UnsafeBufferPointer(start: raw.assumingMemoryBound(to: Double.self), count: n))
      case .uint8: return read(raw.assumingMemoryBound(to: UInt8.self), n) { Double($0) }
      case .int8: return read(raw.assumingMemoryBound(to: Int8.self), n) { Double($0) }
      case .int16: return read(raw.assumingMemoryBound(to: Int16.self), n) { Double($0) }
      case .uint16: return read(raw.assumingMemoryBound(to: UInt16.self), n) { Double($0) }
      case .int32: return read(raw.assumingMemoryBound(to: Int32.self), n) { Double($0) }
      case .uint32: return read(raw.assumingMemoryBound(to: UInt32.self), n) { Double($0) }
      case .int64: return read(raw.assumingMemoryBound(to: Int64.self), n) { Double($0) }
      case .uint64: return read(raw.assumingMemoryBound(to: UInt64.self), n) { Double($0) }
      }
    }
  }

  @inline(__always)
  private static func read<E>(_ source: UnsafePointer<E>, _ count: Int, _ convert: (E) -> Double) -> [Double] {
    [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
      for n in 0..<count { buffer[n] = convert(source[n]) }
      initialized = count
    }
  }
}
