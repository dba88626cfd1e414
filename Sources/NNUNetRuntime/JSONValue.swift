import Foundation

/// A JSON node with the file and field path it came from, and typed accessors that throw
/// `PlansError` naming both, so a user reads
/// `plans.json: configurations.3d_fullres.patch_size: expected a list of integers`.
struct JSONValue {
  let node: JSONNode
  let path: String
  let field: String

  static func parse(_ url: URL) throws -> JSONValue {
    guard let data = FileManager.default.contents(atPath: url.path) else {
      throw PlansError(.missingFile, "cannot read the file", path: url.path)
    }
    do {
      return JSONValue(node: try OrderedJSONParser.parse([UInt8](data)), path: url.path, field: "")
    } catch {
      throw PlansError(.invalidJSON, "not valid JSON: \(error)", path: url.path)
    }
  }

  func fail(_ message: String, _ code: PlansError.Code = .invalidField) -> PlansError {
    PlansError(code, message, path: path, field: field.isEmpty ? nil : field)
  }

  func child(_ key: String, _ node: JSONNode) -> JSONValue {
    JSONValue(node: node, path: path, field: field.isEmpty ? key : "\(field).\(key)")
  }

  var isNull: Bool { node == .null }

  /// Object members in file order.
  func members() throws -> [(key: String, value: JSONValue)] {
    guard case .object(let m) = node else { throw fail("expected an object") }
    return m.map { ($0.key, child($0.key, $0.value)) }
  }

  /// A required member (present; may be null).
  func member(_ key: String) throws -> JSONValue {
    guard let value = try optionalMember(key, allowNull: true) else { throw child(key, .null).fail("missing") }
    return value
  }

  /// An optional member: nil when absent (or null unless `allowNull`).
  func optionalMember(_ key: String, allowNull: Bool = false) throws -> JSONValue? {
    guard case .object(let m) = node else { throw fail("expected an object") }
    guard let found = m.last(where: { $0.key == key }) else { return nil }
    if found.value == .null && !allowNull { return nil }
    return child(key, found.value)
  }

  func string() throws -> String {
    guard case .string(let s) = node else { throw fail("expected a string") }
    return s
  }

  func bool() throws -> Bool {
    switch node {
    case .bool(let b): return b
    case .number(let n): return n != 0
    default: throw fail("expected true or false")
    }
  }

  func int() throws -> Int {
    guard case .number(let n) = node, let value = Int(exactly: n) else { throw fail("expected an integer") }
    return value
  }

  func double() throws -> Double {
    guard case .number(let n) = node else { throw fail("expected a number") }
    return n
  }

  func array() throws -> [JSONValue] {
    guard case .array(let a) = node else { throw fail("expected a list") }
    return a.enumerated().map { child("\($0.offset)", $0.element) }
  }

  func ints() throws -> [Int] { try array().map { try $0.int() } }
  func doubles() throws -> [Double] { try array().map { try $0.double() } }
  func intLists() throws -> [[Int]] { try array().map { try $0.ints() } }
}
