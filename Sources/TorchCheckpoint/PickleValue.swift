/// The value tree a checkpoint's `data.pkl` describes, built without calling anything.
///
/// Only inert data appears here: Python built-ins become their Swift equivalents, allow-listed
/// torch and NumPy objects become typed placeholders (`tensor`, `device`, `numpyScalar`), and
/// bookkeeping we never need (NumPy arrays, layouts, classes used as values) becomes
/// `opaque(name)`. The tree is finite and at most `CheckpointLimits.maxNestingDepth` deep;
/// cyclic pickles are rejected.
public indirect enum PickleValue: Sendable, Equatable {
  case none
  case bool(Bool)
  /// An integer that fits in 64 bits.
  case int(Int64)
  /// A wider integer (LONG1/LONG4): little-endian two's-complement bytes, as pickled.
  case bigInt([UInt8])
  case float(Double)
  case string(String)
  case bytes([UInt8])
  case tuple([PickleValue])
  case list([PickleValue])
  case set([PickleValue])
  /// `dict` or `collections.OrderedDict` (see `PickleDict.isOrdered`), in insertion order.
  case dict(PickleDict)
  /// A `torch._utils._rebuild_tensor_v2` (or `_rebuild_parameter`) result: a view of a storage.
  case tensor(TensorReference)
  /// `torch.device`: "cpu", "cuda", "cuda:0" ...
  case device(String)
  /// A NumPy scalar (`numpy.core.multiarray.scalar`): dtype string with byte order (`<f8`) and
  /// its raw bytes, not interpreted.
  case numpyScalar(dtype: String, bytes: [UInt8])
  /// An allow-listed object we keep as a name only (`numpy.ndarray`, `torch.strided` ...).
  case opaque(String)

  /// The dictionary, if this is one.
  public var dictionary: PickleDict? {
    if case .dict(let d) = self { return d }
    return nil
  }

  /// Value for a string key, if this is a dictionary that has it.
  public subscript(key: String) -> PickleValue? { dictionary?[key] }

  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  public var intValue: Int? {
    switch self {
    case .int(let v): Int(exactly: v)
    case .bool(let b): b ? 1 : 0
    default: nil
    }
  }

  /// The items of a tuple or list.
  public var sequence: [PickleValue]? {
    switch self {
    case .tuple(let items), .list(let items): items
    default: nil
    }
  }

  /// The value as a float64, for `.float`, `.int` and little/big-endian `f8`/`f4` NumPy scalars.
  public var doubleValue: Double? {
    switch self {
    case .float(let d): return d
    case .int(let i): return Double(i)
    case .numpyScalar(let dtype, let bytes):
      let little = !dtype.hasPrefix(">")
      func bits(_ count: Int) -> UInt64? {
        guard bytes.count == count else { return nil }
        return (little ? bytes.reversed() : bytes).reduce(0) { $0 << 8 | UInt64($1) }
      }
      switch dtype.dropFirst(dtype.first.map { "<>|=".contains($0) } == true ? 1 : 0) {
      case "f8": return bits(8).map { Double(bitPattern: $0) }
      case "f4": return bits(4).map { Double(Float(bitPattern: UInt32($0))) }
      default: return nil
      }
    default: return nil
    }
  }
}

/// A pickled `dict` or `OrderedDict`: entries in insertion order (a later SETITEM with an equal
/// string, integer or bool key replaces the value in place, as Python does).
public struct PickleDict: Sendable, Equatable {
  public struct Entry: Sendable, Equatable {
    public var key: PickleValue
    public var value: PickleValue
  }

  public var entries: [Entry]
  /// True for `collections.OrderedDict`.
  public var isOrdered: Bool

  public init(entries: [Entry], isOrdered: Bool) {
    self.entries = entries
    self.isOrdered = isOrdered
  }

  /// The value for a string key (linear search; checkpoint dictionaries are small or walked in order).
  public subscript(key: String) -> PickleValue? {
    for entry in entries {
      if case .string(let k) = entry.key, k == key { return entry.value }
    }
    return nil
  }

  public var count: Int { entries.count }
}
