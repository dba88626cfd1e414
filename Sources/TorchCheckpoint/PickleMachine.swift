/// A pickle virtual machine that builds inert values and never calls anything.
///
/// Iterative (no recursion while reading), with the Python 3 frame discipline: MARK opens a
/// frame on the stack, ordinary pops never cross it, and the opcodes that consume a MARK
/// (TUPLE, LIST, DICT, APPENDS, SETITEMS, ADDITEMS, FROZENSET, POP_MARK) close it. Containers
/// live in an arena (`objects`) and are referenced by index, so memo references are cheap and
/// mutations happen in place — no copies, however often a memoised list is fetched. Caps from
/// `CheckpointLimits` are checked before the memory they guard is used. Every structural error
/// throws `.malformedPickle` with the byte offset and opcode; a global not in `PickleGlobal`
/// throws `.forbiddenGlobal` naming it.
struct PickleMachine {
  enum Value {
    case none
    case bool(Bool)
    case int(Int64)
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case global(PickleGlobal)
    case storage(StorageReference)
    /// Index into `objects`.
    case object(Int)
  }

  struct Object {
    enum Kind {
      case tuple, list, dict, orderedDict, set, frozenSet
      case tensor(TensorReference)
      case device(String)
      case numpyDType(name: String, byteOrder: String)
      case numpyScalar(dtype: String, bytes: [UInt8])
      case opaque(String)
    }
    var kind: Kind
    /// Sequence items; for dictionaries alternating key, value.
    var items: [Value] = []
    /// Dictionaries: pair index of each string/int key, for Python's replace-in-place.
    var keyIndex: [DictKey: Int] = [:]
  }

  enum DictKey: Hashable {
    case string(String)
    case int(Int64)
  }

  let bytes: [UInt8]
  let limits: CheckpointLimits
  let path: String
  var position = 0
  var opcodeStart = 0
  var opcode: PickleOpcode? = nil
  var stack: [Value] = []
  var marks: [Int] = []
  /// Memo by key; keys are dense in practice (0, 1, 2 ...), and must be below `maxMemoEntries`.
  var memo: [Value?] = []
  var memoCount = 0
  var objects: [Object] = []
  var elementCount = 0
  /// Every storage a persistent id named, by key.
  var storages: [String: StorageReference] = [:]

  init(bytes: [UInt8], limits: CheckpointLimits, path: String) {
    self.bytes = bytes
    self.limits = limits
    self.path = path
  }

  // MARK: errors

  var here: String {
    "data.pkl@\(opcodeStart)" + (opcode.map { " \($0.name)" } ?? "")
  }

  func malformed(_ message: String) -> CheckpointError {
    CheckpointError(.malformedPickle, message, path: path, context: here)
  }

  func overLimit(_ what: String, _ limit: Int) -> CheckpointError {
    CheckpointError(.limitExceeded, "\(what) exceeds the limit of \(limit)", path: path, context: here)
  }

  // MARK: operands

  mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
    guard count >= 0, bytes.count - position >= count else {
      throw malformed("the stream ends inside an operand (truncated data.pkl)")
    }
    defer { position += count }
    return bytes[position..<(position + count)]
  }

  /// A `width`-byte little-endian unsigned operand (width <= 8).
  mutating func littleEndian(_ width: Int) throws -> UInt64 {
    guard bytes.count - position >= width else {
      throw malformed("the stream ends inside an operand (truncated data.pkl)")
    }
    var value: UInt64 = 0
    for index in 0..<width { value |= UInt64(bytes[position + index]) << (8 * index) }
    position += width
    return value
  }

  /// A length operand checked against the string cap and the bytes left.
  mutating func length(_ width: Int) throws -> Int {
    let raw = try littleEndian(width)
    guard raw <= UInt64(limits.maxStringBytes) else {
      throw overLimit("a string or bytes length of \(raw)", limits.maxStringBytes)
    }
    guard Int(raw) <= bytes.count - position else {
      throw malformed("a length of \(raw) runs past the end of the stream (truncated data.pkl)")
    }
    return Int(raw)
  }

  mutating func utf8(_ count: Int) throws -> String {
    let slice = try take(count)
    guard let text = String(validating: slice, as: UTF8.self) else { throw malformed("string is not valid UTF-8") }
    return text
  }

  /// A newline-terminated ASCII line (GLOBAL operands), at most 256 bytes.
  mutating func line() throws -> String {
    let start = position
    while position < bytes.count && bytes[position] != 0x0A {
      guard bytes[position] >= 0x20 && bytes[position] < 0x7F else {
        throw malformed("GLOBAL name holds a non-printable byte")
      }
      guard position - start < 256 else { throw malformed("GLOBAL name longer than 256 bytes") }
      position += 1
    }
    guard position < bytes.count else { throw malformed("the stream ends inside a GLOBAL name (truncated data.pkl)") }
    defer { position += 1 }
    return String(decoding: bytes[start..<position], as: UTF8.self)
  }

  // MARK: stack

  mutating func push(_ value: Value) throws {
    guard stack.count < limits.maxStackDepth else { throw overLimit("the pickle stack depth", limits.maxStackDepth) }
    stack.append(value)
  }

  /// Pops one value of the current frame (never across a MARK).
  mutating func pop() throws -> Value {
    guard stack.count > (marks.last ?? 0) else { throw malformed("stack underflow") }
    return stack.removeLast()
  }

  /// The top value of the current frame.
  func top() throws -> Value {
    guard stack.count > (marks.last ?? 0) else { throw malformed("stack underflow") }
    return stack[stack.count - 1]
  }

  /// Closes the innermost MARK frame and returns its values.
  mutating func popMark() throws -> [Value] {
    guard let mark = marks.popLast() else { throw malformed("no MARK to close") }
    let items = Array(stack[mark...])
    stack.removeSubrange(mark...)
    return items
  }

  /// Adds `count` items to the container budget.
  mutating func count(_ count: Int) throws {
    elementCount += count
    guard elementCount <= limits.maxContainerElements else {
      throw overLimit("the number of container items", limits.maxContainerElements)
    }
  }

  mutating func newObject(_ kind: Object.Kind, items: [Value] = []) throws -> Value {
    try count(1 + items.count)
    objects.append(Object(kind: kind, items: items))
    return .object(objects.count - 1)
  }

  // MARK: memo

  mutating func memoPut(_ key: UInt32) throws {
    let value = try top()
    let index = Int(key)
    guard index < limits.maxMemoEntries else {
      throw overLimit("memo key \(key)", limits.maxMemoEntries)
    }
    while memo.count <= index { memo.append(nil) }
    if memo[index] == nil { memoCount += 1 }
    memo[index] = value
  }

  mutating func memoGet(_ key: UInt32) throws {
    guard Int(key) < memo.count, let value = memo[Int(key)] else {
      throw malformed("memo key \(key) was never stored")
    }
    try push(value)
  }
}
