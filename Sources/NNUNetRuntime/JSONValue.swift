import Foundation
import TorchCheckpoint

/// A JSON node with the file and field path it came from, and typed accessors that throw
/// `PlansError` naming both, so a user reads
/// `plans.json: configurations.3d_fullres.patch_size: expected a list of integers`.
struct JSONValue {
  let node: JSONNode
  let path: String
  let field: String

  /// Reads and parses a JSON file (plans.json, dataset.json) through `RegularFile.contents`: only
  /// a regular file (a FIFO or device is refused without blocking) of at most
  /// `RegularFile.maxJSONBytes` (64 MiB, from `fstat`, before reading) is read.
  static func parse(_ url: URL) throws -> JSONValue {
    let bytes: [UInt8]
    do throws(RegularFile.Failure) {
      bytes = try RegularFile.contents(url.path, maxBytes: RegularFile.maxJSONBytes)
    } catch {
      switch error.kind {
      case .missing, .ioFailure: throw PlansError(.missingFile, "cannot read the file: \(error.message)", path: url.path)
      case .notRegular, .tooLarge: throw PlansError(.invalidJSON, error.message, path: url.path)
      }
    }
    do {
      return JSONValue(node: try OrderedJSONParser.parse(bytes), path: url.path, field: "")
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
