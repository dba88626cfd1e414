/// Hand-assembled pickle streams for structural tests (protocol 2 opcodes, as pickletools names them).
struct PickleBuilder {
  var bytes: [UInt8] = [0x80, 0x02]  // PROTO 2

  @discardableResult mutating func op(_ raw: UInt8, _ operand: [UInt8] = []) -> Self {
    bytes.append(raw)
    bytes += operand
    return self
  }

  mutating func string(_ s: String) {
    let utf8 = Array(s.utf8)
    op(0x58, le(UInt32(utf8.count)) + utf8)  // BINUNICODE
  }

  mutating func int(_ v: Int32) { op(0x4A, le(UInt32(bitPattern: v))) }  // BININT
  mutating func global(_ module: String, _ name: String) { op(0x63, Array("\(module)\n\(name)\n".utf8)) }
  mutating func mark() { op(0x28) }
  mutating func tuple() { op(0x74) }
  mutating func emptyTuple() { op(0x29) }
  mutating func emptyList() { op(0x5D) }
  mutating func emptyDict() { op(0x7D) }
  mutating func reduce() { op(0x52) }
  mutating func put(_ i: UInt8) { op(0x71, [i]) }
  mutating func get(_ i: UInt8) { op(0x68, [i]) }
  mutating func stop() { op(0x2E) }

  /// `('storage', torch.<cls>, key, 'cpu', numel)` + BINPERSID.
  mutating func storage(_ cls: String = "FloatStorage", key: String = "0", numel: Int32) {
    mark()
    string("storage")
    global("torch", cls)
    string(key)
    string("cpu")
    int(numel)
    tuple()
    op(0x51)
  }

  /// `_rebuild_tensor_v2(storage, offset, shape, strides, False, OrderedDict())`.
  mutating func tensor(numel: Int32, offset: Int32 = 0, shape: [Int32], strides: [Int32], key: String = "0") {
    global("torch._utils", "_rebuild_tensor_v2")
    mark()
    storage(key: key, numel: numel)
    int(offset)
    mark(); for s in shape { int(s) }; tuple()
    mark(); for s in strides { int(s) }; tuple()
    op(0x89)  // NEWFALSE
    global("collections", "OrderedDict"); emptyTuple(); reduce()
    tuple()
    reduce()
  }

  func le(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
}

func pickle(_ build: (inout PickleBuilder) -> Void) -> [UInt8] {
  var builder = PickleBuilder()
  build(&builder)
  return builder.bytes
}
