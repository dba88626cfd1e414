/// REDUCE, NEWOBJ, BUILD and BINPERSID: each allow-listed callable becomes an inert constructor
/// that checks its arguments against the signature torch and NumPy use (reliability.md 2.3).
extension PickleMachine {
  // MARK: argument helpers

  func tupleItems(_ value: Value) -> [Value]? {
    guard case .object(let id) = value, case .tuple = objects[id].kind else { return nil }
    return objects[id].items
  }

  func sequenceItems(_ value: Value) -> [Value]? {
    guard case .object(let id) = value else { return nil }
    switch objects[id].kind {
    case .tuple, .list, .set, .frozenSet: return objects[id].items
    default: return nil
    }
  }

  func isDictionary(_ value: Value) -> Bool {
    guard case .object(let id) = value else { return false }
    switch objects[id].kind {
    case .dict, .orderedDict: return true
    default: return false
    }
  }

  func integers(_ value: Value) -> [Int]? {
    guard let items = tupleItems(value) ?? sequenceItems(value) else { return nil }
    var out: [Int] = []
    for item in items {
      guard case .int(let v) = item, let i = Int(exactly: v) else { return nil }
      out.append(i)
    }
    return out
  }

  private func wrongArguments(_ callable: PickleGlobal) -> CheckpointError {
    malformed("unexpected arguments for \(callable.qualifiedName)")
  }

  // MARK: REDUCE

  mutating func reduce(_ callable: Value, _ argsValue: Value) throws -> Value {
    guard case .global(let global) = callable else {
      throw malformed("REDUCE on something that is not a callable global")
    }
    guard let args = tupleItems(argsValue) else { throw malformed("REDUCE arguments are not a tuple") }
    switch global {
    case .orderedDict, .builtinsSet, .builtinsFrozenset, .torchSize:
      return try construct(global, args)
    case .rebuildTensorV2:
      return try rebuildTensor(args)
    case .rebuildParameter, .rebuildParameterWithState:
      guard args.count == (global == .rebuildParameter ? 3 : 4), case .object(let id) = args[0],
        case .tensor(var tensor) = objects[id].kind, case .bool(let requiresGrad) = args[1], isDictionary(args[2])
      else { throw wrongArguments(global) }
      tensor.requiresGrad = requiresGrad
      return try newObject(.tensor(tensor))
    case .device:
      guard (1...2).contains(args.count), case .string(let type) = args[0] else { throw wrongArguments(global) }
      var name = type
      if args.count == 2 {
        guard case .int(let index) = args[1] else { throw wrongArguments(global) }
        name += ":\(index)"
      }
      return try newObject(.device(name))
    case .getLayout:
      guard args.count == 1, case .string(let name) = args[0] else { throw wrongArguments(global) }
      return try newObject(.opaque(name))
    case .numpyDType:
      guard args.count == 3, case .string(let name) = args[0], case .bool = args[1], case .bool = args[2] else {
        throw wrongArguments(global)
      }
      return try newObject(.numpyDType(name: name, byteOrder: ""))
    case .numpyScalar:
      guard args.count == 2, case .object(let id) = args[0], case .numpyDType(let name, let order) = objects[id].kind,
        case .bytes(let payload) = args[1]
      else { throw wrongArguments(global) }
      return try newObject(.numpyScalar(dtype: order + name, bytes: payload))
    case .codecsEncode:
      guard args.count == 2, case .string(let text) = args[0], case .string(let encoding) = args[1],
        ["latin1", "latin-1", "iso-8859-1"].contains(encoding.lowercased())
      else { throw wrongArguments(global) }
      var out: [UInt8] = []
      for scalar in text.unicodeScalars {
        guard scalar.value <= 0xFF else { throw malformed("_codecs.encode: character outside latin-1") }
        out.append(UInt8(scalar.value))
      }
      return .bytes(out)
    case .numpyReconstruct:
      guard args.count == 3, case .global(.numpyNDArray) = args[0], tupleItems(args[1]) != nil else {
        throw wrongArguments(global)
      }
      return try newObject(.opaque("numpy.ndarray"))
    case .storageClass, .numpyDTypeClass, .numpyNDArray:
      throw malformed("REDUCE on \(global.qualifiedName) is not allowed")
    }
  }

  /// NEWOBJ: only the classes whose construction is plain data.
  mutating func newObj(_ cls: Value, _ argsValue: Value) throws -> Value {
    guard case .global(let global) = cls, let args = tupleItems(argsValue) else {
      throw malformed("NEWOBJ needs a class and an argument tuple")
    }
    switch global {
    case .orderedDict, .builtinsSet, .builtinsFrozenset, .torchSize: return try construct(global, args)
    case .numpyNDArray: return try newObject(.opaque("numpy.ndarray"))
    default: throw malformed("NEWOBJ on \(global.qualifiedName) is not allowed")
    }
  }

