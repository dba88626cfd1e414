import Foundation

/// The one syntax for choosing labels, in every command that takes a selection (`segment
/// --roi-subset`, `stats --labels`, `evaluate --labels`, `preview --labels`, `batch --roi-subset`):
/// entries separated by commas and/or given as separate arguments; each entry an id (`5`), an
/// inclusive range of ids (`5-7`) or a label name (`liver`, any letter case).
///
/// ```swift
/// let ids = try LabelSelection.resolve(["liver,1", "5-7"], names: names, option: "--labels")  // [5, 1, 6, 7]
/// ```
public enum LabelSelection {
  public enum Entry: Equatable, Sendable {
    case id(Int)
    case range(Int, Int)
    case name(String)
  }

  /// The entries of `items` (syntax only: names are not looked up, so this can run before the
  /// label names are known).
  ///
  /// - Throws: `VibeSegKitError.invalidOption` naming `option` for an empty entry, a reversed
  ///   range or one with a bound outside `ids`.
  public static func parse(_ items: [String], option: String, ids: ClosedRange<Int> = 0...65535) throws(VibeSegKitError) -> [Entry] {
    var entries = [Entry]()
    for item in items {
      for part in item.split(separator: ",", omittingEmptySubsequences: false) {
        let text = part.trimmingCharacters(in: .whitespaces)
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false)
        if let id = Int(text) {
          guard ids.contains(id) else { throw refuse(text, option, ids) }
          entries.append(.id(id))
        } else if bounds.count == 2, let a = Int(bounds[0]), let b = Int(bounds[1]) {
          guard ids.contains(a), ids.contains(b), a <= b else { throw refuse(text, option, ids) }
          entries.append(.range(a, b))
        } else if !text.isEmpty, text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }),
          !text.first!.isNumber
        {
          entries.append(.name(text))
        } else {
          throw refuse(text, option, ids)
        }
      }
    }
    guard !entries.isEmpty else { throw refuse("", option, ids) }
    return entries
  }

  /// The ids `items` select, in the order given, each once.
  ///
  /// - Parameters:
  ///   - names: label id -> name, for name entries (and for `requireKnown`).
  ///   - requireKnown: every id must be one of `names` (a model's structures); else any id in `ids`.
  /// - Throws: `VibeSegKitError.invalidOption` (syntax), `.unknownLabel` naming the entry and,
  ///   for a model's structures, the known names.
  public static func resolve(
    _ items: [String], names: [Int: String], option: String, requireKnown: Bool = false, ids: ClosedRange<Int> = 0...65535
  ) throws(VibeSegKitError) -> [Int] {
    try resolve(parse(items, option: option, ids: ids), names: names, option: option, requireKnown: requireKnown)
  }

  /// `resolve` for entries already parsed.
  public static func resolve(_ entries: [Entry], names: [Int: String], option: String, requireKnown: Bool = false) throws(VibeSegKitError) -> [Int] {
    func unknown(_ what: String) -> VibeSegKitError {
      let known = requireKnown ? "; known: \(names.values.sorted().joined(separator: ", "))" : " (see --label-names or `vibeseg labels`)"
      return VibeSegKitError(.unknownLabel, "'\(what)' is not a label \(requireKnown ? "of this model" : "id or known name")\(known)", option: option)
    }
    var result = [Int]()
    var seen = Set<Int>()
    func add(_ id: Int) { if seen.insert(id).inserted { result.append(id) } }
    for entry in entries {
      switch entry {
      case .id(let id):
        guard !requireKnown || names[id] != nil else { throw unknown(String(id)) }
        add(id)
      case .range(let a, let b):
        for id in a...b where !requireKnown || names[id] != nil { add(id) }
      case .name(let name):
        guard let hit = names.filter({ $0.value.caseInsensitiveCompare(name) == .orderedSame }).keys.min() else { throw unknown(name) }
        add(hit)
      }
    }
    return result
  }

  static func refuse(_ text: String, _ option: String, _ ids: ClosedRange<Int>) -> VibeSegKitError {
    VibeSegKitError(
      .invalidOption,
      "'\(text)' is not a label id \(ids.lowerBound)...\(ids.upperBound), a range a-b or a label name (e.g. liver,1,5-7)", option: option)
  }
}
