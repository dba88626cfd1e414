/// One tensor of a state dict: its metadata, and accessors that read its storage on demand.
///
/// Nothing is read until an accessor is called; every call reads the storage entry again
/// (CRC-32 verified) and returns a fresh contiguous array in row-major (C) order. Values are
/// bit-exact copies of what torch saved: `floats()` widens float16 and bfloat16 exactly and
/// rounds float64 to nearest-even, as `tensor.float()` does.
public struct StoredTensor: Sendable {
  /// The state-dict key (`encoder.stages.0.0.convs.0.conv.weight`).
  public let key: String
  public let reference: TensorReference
  let reader: StorageReader

  public var dtype: TensorDType { reference.storage.dtype }
  public var shape: [Int] { reference.shape }
  /// Element strides of the view into its storage.
  public var strides: [Int] { reference.strides }
  public var storageOffset: Int { reference.storageOffset }
  /// The storage's key in the archive (`data/<key>`); tensors with equal keys share memory.
  public var storageKey: String { reference.storage.key }
  public var elementCount: Int { reference.elementCount }
  /// Bytes of the tensor's own elements (not of its whole storage).
  public var byteCount: Int { elementCount * dtype.byteCount }

  /// The elements as `Float`, for float32/float16/bfloat16/float64 tensors.
  /// - Throws: `.unsupported` for integer and bool tensors; read errors as `CheckpointError`.
  public func floats() throws(CheckpointError) -> [Float] {
    try guarded {
      switch dtype {
      case .float32: return try elements(Float.self)
      case .float16: return try elements(UInt16.self).map { Float(Float16(bitPattern: $0)) }
      case .bfloat16: return try elements(UInt16.self).map { Float(bitPattern: UInt32($0) << 16) }
      case .float64: return try elements(Double.self).map { Float($0) }
      default:
        throw CheckpointError(
          .unsupported, "\(dtype.rawValue) tensor requested as Float", path: reader.path, context: "tensor \(key)")
      }
    }
  }

  /// The elements as `Int64`, for integer and bool tensors.
  public func int64s() throws(CheckpointError) -> [Int64] {
    try guarded {
      switch dtype {
      case .int64: return try elements(Int64.self)
      case .int32: return try elements(Int32.self).map { Int64($0) }
      case .int16: return try elements(Int16.self).map { Int64($0) }
      case .int8: return try elements(Int8.self).map { Int64($0) }
      case .uint8, .bool: return try elements(UInt8.self).map { Int64($0) }
      default:
        throw CheckpointError(
          .unsupported, "\(dtype.rawValue) tensor requested as Int64", path: reader.path, context: "tensor \(key)")
      }
    }
  }

  /// The raw element bytes in row-major order, little-endian — what
  /// `t.contiguous().numpy().tobytes()` gives on a little-endian machine.
  public func contiguousBytes() throws(CheckpointError) -> [UInt8] {
    try guarded { try rawContiguousBytes() }
  }

  private func guarded<T>(_ body: () throws -> T) throws(CheckpointError) -> T {
    do {
      return try body()
    } catch let error as CheckpointError {
      throw error
    } catch {
      throw CheckpointError(.ioFailure, "\(error)", path: reader.path, context: "tensor \(key)")
    }
  }
}
