import Foundation

/// Cleanup at start: staging files and temporaries of this shard's outputs left by a killed process.
extension BatchRun {
  /// Deletes staging files (`.batch-partial-*`) and NiftiIO temporaries (`.<name>.tmp-*`) of this
  /// shard's outputs only: other shards writing into the same folder are left alone.
  func removeStaleFiles(
    _ cases: [CohortCase], layout: OutputLayout, roles: [OutputRole], records: [String: ManifestRecord]
  ) {
    var namesByFolder = [String: Set<String>]()
    for item in cases {
      var paths = roles.map { layout.relativePath($0, for: item) }
      paths += records[item.id]?.recordedOutputs.map(\.path) ?? []
      for path in paths {
        let url = options.outputFolder.appendingPathComponent(path)
        namesByFolder[url.deletingLastPathComponent().path, default: []].insert(url.lastPathComponent)
      }
    }
    let fm = FileManager.default
    for (folder, names) in namesByFolder {
      guard let entries = try? fm.contentsOfDirectory(atPath: folder) else { continue }
      for entry in entries where entry.hasPrefix(".") {
        if let name = Self.finalName(ofTemporary: entry), names.contains(name) {
          try? fm.removeItem(atPath: folder + "/" + entry)
        }
      }
    }
  }

  /// The final file name a temporary file stands for: `.batch-partial-<pid>.<name>` (staging),
  /// `..batch-partial-<pid>.<name>.tmp-<pid>-<n>` (NiftiIO's temporary of a staging file) and
  /// `.<name>.tmp-<pid>-<n>` (NiftiIO's temporary of a final name); nil for other files.
  static func finalName(ofTemporary entry: String) -> String? {
    var name = Substring(entry)
    if name.hasPrefix("..batch-partial-") || !name.hasPrefix(".batch-partial-") {
      guard let tmp = name.range(of: ".tmp-", options: .backwards) else { return nil }
      name = name[..<tmp.lowerBound].dropFirst()
      if !name.hasPrefix(".batch-partial-") { return name.isEmpty ? nil : String(name) }
    }
    let rest = name.dropFirst(".batch-partial-".count)
    guard let dot = rest.firstIndex(of: "."), rest[..<dot].allSatisfy(\.isNumber), !rest[..<dot].isEmpty else {
      return nil
    }
    let final = rest[rest.index(after: dot)...]
    return final.isEmpty ? nil : String(final)
  }
}
