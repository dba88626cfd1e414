import Foundation

/// The sidecars' JSON (`segment`, `spine`, `combine`): pretty-printed with sorted keys, a final
/// newline, and the objects keyed by label id (`labels`, `filledVoxels`) in numeric order
/// (1, 2, ..., 10, 100) instead of `JSONEncoder.sortedKeys`' string order (1, 10, 100, 2).
enum SidecarJSON {
  static func encode<T: Encodable>(_ value: T, numericObjects: [String] = ["labels", "filledVoxels"]) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    var text = String(decoding: try encoder.encode(value), as: UTF8.self)
    for name in numericObjects { text = reorder(text, object: name) }
    return Array(text.utf8) + [10]
  }

  /// Sorts the entry lines of the top-level object `name` (two-space indent, one `"id" : value`
  /// per line, as the pretty printer writes flat objects) by their integer keys; commas follow
  /// the new order. Text without such an object, or with a non-integer key, is returned unchanged.
  static func reorder(_ text: String, object name: String) -> String {
    var lines = text.components(separatedBy: "\n")
    guard let open = lines.firstIndex(of: "  \"\(name)\" : {"),
      let close = lines[(open + 1)...].firstIndex(where: { $0 == "  }" || $0 == "  }," })
    else { return text }
    let entries = lines[(open + 1)..<close].map { $0.hasSuffix(",") ? String($0.dropLast()) : $0 }
    var keyed: [(Int, String)] = []
    for entry in entries {
      let trimmed = entry.drop { $0 == " " }
      guard trimmed.hasPrefix("\""), let end = trimmed.dropFirst().firstIndex(of: "\""),
        let key = Int(trimmed[trimmed.index(after: trimmed.startIndex)..<end])
      else { return text }
      keyed.append((key, entry))
    }
    let sorted = keyed.sorted { $0.0 < $1.0 }.map(\.1)
    lines.replaceSubrange((open + 1)..<close, with: sorted.enumerated().map { $0.offset < sorted.count - 1 ? $0.element + "," : $0.element })
    return lines.joined(separator: "\n")
  }
}
