import Foundation

/// Legend names from a JSON file, in either of two shapes:
///
/// - an object from id to name, `{"1": "spleen", "2": "kidney_right"}` (the `*.labels.json` files
///   beside the real test scans);
/// - an nnU-Net `dataset.json`, whose `"labels"` object maps name to id,
///   `{"labels": {"background": 0, "spleen": 1}}`; region entries (arrays of ids) are skipped.
///
/// Id 0 is ignored in both.
public enum PreviewLabelNames {
  public static func load(contentsOf url: URL) throws(VibeSegKitError) -> [Int: String] {
    let data = try JSONInput.data(url, option: "--label-names")
    func malformed(_ why: String) -> VibeSegKitError {
      VibeSegKitError(
        .invalidLabelFile,
        "not a label-name file (\(why)); expected {\"1\": \"spleen\", ...} or a dataset.json with \"labels\"",
        path: url.path, option: "--label-names")
    }
    let object: [String: Any]
    do {
      guard let parsed = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw malformed("the top level is not an object")
      }
      object = parsed
    } catch let error as VibeSegKitError {
      throw error
    } catch {
      throw malformed("invalid JSON")
    }
    var names = [Int: String]()
    if let labels = object["labels"] as? [String: Any] {
      for (name, value) in labels {
        guard let number = value as? NSNumber else { continue }  // region: a list of ids
        guard let id = Int(exactly: number.doubleValue), id >= 0 else {
          throw malformed("label \(name) has id \(number)")
        }
        if id > 0 { names[id] = name }
      }
    } else {
      for (key, value) in object {
        guard let id = Int(key), id >= 0, let name = value as? String else {
          throw malformed("entry \"\(key)\" is not an id mapped to a name")
        }
        if id > 0 { names[id] = name }
      }
    }
    return names
  }
}
