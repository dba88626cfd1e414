import VolumeCore

/// NIfTI `datatype` codes (nifti1.h `NIFTI_TYPE_*`) and their mapping to `ScalarType`.
public enum NiftiDatatype {
  /// The NIfTI code for a scalar type.
  public static func code(for type: ScalarType) -> Int16 {
    switch type {
    case .uint8: 2
    case .int16: 4
    case .int32: 8
    case .float32: 16
    case .float64: 64
    case .int8: 256
    case .uint16: 512
    case .uint32: 768
    case .int64: 1024
    case .uint64: 1280
    }
  }

  /// The scalar type for a NIfTI code, or nil for codes VibeSeg does not read.
  public static func scalarType(for code: Int) -> ScalarType? {
    ScalarType.allCases.first { Int(self.code(for: $0)) == code }
  }

  /// Human names of the codes we recognise but refuse, for error messages.
  public static func name(of code: Int) -> String {
    switch code {
    case 0: "UNKNOWN (0)"
    case 1: "BINARY (1)"
    case 32: "COMPLEX64 (32)"
    case 128: "RGB24 (128)"
    case 1536: "FLOAT128 (1536)"
    case 1792: "COMPLEX128 (1792)"
    case 2048: "COMPLEX256 (2048)"
    case 2304: "RGBA32 (2304)"
    default: scalarType(for: code).map { "\($0.rawValue) (\(code))" } ?? "unknown code \(code)"
    }
  }
}
