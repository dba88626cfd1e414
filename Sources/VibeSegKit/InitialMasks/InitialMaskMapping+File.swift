import Foundation

extension InitialMaskMapping {
  /// A user mapping file: one JSON object `{"source value": target, ...}` where each key is a
  /// whole number 1...65535 written in decimal (the label value in that network's map) and each
  /// target is a TotalVibe id (1...72), 0 (drop this value on purpose) or a TotalVibe name
  /// (`TotalVibeLabel.label(named:)`: exact, then case-insensitive). Example for a
  /// body-composition network: `{"1": "subcutaneous_fat", "2": "muscle", "3": "inner_fat",
  /// "4": "muscle"}` (intermuscular fat merged into muscle, as the paper did).
  ///
  /// Read through `JSONInput` (regular files only, size-capped).
  ///
  /// - Throws: `VibeSegKitError` naming the file: `.missingInput`; `.invalidLabelFile` (not a JSON
  ///   object, a key that is no whole number in 1...65535, a target that is neither a number nor
  ///   a string, a target id or name that is not in the TotalVibe registry).
  public static func read(contentsOf url: URL, option: String = "--map") throws(VibeSegKitError) -> InitialMaskMapping {
    let data = try JSONInput.data(url, option: option)
    guard let object = try? JSONDecoder().decode([String: Entry].self, from: data) else {
      throw VibeSegKitError(.invalidLabelFile,
        "not a mapping file: expected one JSON object {\"source value\": TotalVibe id or name, ...}, e.g. {\"1\": \"subcutaneous_fat\", \"2\": 66}",
        path: url.path, option: option)
    }
    var targets = [Int: UInt8]()
    for key in object.keys.sorted() {
      guard let value = Int(key), (1...65535).contains(value), String(value) == key else {
        throw VibeSegKitError(.invalidLabelFile,
          "key \"\(key)\" is not a source label value (a whole number 1...65535 in decimal; 0 is background and needs no entry)",
          path: url.path, option: option)
      }
      targets[value] = try object[key]!.target(key: key, url: url, option: option)
    }
    return InitialMaskMapping(origin: url.path, targets: targets)
  }

  /// One entry's target as written; decoding never fails, so errors can name the entry.
  enum Entry: Decodable {
    case id(Int)
    case name(String)
    case other(String)

    init(from decoder: any Decoder) throws {
      let container = try decoder.singleValueContainer()
      if let name = try? container.decode(String.self) {
        self = .name(name)
      } else if let bool = try? container.decode(Bool.self) {
        self = .other(String(bool))
      } else if let id = try? container.decode(Int.self) {
        self = .id(id)
      } else if let number = try? container.decode(Double.self) {
        self = .other(String(number))
      } else {
        self = .other("a list, object or null")
      }
    }

    /// The TotalVibe id this entry names.
    func target(key: String, url: URL, option: String) throws(VibeSegKitError) -> UInt8 {
      switch self {
      case .name(let name):
        guard let label = TotalVibeLabel.label(named: name) else {
          throw VibeSegKitError(.invalidLabelFile,
            "entry \"\(key)\": \"\(name)\" is not a TotalVibe structure name (see `vibeseg labels`)",
            path: url.path, option: option)
        }
        return label.id
      case .id(let id):
        guard id == 0 || TotalVibeLabel.label(id: id) != nil else {
          throw VibeSegKitError(.invalidLabelFile,
            "entry \"\(key)\": \(id) is not a TotalVibe id (1...\(TotalVibeLabel.all.count), or 0 to drop the value)",
            path: url.path, option: option)
        }
        return UInt8(id)
      case .other(let what):
        throw VibeSegKitError(.invalidLabelFile,
          "entry \"\(key)\": \(what) is no target; give a TotalVibe id (whole number) or name (string)",
          path: url.path, option: option)
      }
    }
  }
}
