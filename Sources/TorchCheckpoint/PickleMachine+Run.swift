extension PickleMachine {
  /// Executes the stream up to STOP and returns the result as an arena value.
  ///
  /// STOP must leave exactly one value and no open MARK, and must be the last byte.
  mutating func run() throws -> Value {
    var operations = 0
    while true {
      opcodeStart = position
      opcode = nil
      guard position < bytes.count else { throw malformed("the stream ends before STOP (truncated data.pkl)") }
      let raw = bytes[position]
      position += 1
      guard let op = PickleOpcode(rawValue: raw) else {
        throw malformed("unknown opcode 0x\(String(raw, radix: 16))")
      }
      opcode = op
      operations += 1
      guard operations <= limits.maxOperations else {
        throw overLimit("the number of pickle operations", limits.maxOperations)
      }
      if op == .stop {
        guard marks.isEmpty else { throw malformed("STOP with an open MARK") }
        guard stack.count == 1 else { throw malformed("STOP with \(stack.count) values on the stack (expected 1)") }
        guard position == bytes.count else { throw malformed("\(bytes.count - position) bytes follow STOP") }
        return stack[0]
      }
      try execute(op)
    }
  }

  private mutating func execute(_ op: PickleOpcode) throws {
    switch op {
    case .proto:
      let version = try littleEndian(1)
      guard version >= 2 && version <= 5 else {
        throw CheckpointError(
          .unsupported, "pickle protocol \(version) is not supported (2-5)", path: path, context: here)
      }
    case .frame:
      let length = try littleEndian(8)
      guard length <= UInt64(bytes.count - position) else { throw malformed("FRAME longer than the stream") }
    case .mark:
      guard marks.count < limits.maxStackDepth else {
        throw overLimit("the number of open MARKs", limits.maxStackDepth)
      }
      marks.append(stack.count)
    case .pop:
      if stack.count > (marks.last ?? 0) { stack.removeLast() } else { _ = try popMark() }
    case .popMark: _ = try popMark()
    case .dup: try push(try top())
    case .none: try push(.none)
    case .newTrue: try push(.bool(true))
    case .newFalse: try push(.bool(false))
    case .binInt: try push(.int(Int64(Int32(bitPattern: UInt32(try littleEndian(4))))))
    case .binInt1: try push(.int(Int64(try littleEndian(1))))
    case .binInt2: try push(.int(Int64(try littleEndian(2))))
    case .long1: try pushLong(try length(1))
    case .long4: try pushLong(try length(4))
    case .binFloat:
      let bits = try littleEndian(8).byteSwapped  // BINFLOAT is big-endian
      try push(.float(Double(bitPattern: bits)))
    case .binUnicode: try push(.string(try utf8(try length(4))))
    case .shortBinUnicode: try push(.string(try utf8(try length(1))))
    case .binUnicode8: try push(.string(try utf8(try length(8))))
    case .binString: try push(.string(try utf8(try length(4))))
    case .shortBinString: try push(.string(try utf8(try length(1))))
    case .binBytes: try push(.bytes(Array(try take(try length(4)))))
    case .shortBinBytes: try push(.bytes(Array(try take(try length(1)))))
    case .binBytes8: try push(.bytes(Array(try take(try length(8)))))
    case .emptyTuple: try push(try newObject(.tuple))
    case .tuple: try push(try newObject(.tuple, items: try popMark()))
    case .tuple1, .tuple2, .tuple3:
      let n = Int(op.rawValue - PickleOpcode.tuple1.rawValue) + 1
      guard stack.count - (marks.last ?? 0) >= n else { throw malformed("stack underflow") }
      let items = Array(stack.suffix(n))
      stack.removeLast(n)
      try push(try newObject(.tuple, items: items))
    case .emptyList: try push(try newObject(.list))
    case .list: try push(try newObject(.list, items: try popMark()))
    case .emptyDict: try push(try newObject(.dict))
    case .dict:
      let items = try popMark()
      let dict = try newObject(.dict)
      try setItems(dict, items)
      try push(dict)
    case .emptySet: try push(try newObject(.set))
    case .frozenSet: try push(try newObject(.frozenSet, items: try popMark()))
    case .append:
      let value = try pop()
      try appendItems(try top(), [value], kind: "APPEND")
    case .appends:
      let items = try popMark()
      try appendItems(try top(), items, kind: "APPENDS")
    case .addItems:
      let items = try popMark()
      try addToSet(try top(), items)
    case .setItem:
      let value = try pop()
      let key = try pop()
      try setItems(try top(), [key, value])
    case .setItems:
      let items = try popMark()
      try setItems(try top(), items)
    case .binPut: try memoPut(UInt32(try littleEndian(1)))
    case .longBinPut: try memoPut(UInt32(try littleEndian(4)))
    case .memoize: try memoPut(UInt32(truncatingIfNeeded: memoCount))
    case .binGet: try memoGet(UInt32(try littleEndian(1)))
    case .longBinGet: try memoGet(UInt32(try littleEndian(4)))
    case .global:
      let module = try line()
      let name = try line()
      try push(.global(try resolve(module: module, name: name)))
    case .stackGlobal:
      guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
        throw malformed("STACK_GLOBAL needs two strings")
      }
      try push(.global(try resolve(module: module, name: name)))
    case .reduce:
      let args = try pop()
      let callable = try pop()
      try push(try reduce(callable, args))
    case .newObj:
      let args = try pop()
      let cls = try pop()
      try push(try newObj(cls, args))
    case .build:
      let state = try pop()
      try build(try top(), state)
    case .binPersID:
      try push(.storage(try persistentStorage(try pop())))
    case .stop:
      break  // handled by run()
    case .float, .int, .long, .string, .unicode, .get, .put, .persID, .inst, .obj, .ext1, .ext2, .ext4, .newObjEx,
      .byteArray8, .nextBuffer, .readonlyBuffer:
      throw CheckpointError(
        .unsupported,
        "opcode \(op.name) is not accepted in a checkpoint (text-protocol, extension or code-executing form)",
        path: path, context: here)
    }
  }

  /// LONG1/LONG4: little-endian two's complement of `count` bytes.
  private mutating func pushLong(_ count: Int) throws {
    let digits = Array(try take(count))
    if count <= 8 {
      var value: UInt64 = 0
      for (index, byte) in digits.enumerated() { value |= UInt64(byte) << (8 * index) }
      if count > 0 && count < 8 && digits[count - 1] & 0x80 != 0 { value |= ~0 << (8 * count) }  // sign-extend
      try push(.int(Int64(bitPattern: value)))
    } else {
      try push(.bigInt(digits))
    }
  }

  private func resolve(module: String, name: String) throws -> PickleGlobal {
    guard let global = PickleGlobal(module: module, name: name) else {
      throw CheckpointError(
        .forbiddenGlobal,
        "the pickle names `\(module).\(name)`, which is not on the allow-list of globals a checkpoint may use; VibeSeg never calls code from a checkpoint. The file is not a plain nnU-Net checkpoint and may be malicious",
        path: path, context: "\(here): global \(module).\(name)")
    }
    return global
  }

  // MARK: container mutation

  private mutating func appendItems(_ target: Value, _ items: [Value], kind: String) throws {
    guard case .object(let id) = target, case .list = objects[id].kind else {
      throw malformed("\(kind) on something that is not a list")
    }
    try count(items.count)
    objects[id].items.append(contentsOf: items)
  }

  private mutating func addToSet(_ target: Value, _ items: [Value]) throws {
    guard case .object(let id) = target, case .set = objects[id].kind else {
      throw malformed("ADDITEMS on something that is not a set")
    }
    try count(items.count)
    objects[id].items.append(contentsOf: items)
  }

  /// SETITEM(S) / DICT: `items` alternates keys and values. Only dictionaries accept items
  /// (CVE-2026-24747 was SETITEM on non-dicts).
  mutating func setItems(_ target: Value, _ items: [Value]) throws {
    guard case .object(let id) = target else { throw malformed("SETITEM on something that is not a dict") }
    switch objects[id].kind {
    case .dict, .orderedDict: break
    default: throw malformed("SETITEM on something that is not a dict")
    }
    guard items.count % 2 == 0 else { throw malformed("an odd number of values for dictionary items") }
    try count(items.count)
    for pair in stride(from: 0, to: items.count, by: 2) {
      let key = items[pair]
      var hashKey: DictKey? = nil
      switch key {
      case .string(let s): hashKey = .string(s)
      case .int(let i): hashKey = .int(i)
      case .bool(let b): hashKey = .int(b ? 1 : 0)
      case .object, .global, .storage, .float, .none, .bigInt, .bytes: break
      }
      if let hashKey, let existing = objects[id].keyIndex[hashKey] {
        objects[id].items[2 * existing + 1] = items[pair + 1]
      } else {
        if let hashKey { objects[id].keyIndex[hashKey] = objects[id].items.count / 2 }
        objects[id].items.append(key)
        objects[id].items.append(items[pair + 1])
      }
    }
  }
}
