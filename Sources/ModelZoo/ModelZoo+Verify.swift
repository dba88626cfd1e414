import Foundation

extension ModelZoo {
  /// A file of an installed model that no longer matches its install record.
  public struct FileProblem: Sendable, Equatable, CustomStringConvertible {
    /// Relative to the `Dataset{ID:03}` folder, as in `INSTALLED.json`.
    public var path: String
    /// `missing`, `size N bytes, recorded M`, or `sha256 differs from the recorded one`.
    public var problem: String
    public var description: String { "\(path): \(problem)" }
  }

  /// What `verify` found: the files checked, their bytes, and the ones that differ.
  public struct Verification: Sendable {
    public var id: Int
    public var folder: URL
    public var filesChecked: Int
    public var bytesChecked: Int64
    public var problems: [FileProblem]
  }

  /// Re-reads every file listed in model `id`'s `INSTALLED.json` and compares its size and
  /// sha256 with the ones recorded at install (bit rot, a partial copy of the cache, an edited
  /// file). Files are read one at a time, in record order; nothing is modified.
  ///
  /// - Throws: `.unknownModel` when `id` is not installed in the cache (a model found only in a
  ///   search path has no record to check against: the message says so).
  public func verify(id: Int) throws -> Verification {
    try Self.checkID(id)
    // The marker, not `installedModel`: a model whose files went missing must still be checked.
    guard let record = readMarker(id) else {
      if let model = try installedModel(id: id), case .searchPath(let root) = model.source {
        throw ModelZooError(
          .unknownModel,
          "model \(id) is in a search path, not in the cache: it has no install record to verify against",
          path: root.path)
      }
      throw ModelZooError(.unknownModel, "model \(id) is not installed", path: modelsFolder.path)
    }
    let dataset = datasetFolder(id)
    var result = Verification(
      id: id, folder: dataset.appendingPathComponent(record.folder), filesChecked: 0, bytesChecked: 0, problems: [])
    for file in record.files {
      let url = dataset.appendingPathComponent(file.path)
      result.filesChecked += 1
      guard let size = fileSize(url) else {
        result.problems.append(FileProblem(path: file.path, problem: "missing"))
        continue
      }
      guard size == file.size else {
        result.problems.append(FileProblem(path: file.path, problem: "size \(size) bytes, recorded \(file.size)"))
        continue
      }
      result.bytesChecked += size
      if try sha256(of: url) != file.sha256.lowercased() {
        result.problems.append(FileProblem(path: file.path, problem: "sha256 differs from the recorded one"))
      }
    }
    return result
  }
}
