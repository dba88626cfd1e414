import Foundation

/// `Content-Range: bytes FIRST-LAST/TOTAL` or `bytes */TOTAL`.
struct ContentRange {
  var first: Int64
  var last: Int64
  var total: Int64?

  init?(_ text: String) {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    guard trimmed.lowercased().hasPrefix("bytes") else { return nil }
    let spec = trimmed.dropFirst(5).trimmingCharacters(in: .whitespaces)
    let halves = spec.split(separator: "/", maxSplits: 1).map(String.init)
    guard halves.count == 2 else { return nil }
    total = halves[1] == "*" ? nil : Int64(halves[1])
    if halves[0] == "*" {
      first = -1
      last = -1
      return
    }
    let ends = halves[0].split(separator: "-", maxSplits: 1)
    guard ends.count == 2, let a = Int64(ends[0]), let b = Int64(ends[1]), a <= b else { return nil }
    first = a
    last = b
  }
}
