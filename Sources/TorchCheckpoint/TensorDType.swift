/// Element types of torch storages, named by the storage class `torch.save` pickles
/// (`torch.FloatStorage` ...). nnunet-inference.md 4.2 gives the mapping.
public enum TensorDType: String, Sendable, CaseIterable, Equatable {
  case float32, float16, bfloat16, float64
  case int64, int32, int16, int8, uint8, bool

  /// Bytes per element.
  public var byteCount: Int {
    switch self {
    case .float64, .int64: 8
    case .float32, .int32: 4
    case .float16, .bfloat16, .int16: 2
    case .int8, .uint8, .bool: 1
    }
  }

  /// Whether `StoredTensor.floats()` converts it (the floating-point types).
  public var isFloatingPoint: Bool {
    switch self {
    case .float32, .float16, .bfloat16, .float64: true
    default: false
    }
  }

  /// The dtype of a `torch.<name>` storage class, or nil for classes we do not read.
  init?(storageClass name: String) {
    switch name {
    case "FloatStorage": self = .float32
    case "HalfStorage": self = .float16
    case "BFloat16Storage": self = .bfloat16
    case "DoubleStorage": self = .float64
    case "LongStorage": self = .int64
    case "IntStorage": self = .int32
    case "ShortStorage": self = .int16
    case "CharStorage": self = .int8
    case "ByteStorage", "UntypedStorage": self = .uint8
    case "BoolStorage": self = .bool
    default: return nil
    }
  }
}
