/// The globals a checkpoint may name (GLOBAL / STACK_GLOBAL), as an exact-match table
/// (nnunet-inference.md 4.4, reliability.md 2.3). Resolving a global never imports or calls
/// anything: it only selects which inert constructor REDUCE/NEWOBJ/BUILD may apply. Any other
/// name — `os.system`, `builtins.eval`, `subprocess.Popen`, `posix.system`, ... — is an error
/// naming it. There is deliberately no generic fallback.
enum PickleGlobal: Sendable, Equatable {
  case orderedDict
  case rebuildTensorV2
  case rebuildParameter
  case rebuildParameterWithState
  case storageClass(TensorDType)
  case device
  case torchSize
  case getLayout
  case numpyScalar
  case numpyDType
  /// `numpy.dtypes.Float64DType` and friends (NumPy 2), only ever used as values.
  case numpyDTypeClass(String)
  case numpyReconstruct
  case numpyNDArray
  case codecsEncode
  case builtinsSet
  case builtinsFrozenset

  /// Resolves `module.name` against the table, or nil when it is not allowed.
  init?(module: String, name: String) {
    switch (module, name) {
    case ("collections", "OrderedDict"): self = .orderedDict
    case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
    case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
    case ("torch._utils", "_rebuild_parameter_with_state"): self = .rebuildParameterWithState
    case ("torch", "device"): self = .device
    case ("torch", "Size"): self = .torchSize
    case ("torch.serialization", "_get_layout"): self = .getLayout
    case ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"): self = .numpyScalar
    case ("numpy", "dtype"): self = .numpyDType
    case ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"):
      self = .numpyReconstruct
    case ("numpy", "ndarray"): self = .numpyNDArray
    case ("_codecs", "encode"): self = .codecsEncode
    case ("builtins", "set"), ("__builtin__", "set"): self = .builtinsSet
    case ("builtins", "frozenset"), ("__builtin__", "frozenset"): self = .builtinsFrozenset
    case ("torch", _):
      guard let dtype = TensorDType(storageClass: name) else { return nil }
      self = .storageClass(dtype)
    case ("numpy.dtypes", _):
      guard name.hasSuffix("DType"), name.utf8.allSatisfy({ $0 < 0x80 && ($0 >= 0x41 || ($0 >= 0x30 && $0 <= 0x39)) })
      else { return nil }
      self = .numpyDTypeClass(name)
    default: return nil
    }
  }

  /// The Python name, for messages and `PickleValue.opaque`.
  var qualifiedName: String {
    switch self {
    case .orderedDict: "collections.OrderedDict"
    case .rebuildTensorV2: "torch._utils._rebuild_tensor_v2"
    case .rebuildParameter: "torch._utils._rebuild_parameter"
    case .rebuildParameterWithState: "torch._utils._rebuild_parameter_with_state"
    case .storageClass(let dtype): "torch storage class (\(dtype.rawValue))"
    case .device: "torch.device"
    case .torchSize: "torch.Size"
    case .getLayout: "torch.serialization._get_layout"
    case .numpyScalar: "numpy.core.multiarray.scalar"
    case .numpyDType: "numpy.dtype"
    case .numpyDTypeClass(let name): "numpy.dtypes.\(name)"
    case .numpyReconstruct: "numpy.core.multiarray._reconstruct"
    case .numpyNDArray: "numpy.ndarray"
    case .codecsEncode: "_codecs.encode"
    case .builtinsSet: "builtins.set"
    case .builtinsFrozenset: "builtins.frozenset"
    }
  }
}
