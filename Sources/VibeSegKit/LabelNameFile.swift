import Foundation

/// The one reader of label-name files (`--label-names` of `stats`, `evaluate` and `preview`, and
/// the sidecar found beside a label map). Accepted shapes, all JSON objects:
///
/// - the sidecar `vibeseg segment`/`combine` writes: `{"schemaVersion": 1, "labels": {"5": "liver"}, ...}`;
/// - an nnU-Net `dataset.json`: `{"labels": {"background": 0, "spleen": 1, "ignore": 6}}` (name to
///   id; `background`, `ignore` and region entries, which are lists of ids, are left out);
/// - id to name, `{"1": "spleen", "2": "kidney_right"}` (TotalSegmentator's `*.labels.json`);
/// - name to id, `{"spleen": 1}`;
/// - an ITK-SNAP label description file (plain text: `IDX R G B A VIS MSH "LABEL"` per line,
///   `#` comments), as ITK-SNAP's "Export label descriptions" writes it.
///
/// Id 0 (background, ITK-SNAP's "Clear Label") is never named.
public enum LabelNameFile {
  /// Reads `url` (size-capped, regular files only: `JSONInput`).
  ///
  /// - Throws: `VibeSegKitError.invalidLabelFile` naming the file and the entry that fits no shape.
  public static func load(contentsOf url: URL, option: String = "--label-names") throws(VibeSegKitError) -> [Int: String] {
    let data = try JSONInput.data(url, option: option)
    func malformed(_ why: String) -> VibeSegKitError {
      VibeSegKitError(
        .invalidLabelFile,
        "not a label-name file (\(why)); expected a vibeseg sidecar, a dataset.json, {\"1\": \"spleen\", ...}, {\"spleen\": 1, ...} or an ITK-SNAP label description file",
        path: url.path, option: option)
    }
    if let text = String(data: data, encoding: .utf8), text.drop(while: \.isWhitespace).first != "{" {
      return try itkSnapNames(text, malformed)
    }
    guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
      throw malformed("not a JSON object")
    }
    if let labels = object["labels"] as? [String: Any] {
      return try names(labels, skipNonLabels: true, malformed)
    }
    return try names(object, skipNonLabels: false, malformed)
  }

  /// The sidecar `vibeseg segment`/`combine` wrote beside `labelMap` (`<stem>.json`), when there is
  /// one that reads as a label-name file with a `schemaVersion`; nil otherwise (no error: a
  /// missing or foreign JSON file simply is not a sidecar).
  public static func sidecar(besides labelMap: URL) -> (url: URL, names: [Int: String])? {
    let url = SegmentJob.sidecarURL(for: labelMap)
    guard url != labelMap, FileManager.default.fileExists(atPath: url.path),
      let data = try? JSONInput.data(url, option: "sidecar"),
      let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], object["schemaVersion"] != nil,
      object["labels"] is [String: Any], let names = try? load(contentsOf: url, option: "sidecar")
    else { return nil }
    return (url, names)
  }

  /// An ITK-SNAP label description file: per non-comment line `IDX R G B A VIS MSH "LABEL"`
  /// (ITK-SNAP `LabelTable` export); the name is the quoted text, id 0 is left out.
  static func itkSnapNames(_ text: String, _ malformed: (String) -> VibeSegKitError) throws(VibeSegKitError) -> [Int: String] {
    var names = [Int: String]()
    for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
      guard !line.isEmpty, !line.hasPrefix("#") else { continue }
      let fields = line.split(whereSeparator: \.isWhitespace)
      guard let quote = line.firstIndex(of: "\""), line.last == "\"", quote < line.index(before: line.endIndex),
        fields.count >= 8, let id = Int(fields[0]), id >= 0, fields[1..<7].allSatisfy({ Double($0) != nil })
      else {
        throw malformed("line \(number + 1) is not 'IDX R G B A VIS MSH \"LABEL\"': \(line.prefix(60))")
      }
      let name = String(line[line.index(after: quote)..<line.index(before: line.endIndex)])
      guard names[id] == nil else { throw malformed("label \(id) is named twice (line \(number + 1))") }
      if id != 0 { names[id] = name }
    }
    guard !names.isEmpty else { throw malformed("no labels in it") }
    return names
  }

  /// An object of id → name or name → id entries (mixed is fine).
  static func names(
    _ object: [String: Any], skipNonLabels: Bool, _ malformed: (String) -> VibeSegKitError
  ) throws(VibeSegKitError) -> [Int: String] {
    var names = [Int: String]()
    for (key, value) in object {
      if let id = Int(key), let name = value as? String {
        guard id >= 0 else { throw malformed("entry \"\(key)\" is a negative id") }
        if id > 0 { names[id] = name }
      } else if let number = value as? NSNumber {
        guard let id = Int(exactly: number.doubleValue), id >= 0 else { throw malformed("label \(key) has id \(number)") }
        if id > 0 && !(skipNonLabels && key == "ignore") { names[id] = key }
      } else if skipNonLabels && value is [Any] {
        continue  // a region of dataset.json: a list of ids
      } else {
        throw malformed("entry \"\(key)\" is neither \"id\": \"name\" nor \"name\": id")
      }
    }
    return names
  }
}
