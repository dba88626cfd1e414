/// A JSON document parsed with object member order kept (dataset.json's `labels` order decides
/// region channels; Foundation's parsers drop it). Accepts what Python's `json.dump` writes,
/// including `NaN`, `Infinity` and `-Infinity`. Depth is capped at 256.
indirect enum JSONNode: Equatable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONNode])
  case object([(key: String, value: JSONNode)])

  static func == (a: JSONNode, b: JSONNode) -> Bool {
    switch (a, b) {
    case (.null, .null): true
    case (.bool(let x), .bool(let y)): x == y
    case (.number(let x), .number(let y)): x == y || (x.isNaN && y.isNaN)
    case (.string(let x), .string(let y)): x == y
    case (.array(let x), .array(let y)): x == y
    case (.object(let x), .object(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    default: false
    }
  }
}

struct JSONSyntaxError: Error, CustomStringConvertible {
  var offset: Int
  var message: String
  var description: String { "\(message) at byte \(offset)" }
}

struct OrderedJSONParser {
  private let bytes: [UInt8]
  private var position = 0
  private var depth = 0

  static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONNode {
    var parser = OrderedJSONParser(bytes: bytes)
    let node = try parser.value()
    parser.skipWhitespace()
    guard parser.position == bytes.count else { throw parser.error("unexpected trailing characters") }
    return node
  }

  private init(bytes: [UInt8]) { self.bytes = bytes }

  private func error(_ message: String) -> JSONSyntaxError { JSONSyntaxError(offset: position, message: message) }

  private mutating func skipWhitespace() {
    while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
  }

  private mutating func consume(_ literal: String) -> Bool {
    let utf8 = Array(literal.utf8)
    guard position + utf8.count <= bytes.count, Array(bytes[position..<(position + utf8.count)]) == utf8 else { return false }
    position += utf8.count
    return true
  }

  private mutating func value() throws(JSONSyntaxError) -> JSONNode {
    skipWhitespace()
    guard position < bytes.count else { throw error("unexpected end of input") }
    switch bytes[position] {
    case UInt8(ascii: "{"): return try object()
    case UInt8(ascii: "["): return try array()
    case UInt8(ascii: "\""): return .string(try string())
    default:
      if consume("true") { return .bool(true) }
      if consume("false") { return .bool(false) }
      if consume("null") { return .null }
      if consume("NaN") { return .number(.nan) }
      if consume("Infinity") { return .number(.infinity) }
      if consume("-Infinity") { return .number(-.infinity) }
      return .number(try number())
    }
  }

  private mutating func nested<T>(_ body: (inout OrderedJSONParser) throws(JSONSyntaxError) -> T) throws(JSONSyntaxError) -> T {
    depth += 1
    guard depth <= 256 else { throw error("nesting deeper than 256") }
    defer { depth -= 1 }
    return try body(&self)
  }

  private mutating func object() throws(JSONSyntaxError) -> JSONNode {
    try nested { (p: inout OrderedJSONParser) throws(JSONSyntaxError) -> JSONNode in
      p.position += 1
      var members = [(key: String, value: JSONNode)]()
      p.skipWhitespace()
      if p.position < p.bytes.count, p.bytes[p.position] == UInt8(ascii: "}") { p.position += 1; return .object(members) }
      while true {
        p.skipWhitespace()
        guard p.position < p.bytes.count, p.bytes[p.position] == UInt8(ascii: "\"") else { throw p.error("expected a member name") }
        let key = try p.string()
        p.skipWhitespace()
        guard p.position < p.bytes.count, p.bytes[p.position] == UInt8(ascii: ":") else { throw p.error("expected ':'") }
        p.position += 1
        members.append((key, try p.value()))
        p.skipWhitespace()
        guard p.position < p.bytes.count else { throw p.error("unexpected end of input in an object") }
        if p.bytes[p.position] == UInt8(ascii: ",") { p.position += 1; continue }
        if p.bytes[p.position] == UInt8(ascii: "}") { p.position += 1; return .object(members) }
        throw p.error("expected ',' or '}'")
      }
    }
  }

  private mutating func array() throws(JSONSyntaxError) -> JSONNode {
    try nested { (p: inout OrderedJSONParser) throws(JSONSyntaxError) -> JSONNode in
      p.position += 1
      var items = [JSONNode]()
      p.skipWhitespace()
      if p.position < p.bytes.count, p.bytes[p.position] == UInt8(ascii: "]") { p.position += 1; return .array(items) }
      while true {
        items.append(try p.value())
        p.skipWhitespace()
        guard p.position < p.bytes.count else { throw p.error("unexpected end of input in a list") }
        if p.bytes[p.position] == UInt8(ascii: ",") { p.position += 1; continue }
        if p.bytes[p.position] == UInt8(ascii: "]") { p.position += 1; return .array(items) }
        throw p.error("expected ',' or ']'")
      }
    }
  }

  private mutating func number() throws(JSONSyntaxError) -> Double {
    let start = position
    while position < bytes.count, "+-0123456789.eE".utf8.contains(bytes[position]) { position += 1 }
    guard position > start, let value = Double(String(decoding: bytes[start..<position], as: UTF8.self)) else {
      position = start
      throw error("invalid value")
    }
    return value
  }

  private mutating func string() throws(JSONSyntaxError) -> String {
    position += 1
    var scalars = String.UnicodeScalarView()
    var raw = [UInt8]()
    func flush() { if !raw.isEmpty { scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars); raw.removeAll() } }
    while position < bytes.count {
      let b = bytes[position]
      position += 1
      if b == UInt8(ascii: "\"") { flush(); return String(scalars) }
      if b != UInt8(ascii: "\\") { raw.append(b); continue }
      guard position < bytes.count else { break }
      let e = bytes[position]
      position += 1
      flush()
      switch e {
      case UInt8(ascii: "n"): scalars.append("\n")
      case UInt8(ascii: "t"): scalars.append("\t")
      case UInt8(ascii: "r"): scalars.append("\r")
      case UInt8(ascii: "b"): scalars.append("\u{08}")
      case UInt8(ascii: "f"): scalars.append("\u{0C}")
      case UInt8(ascii: "u"):
        var code = try hex4()
        if (0xD800..<0xDC00).contains(code), consume("\\u") {
          let low = try hex4()
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        }
        scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
      default: scalars.append(Unicode.Scalar(e))
      }
    }
    throw error("unterminated string")
  }

  private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
    guard position + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[position..<(position + 4)], as: UTF8.self), radix: 16) else {
      throw error("invalid \\u escape")
    }
    position += 4
    return v
  }
}