  /// `OrderedDict()` / `OrderedDict(pairs)`, `set(items)`, `frozenset(items)`, `torch.Size(ints)`.
  private mutating func construct(_ global: PickleGlobal, _ args: [Value]) throws -> Value {
    guard args.count <= 1 else { throw wrongArguments(global) }
    switch global {
    case .orderedDict:
      let dict = try newObject(.orderedDict)
      if let source = args.first {
        guard let pairs = sequenceItems(source) else { throw wrongArguments(global) }
        var flat: [Value] = []
        for pair in pairs {
          guard let kv = tupleItems(pair) ?? sequenceItems(pair), kv.count == 2 else { throw wrongArguments(global) }
          flat += kv
        }
        try setItems(dict, flat)
      }
      return dict
    case .builtinsSet, .builtinsFrozenset:
      var items: [Value] = []
      if let source = args.first {
        guard let values = sequenceItems(source) else { throw wrongArguments(global) }
        items = values
      }
      return try newObject(global == .builtinsSet ? .set : .frozenSet, items: items)
    case .torchSize:
      guard let source = args.first, let values = sequenceItems(source), integers(source) != nil else {
        throw wrongArguments(global)
      }
      return try newObject(.tuple, items: values)
    default:
      throw wrongArguments(global)
    }
  }

  // MARK: BUILD

  /// BUILD sets state on an object: accepted (and dropped) for dictionaries (`_metadata`),
  /// NumPy arrays and tensors; for a NumPy dtype it records the byte order (`state[1]`).
  mutating func build(_ target: Value, _ state: Value) throws {
    guard case .object(let id) = target else { throw malformed("BUILD on a value that has no state") }
    switch objects[id].kind {
    case .dict, .orderedDict, .tensor, .opaque("numpy.ndarray"):
      return
    case .numpyDType(let name, _):
      guard let items = tupleItems(state), items.count >= 2, case .string(let order) = items[1],
        ["<", ">", "|", "="].contains(order)
      else { throw malformed("unexpected numpy.dtype state") }
      objects[id].kind = .numpyDType(name: name, byteOrder: order)
    default:
      throw malformed("BUILD on this kind of value is not allowed")
    }
  }

  // MARK: tensors and storages

  /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`.
  /// The view must lie inside the storage, computed with overflow-reporting arithmetic.
  private mutating func rebuildTensor(_ args: [Value]) throws -> Value {
    guard args.count == 6 || args.count == 7, case .storage(let storage) = args[0], case .int(let offset64) = args[1],
      let offset = Int(exactly: offset64), let shape = integers(args[2]), let strides = integers(args[3]),
      case .bool(let requiresGrad) = args[4],
      isDictionary(args[5]) || { if case .none = args[5] { true } else { false } }()
    else { throw wrongArguments(.rebuildTensorV2) }
    let tensor = TensorReference(
      storage: storage, storageOffset: offset, shape: shape, strides: strides, requiresGrad: requiresGrad)
    if let problem = tensor.viewProblem(maxRank: limits.maxTensorRank, maxElements: limits.maxTensorElements) {
      throw CheckpointError(problem.code, problem.message, path: path, context: "\(here): storage \(storage.key)")
    }
    return try newObject(.tensor(tensor))
  }
  /// BINPERSID with `('storage', torch.<T>Storage, key, location, numel)`; any other persistent
  /// id is refused. A key seen twice must name the same dtype and size.
  mutating func persistentStorage(_ pid: Value) throws -> StorageReference {
    guard let items = tupleItems(pid), items.count == 5, case .string("storage") = items[0] else {
      throw malformed("persistent id is not a ('storage', type, key, location, numel) tuple")
    }
    guard case .global(.storageClass(let dtype)) = items[1], case .string(let key) = items[2],
      case .string(let location) = items[3], case .int(let numel64) = items[4], let numel = Int(exactly: numel64)
    else { throw malformed("persistent id has unexpected field types") }
    guard !key.isEmpty, key.utf8.count <= 64,
      key.utf8.allSatisfy({
        ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F
      })
    else {
      throw malformed("storage key \(key.debugDescription) is not a plain name")
    }
    guard numel >= 0 else { throw CheckpointError(.invalidTensor, "negative storage size", path: path, context: here) }
    guard numel <= limits.maxTensorElements else {
      throw overLimit("storage element count \(numel)", limits.maxTensorElements)
    }
    let storage = StorageReference(key: key, dtype: dtype, location: location, elementCount: numel)
    if let earlier = storages[key] {
      guard earlier.dtype == dtype && earlier.elementCount == numel else {
        throw CheckpointError(
          .invalidTensor, "storage \(key) is declared twice with different types or sizes", path: path, context: here)
      }
    } else {
      storages[key] = storage
    }
    return storage
  }
}
