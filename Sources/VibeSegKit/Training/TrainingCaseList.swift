import Foundation

/// Reads the cases `vibeseg export-nnunet` exports, from one of three inputs:
///
/// - a **folder** with `images/` and `labels/`: every `images/<case id>.nii.gz` is a case; its
///   label map is `labels/<case id>.nii.gz`; the case id is parsed as
///   `<subject>_<session>_<contrast>[_<split>][_d<k>]` (`TrainingCase.parts(ofCaseID:source:)`);
///   files `vibeseg augment` writes as `<case>_d<k>.nii.gz` are deformed copies of `<case>`.
/// - a **JSON manifest**: an array of objects (or `{"cases": [...]}`) with `subject`, `session`,
///   `contrast`, `image`, `label` and optional `split` (string or integer) and `copy` (integer
///   k of `_d<k>`);
/// - a **CSV manifest** (`.csv`): a header row naming the same columns in any order, then one case
///   per row; plain comma-separated fields (no quoting).
///
/// Relative paths in a manifest are resolved against the manifest's folder. Several cases may
/// name one label file (VIBE water/in-phase/out-of-phase share one label map).
public enum TrainingCaseList {
  /// - Throws: `VibeSegKitError.missingInput` (no such file or folder, a missing label),
  ///   `.invalidInput` (malformed manifest or case name, naming file and row).
  public static func load(_ url: URL) throws(VibeSegKitError) -> [TrainingCase] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
      throw VibeSegKitError(.missingInput, "no such case folder or manifest", path: url.path)
    }
    let cases: [TrainingCase]
    if isDirectory.boolValue {
      cases = try folder(url)
    } else if url.pathExtension.lowercased() == "csv" {
      cases = try csv(url)
    } else {
      cases = try json(url)
    }
    guard !cases.isEmpty else { throw VibeSegKitError(.invalidInput, "lists no cases", path: url.path) }
    return cases
  }

  static let ending = ".nii.gz"

  static func folder(_ url: URL) throws(VibeSegKitError) -> [TrainingCase] {
    let images = url.appendingPathComponent("images")
    let labels = url.appendingPathComponent("labels")
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: images.path)
    } catch {
      throw VibeSegKitError(
        .missingInput, "a case folder holds images/ and labels/ (or give a manifest .json/.csv)", path: images.path)
    }
    var cases = [TrainingCase]()
    for name in names.sorted() where !name.hasPrefix(".") && (name.hasSuffix(ending) || name.hasSuffix(".nii")) {
      let image = images.appendingPathComponent(name)
      guard name.hasSuffix(ending) else {
        throw VibeSegKitError(
          .invalidInput, "not gzipped NIfTI; nnU-Net's file ending is .nii.gz (vibeseg convert)", path: image.path)
      }
      let id = String(name.dropLast(ending.count))
      let p = try TrainingCase.parts(ofCaseID: id, source: image.path)
      let label = labels.appendingPathComponent(name)
      guard FileManager.default.fileExists(atPath: label.path) else {
        throw VibeSegKitError(
          .missingInput, "no label map for \(image.path) (expected the same name in labels/)", path: label.path)
      }
      cases.append(
        TrainingCase(
          subject: p.subject, session: p.session, contrast: p.contrast, split: p.split, copy: p.copy, image: image,
          label: label, source: image.path))
    }
    return cases
  }

  static func json(_ url: URL) throws(VibeSegKitError) -> [TrainingCase] {
    let data = try JSONInput.data(url, option: "cases")
    let object = try? JSONSerialization.jsonObject(with: data)
    guard let rows = (object as? [Any]) ?? ((object as? [String: Any])?["cases"] as? [Any]) else {
      throw VibeSegKitError(.invalidInput, "a JSON manifest is an array of cases or {\"cases\": [...]}", path: url.path)
    }
    var cases = [TrainingCase]()
    for (index, row) in rows.enumerated() {
      let source = "\(url.path): case \(index + 1)"
      guard let fields = row as? [String: Any] else {
        throw VibeSegKitError(.invalidInput, "case \(index + 1) is not an object", path: url.path)
      }
      var strings = [String: String]()
      for (key, value) in fields {
        if let s = value as? String {
          strings[key] = s
        } else if let n = value as? NSNumber, let i = Int(exactly: n.doubleValue) {
          strings[key] = String(i)
        } else if !(value is NSNull) {
          throw VibeSegKitError(.invalidInput, "'\(key)' is neither a string nor an integer", path: source)
        }
      }
      cases.append(try makeCase(strings, base: url.deletingLastPathComponent(), source: source))
    }
    return cases
  }

  static func csv(_ url: URL) throws(VibeSegKitError) -> [TrainingCase] {
    let data = try JSONInput.data(url, option: "cases")
    guard let text = String(data: data, encoding: .utf8) else {
      throw VibeSegKitError(.invalidInput, "not UTF-8 text", path: url.path)
    }
    guard let parsed = CSVParser.rows(text) else {
      throw VibeSegKitError(.invalidInput, "unterminated quoted field", path: url.path)
    }
    let rows = parsed.filter { !$0.allSatisfy { $0.trimmingCharacters(in: .whitespaces).isEmpty } }
    guard let header = rows.first else { throw VibeSegKitError(.invalidInput, "empty CSV", path: url.path) }
    let columns = header.map { $0.trimmingCharacters(in: .whitespaces) }
    var cases = [TrainingCase]()
    for (index, row) in rows.dropFirst().enumerated() {
      let source = "\(url.path): row \(index + 2)"
      let values = row.map { $0.trimmingCharacters(in: .whitespaces) }
      guard values.count == columns.count else {
        throw VibeSegKitError(.invalidInput, "\(values.count) fields for \(columns.count) columns", path: source)
      }
      var strings = [String: String]()
      for (column, value) in zip(columns, values) where !value.isEmpty { strings[column] = value }
      cases.append(try makeCase(strings, base: url.deletingLastPathComponent(), source: source))
    }
    return cases
  }

  /// A case from a manifest row's fields (see the type's documentation).
  static func makeCase(_ fields: [String: String], base: URL, source: String) throws(VibeSegKitError) -> TrainingCase {
    let known: Set<String> = ["subject", "session", "contrast", "split", "copy", "image", "label"]
    if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
      throw VibeSegKitError(
        .invalidInput, "unknown field '\(unknown)' (expected \(known.sorted().joined(separator: ", ")))", path: source)
    }
    func required(_ key: String) throws(VibeSegKitError) -> String {
      guard let value = fields[key] else { throw VibeSegKitError(.invalidInput, "missing '\(key)'", path: source) }
      return value
    }
    func path(_ key: String) throws(VibeSegKitError) -> URL {
      let value = try required(key)
      return value.hasPrefix("/") ? URL(fileURLWithPath: value) : base.appendingPathComponent(value)
    }
    var copy: Int?
    if let text = fields["copy"] {
      guard let k = Int(text.hasPrefix("d") ? String(text.dropFirst()) : text), k >= 0 else {
        throw VibeSegKitError(.invalidInput, "copy '\(text)' is not a non-negative integer", path: source)
      }
      copy = k
    }
    return try TrainingCase(
      subject: try required("subject"), session: try required("session"), contrast: try required("contrast"),
      split: fields["split"], copy: copy, image: try path("image"), label: try path("label"), source: source
    ).validated()
  }
}
