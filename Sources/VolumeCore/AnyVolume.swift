/// A volume of any supported scalar type, as read from a file whose datatype is only known at
/// run time.
public enum AnyVolume: Sendable {
  case uint8(Volume<UInt8>), int8(Volume<Int8>), int16(Volume<Int16>), uint16(Volume<UInt16>)
  case int32(Volume<Int32>), uint32(Volume<UInt32>), int64(Volume<Int64>), uint64(Volume<UInt64>)
  case float32(Volume<Float>), float64(Volume<Double>)

  public init<V: VoxelScalar>(_ volume: Volume<V>) {
    switch volume {
    case let v as Volume<UInt8>: self = .uint8(v)
    case let v as Volume<Int8>: self = .int8(v)
    case let v as Volume<Int16>: self = .int16(v)
    case let v as Volume<UInt16>: self = .uint16(v)
    case let v as Volume<Int32>: self = .int32(v)
    case let v as Volume<UInt32>: self = .uint32(v)
    case let v as Volume<Int64>: self = .int64(v)
    case let v as Volume<UInt64>: self = .uint64(v)
    case let v as Volume<Float>: self = .float32(v)
    case let v as Volume<Double>: self = .float64(v)
    default: fatalError("unreachable: every VoxelScalar is listed")
    }
  }

  public var scalarType: ScalarType {
    switch self {
    case .uint8: .uint8
    case .int8: .int8
    case .int16: .int16
    case .uint16: .uint16
    case .int32: .int32
    case .uint32: .uint32
    case .int64: .int64
    case .uint64: .uint64
    case .float32: .float32
    case .float64: .float64
    }
  }

  public var grid: ImageGrid {
    get { apply { $0.grid } }
    set {
      switch self {
      case .uint8(var v): v.grid = newValue; self = .uint8(v)
      case .int8(var v): v.grid = newValue; self = .int8(v)
      case .int16(var v): v.grid = newValue; self = .int16(v)
      case .uint16(var v): v.grid = newValue; self = .uint16(v)
      case .int32(var v): v.grid = newValue; self = .int32(v)
      case .uint32(var v): v.grid = newValue; self = .uint32(v)
      case .int64(var v): v.grid = newValue; self = .int64(v)
      case .uint64(var v): v.grid = newValue; self = .uint64(v)
      case .float32(var v): v.grid = newValue; self = .float32(v)
      case .float64(var v): v.grid = newValue; self = .float64(v)
      }
    }
  }

  public var channelCount: Int { apply { $0.channelCount } }

  /// Calls a generic function with the concrete volume.
  public func apply<R>(_ body: (any VolumeProtocol) throws -> R) rethrows -> R {
    switch self {
    case .uint8(let v): try body(v)
    case .int8(let v): try body(v)
    case .int16(let v): try body(v)
    case .uint16(let v): try body(v)
    case .int32(let v): try body(v)
    case .uint32(let v): try body(v)
    case .int64(let v): try body(v)
    case .uint64(let v): try body(v)
    case .float32(let v): try body(v)
    case .float64(let v): try body(v)
    }
  }

  /// Smallest and largest finite stored value as Double, ignoring NaN and ±infinity (a concrete-type switch, so the
  /// scan runs specialised, about 1 ns per voxel instead of a generic witness call per voxel).
  public var valueRange: (min: Double, max: Double)? {
    func pair<V: VoxelScalar>(_ r: (min: V, max: V)?) -> (min: Double, max: Double)? {
      r.map { ($0.min.doubleValue, $0.max.doubleValue) }
    }
    switch self {
    case .uint8(let v): return pair(v.valueRange)
    case .int8(let v): return pair(v.valueRange)
    case .int16(let v): return pair(v.valueRange)
    case .uint16(let v): return pair(v.valueRange)
    case .int32(let v): return pair(v.valueRange)
    case .uint32(let v): return pair(v.valueRange)
    case .int64(let v): return pair(v.valueRange)
    case .uint64(let v): return pair(v.valueRange)
    case .float32(let v): return pair(v.valueRange)
    case .float64(let v): return pair(v.valueRange)
    }
  }

  /// Converts every voxel to `T` (see `Volume.converted(to:)`).
  /// A switch over the concrete cases, `@inlinable`, so the per-voxel loop is specialised for
  /// both types.
  @inlinable public func converted<T: VoxelScalar>(to type: T.Type) -> Volume<T> {
    switch self {
    case .uint8(let v): v.converted(to: type)
    case .int8(let v): v.converted(to: type)
    case .int16(let v): v.converted(to: type)
    case .uint16(let v): v.converted(to: type)
    case .int32(let v): v.converted(to: type)
    case .uint32(let v): v.converted(to: type)
    case .int64(let v): v.converted(to: type)
    case .uint64(let v): v.converted(to: type)
    case .float32(let v): v.converted(to: type)
    case .float64(let v): v.converted(to: type)
    }
  }

  /// Re-types the volume to a run-time scalar type.
  public func converted(to scalarType: ScalarType) -> AnyVolume {
    switch scalarType {
    case .uint8: AnyVolume(converted(to: UInt8.self))
    case .int8: AnyVolume(converted(to: Int8.self))
    case .int16: AnyVolume(converted(to: Int16.self))
    case .uint16: AnyVolume(converted(to: UInt16.self))
    case .int32: AnyVolume(converted(to: Int32.self))
    case .uint32: AnyVolume(converted(to: UInt32.self))
    case .int64: AnyVolume(converted(to: Int64.self))
    case .uint64: AnyVolume(converted(to: UInt64.self))
    case .float32: AnyVolume(converted(to: Float.self))
    case .float64: AnyVolume(converted(to: Double.self))
    }
  }
}

/// Type-erased access to a `Volume` (used by `AnyVolume.apply`).
public protocol VolumeProtocol: Sendable {
  var grid: ImageGrid { get }
  var channelCount: Int { get }
  var scalarType: ScalarType { get }
  func convertedErased<T: VoxelScalar>(to type: T.Type) -> Volume<T>
  /// Calls `body` with the raw bytes of the voxels (native byte order).
  func withUnsafeVoxelBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Volume: VolumeProtocol {
  public var scalarType: ScalarType { Voxel.scalarType }
  public func convertedErased<T: VoxelScalar>(to type: T.Type) -> Volume<T> { converted(to: type) }
  public func withUnsafeVoxelBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try voxels.withUnsafeBytes(body)
  }
}
