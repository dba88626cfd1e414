import Foundation

/// What an extracted release archive must hold: its fold addenda list and its folder layout.
extension ModelZoo {
  /// `other_downloads.json`: a JSON list of suffixes such as `"_1"`; each must be `_` followed by
  /// letters, digits, `-` or `_` (it becomes part of a URL and a file name).
  static func parseOtherDownloads(_ data: Data, zip: URL) throws -> [String] {
    guard let list = try? JSONSerialization.jsonObject(with: data) as? [Any] else {
      throw ModelZooError(.invalidArchive, "other_downloads.json is not a JSON list", path: zip.path)
    }
    var suffixes: [String] = []
    for item in list {
      guard let suffix = item as? String, suffix.count >= 2, suffix.count <= 32, suffix.hasPrefix("_"),
        suffix.unicodeScalars.allSatisfy({
          $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-")
        })
      else {
        throw ModelZooError(
          .invalidArchive,
          "other_downloads.json holds \(String(describing: item).debugDescription), not a suffix like \"_1\"",
          path: zip.path)
      }
      if !suffixes.contains(suffix) { suffixes.append(suffix) }
    }
    return suffixes
  }

  /// One `<Trainer>__<Plans>__<config>/` folder with `dataset.json`, `plans.json` (both JSON
  /// objects) and `fold_*/checkpoint_*.pth`; beside it only `other_downloads.json`.
  static func checkLayout(_ staging: URL, zip: URL) throws -> String {
    let fm = FileManager.default
    let names = (try? fm.contentsOfDirectory(atPath: staging.path)) ?? []
    var folders: [String] = []
    for name in names {
      var isDirectory: ObjCBool = false
      _ = fm.fileExists(atPath: staging.appendingPathComponent(name).path, isDirectory: &isDirectory)
      if isDirectory.boolValue {
        folders.append(name)
      } else if name != "other_downloads.json" {
        throw ModelZooError(
          .invalidArchive,
          "unexpected file \(name.debugDescription) beside the model folder; a release archive holds one <Trainer>__<Plans>__<configuration>/ folder",
          path: zip.path)
      }
    }
    guard folders.count == 1, let folder = folders.first, folder.contains("__") else {
      throw ModelZooError(
        .invalidArchive,
        "expected exactly one <Trainer>__<Plans>__<configuration>/ folder at the top of the archive, found \(folders.sorted())",
        path: zip.path)
    }
    let root = staging.appendingPathComponent(folder)
    for file in ["dataset.json", "plans.json"] {
      guard let data = jsonFile(root.appendingPathComponent(file)),
        (try? JSONSerialization.jsonObject(with: data)) is [String: Any]
      else {
        throw ModelZooError(.invalidArchive, "\(folder)/\(file) is missing or not a JSON object", path: zip.path)
      }
    }
    guard isModelFolder(root) else {
      throw ModelZooError(.invalidArchive, "\(folder)/ holds no fold_*/checkpoint_*.pth", path: zip.path)
    }
    return folder
  }
}
