/// A Swift numeric type that can be a voxel: one of the ten `ScalarType`s.
public protocol VoxelScalar: Numeric, Comparable, Sendable {
  static var scalarType: ScalarType { get }
  /// Converts from Double: floating types round to nearest; integer types round half away from
  /// zero and clamp to their range (NaN becomes 0). This is scipy.ndimage's integer output rule
  /// except for values within an ulp of .5 (scipy adds 0.5 then truncates); the resampler uses its
  /// own exact conversion for that reason.
  init(converting value: Double)
  /// The value as Double (exact for every type but 64-bit integers beyond 2^53).
  var doubleValue: Double { get }
}

extension VoxelScalar where Self: FixedWidthInteger {
  @inlinable public init(converting value: Double) {
    if value.isNaN { self = 0; return }
    let rounded = value.rounded(.toNearestOrAwayFromZero)
    let range = Self.scalarType.integerRange!
    if rounded <= range.lowerBound { self = Self.min; return }
    if rounded >= range.upperBound { self = Self.max; return }
    self = Self(rounded)
  }
  @inlinable public var doubleValue: Double { Double(self) }
}

extension UInt8: VoxelScalar { public static var scalarType: ScalarType { .uint8 } }
extension Int8: VoxelScalar { public static var scalarType: ScalarType { .int8 } }
extension Int16: VoxelScalar { public static var scalarType: ScalarType { .int16 } }
extension UInt16: VoxelScalar { public static var scalarType: ScalarType { .uint16 } }
extension Int32: VoxelScalar { public static var scalarType: ScalarType { .int32 } }
extension UInt32: VoxelScalar { public static var scalarType: ScalarType { .uint32 } }
extension Int64: VoxelScalar { public static var scalarType: ScalarType { .int64 } }
extension UInt64: VoxelScalar { public static var scalarType: ScalarType { .uint64 } }
extension Float: VoxelScalar {
  public static var scalarType: ScalarType { .float32 }
  @inlinable public init(converting value: Double) { self = Float(value) }
  @inlinable public var doubleValue: Double { Double(self) }
}
extension Double: VoxelScalar {
  public static var scalarType: ScalarType { .float64 }
  public init(converting value: Double) { self = value }
  public var doubleValue: Double { self }
}
