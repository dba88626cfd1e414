/// The element types a volume can hold on disk and in memory.
///
/// Mirrors the NIfTI datatypes VibeSeg supports (uint8 ... float64). The raw value is the
/// lower-case name used on the command line and in JSON (`--dtype int16`).
public enum ScalarType: String, CaseIterable, Sendable, Codable {
  case uint8, int8, int16, uint16, int32, uint32, int64, uint64, float32, float64

  /// Bytes per element.
  public var byteCount: Int {
    switch self {
    case .uint8, .int8: 1
    case .int16, .uint16: 2
    case .int32, .uint32, .float32: 4
    case .int64, .uint64, .float64: 8
    }
  }

  public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

  /// The closed range of values the type holds exactly, as Double (integers only; nil for floats).
  public var integerRange: ClosedRange<Double>? {
    switch self {
    case .uint8: 0...255
    case .int8: -128...127
    case .int16: -32768...32767
    case .uint16: 0...65535
    case .int32: -2_147_483_648...2_147_483_647
    case .uint32: 0...4_294_967_295
    case .int64: Double(Int64.min)...Double(Int64.max)
    case .uint64: 0...Double(UInt64.max)
    case .float32, .float64: nil
    }
  }

  /// The smallest integer type that holds every value in `minimum...maximum`, preferring
  /// unsigned types for non-negative ranges (uint8, then int16, uint16, int32, uint32, int64).
  /// Used for label maps: a 0...71 map is stored as uint8.
  public static func smallestInteger(holding minimum: Int64, _ maximum: Int64) -> ScalarType {
    let order: [ScalarType] = [.uint8, .int8, .int16, .uint16, .int32, .uint32, .int64]
    for type in order {
      let range = type.integerRange!
      if Double(minimum) >= range.lowerBound && Double(maximum) <= range.upperBound { return type }
    }
    return .int64
  }
}
