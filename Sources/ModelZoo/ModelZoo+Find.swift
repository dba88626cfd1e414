import Foundation

/// Finding installed models: in the cache (marker present), then in the search paths.
extension ModelZoo {
  /// The known models with `installed` filled in, followed by installed models this build does
  /// not know (found in the cache or the search paths), sorted by id.
  public var catalog: [ModelCatalogEntry] {
    let installed = Set(installedModels().map(\.id))
    var entries = knownModels.map { entry -> ModelCatalogEntry in
      var entry = entry
      entry.installed = installed.contains(entry.id)
      return entry
    }
    let known = Set(knownModels.map(\.id))
    for id in installed.subtracting(known) {
      entries.append(ModelCatalogEntry(id: id, description: "(not in this build's catalog)", installed: true))
    }
    return entries.sorted { $0.id < $1.id }
  }

  /// The model folder of `id` if it is installed: in the cache (marker present) first, then in
  /// each search path in order. The folder holds `dataset.json`, `plans.json` and `fold_*/`.
  public func installedModelFolder(id: Int) throws -> URL? {
    try installedModel(id: id)?.folder
  }

  /// As `installedModelFolder`, with where it was found.
  public func installedModel(id: Int) throws -> InstalledModel? {
    if let record = readMarker(id) {
      let folder = datasetFolder(id).appendingPathComponent(record.folder)
      if Self.isModelFolder(folder) { return InstalledModel(id: id, folder: folder, source: .cache, record: record) }
    }
    for root in searchPaths {
      if let folder = Self.findUpstreamModel(id: id, in: root) {
        return InstalledModel(id: id, folder: folder, source: .searchPath(root), record: nil)
      }
    }
    return nil
  }

  /// Every installed model (cache first, then search paths; one entry per id).
  public func installedModels() -> [InstalledModel] {
    var ids = Set<Int>()
    for root in [modelsFolder] + searchPaths {
      guard let names = try? FileManager.default.contentsOfDirectory(atPath: root.path) else { continue }
      for name in names { if let id = Self.datasetID(name) { ids.insert(id) } }
    }
    return ids.sorted().compactMap { try? installedModel(id: $0) }
  }

  /// The id in `DatasetNNN` or `DatasetNNN_Name`.
  static func datasetID(_ name: String) -> Int? {
    guard name.hasPrefix("Dataset") else { return nil }
    let rest = name.dropFirst("Dataset".count)
    let digits = rest.prefix { $0.isASCII && $0.isNumber }
    guard !digits.isEmpty, digits.count <= 6 else { return nil }
    let tail = rest.dropFirst(digits.count)
    guard tail.isEmpty || tail.hasPrefix("_") else { return nil }
    return Int(digits)
  }

  /// `<root>/Dataset{ID:03}` or `<root>/Dataset{ID:03}_*`, then the first
  /// `<Trainer>__<Plans>__<config>` folder in it that is a usable model folder (upstream's
  /// `auto_download.get_weights_dir` layout; TPTBox globs `*{idx}*` then `*__nnUNetPlans*`).
  static func findUpstreamModel(id: Int, in root: URL) -> URL? {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: root.path) else { return nil }
    let datasets = names.filter { datasetID($0) == id }.sorted { a, b in
      (a.count, a) < (b.count, b)  // the plain DatasetNNN first
    }
    for dataset in datasets {
      let folder = root.appendingPathComponent(dataset)
      guard let inner = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
      for name in inner.sorted() where name.contains("__") {
        let candidate = folder.appendingPathComponent(name)
        if isModelFolder(candidate) { return candidate }
      }
    }
    return nil
  }

  /// `dataset.json`, `plans.json` and at least one `fold_*/checkpoint_*.pth`.
  static func isModelFolder(_ folder: URL) -> Bool {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    guard fm.fileExists(atPath: folder.appendingPathComponent("dataset.json").path),
      fm.fileExists(atPath: folder.appendingPathComponent("plans.json").path),
      let names = try? fm.contentsOfDirectory(atPath: folder.path)
    else { return false }
    for name in names where name.hasPrefix("fold_") {
      let fold = folder.appendingPathComponent(name)
      guard fm.fileExists(atPath: fold.path, isDirectory: &isDirectory), isDirectory.boolValue,
        let files = try? fm.contentsOfDirectory(atPath: fold.path)
      else { continue }
      if files.contains(where: { $0.hasPrefix("checkpoint_") && $0.hasSuffix(".pth") }) { return true }
    }
    return false
  }

  func readMarker(_ id: Int) -> InstallRecord? {
    let url = datasetFolder(id).appendingPathComponent(InstallRecord.fileName)
    guard let data = jsonFile(url),
      let record = try? JSONDecoder().decode(InstallRecord.self, from: data), record.id == id,
      !record.folder.contains("/"), !record.folder.hasPrefix(".")
    else { return nil }
    return record
  }
}
