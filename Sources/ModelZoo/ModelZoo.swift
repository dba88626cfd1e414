import Foundation
import TorchCheckpoint

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The local cache of published TotalVibeSegmentator models: finding, downloading, importing,
/// verifying and removing them.
///
/// Layout under `home` (the CLI passes `$VIBESEG_HOME`, default `~/.vibeseg`):
///
///     models/Dataset100/nnUNetTrainer...__nnUNetResEncUNetLPlans__3d_fullres/   the model folder
///     models/Dataset100/other_downloads.json                   as shipped in the archive, if it was
///     models/Dataset100/INSTALLED.json                         the marker, written last (InstallRecord)
///     models/Dataset100.partial-<uuid>/                        staging of an install in progress
///     cache/downloads/100.zip.part (+ .part.json)              a download in progress (resumable)
///     cache/downloads/100.zip (+ .verified.json)               a verified download not yet installed
///     cache/locks/Dataset100.lock                              flock of the install / remove
///
/// `models/` mirrors upstream's `nnUNet_results/` (and what `TOTALVIBE_WEIGHTS_PATH` points at),
/// so the same tree serves both. Folders in `searchPaths` (upstream-prepared trees:
/// `<path>/Dataset{ID:03}[_name]/<Trainer>__<Plans>__<config>/`) are used as they are, without a
/// marker, but never modified. A model in `home` is used only when its marker exists.
///
/// Every method is synchronous; progress is reported on the calling thread. Failures are
/// `ModelZooError`s; nothing is ever left looking installed after one.
public struct ModelZoo: Sendable {
  /// `https://github.com/robert-graf/VIBESegmentator/releases/download/v1.0.0`.
  public static let defaultReleaseURL = URL(
    string: "https://github.com/robert-graf/VIBESegmentator/releases/download/v1.0.0")!

  public var home: URL
  public var searchPaths: [URL]
  public var releaseBaseURL: URL
  /// The models known to this build (published sha256 included); `catalog` adds install state.
  public var knownModels: [ModelCatalogEntry]
  public var options: ModelZooOptions

  public init(
    home: URL, searchPaths: [URL] = [], releaseBaseURL: URL = ModelZoo.defaultReleaseURL,
    knownModels: [ModelCatalogEntry] = ModelCatalogEntry.builtIn, options: ModelZooOptions = .default
  ) {
    self.home = home
    self.searchPaths = searchPaths
    self.releaseBaseURL = releaseBaseURL
    self.knownModels = knownModels
    self.options = options
  }

  /// Where an installed model was found.
  public struct InstalledModel: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
      /// In `home/models`, with an install marker.
      case cache
      /// In one of `searchPaths` (prepared elsewhere, e.g. by upstream).
      case searchPath(URL)
    }

    public var id: Int
    /// The `<Trainer>__<Plans>__<configuration>` folder.
    public var folder: URL
    public var source: Source
    /// The marker's contents (cache installs only).
    public var record: InstallRecord?
  }

  // MARK: paths

  var modelsFolder: URL { home.appendingPathComponent("models") }
  var downloadsFolder: URL { home.appendingPathComponent("cache/downloads") }
  var locksFolder: URL { home.appendingPathComponent("cache/locks") }

  func datasetName(_ id: Int) -> String { "Dataset\(ModelCatalogEntry.padded(id))" }
  func datasetFolder(_ id: Int) -> URL { modelsFolder.appendingPathComponent(datasetName(id)) }

  /// `{releaseBaseURL}/{asset}`.
  public func releaseURL(for asset: String) -> URL { releaseBaseURL.appendingPathComponent(asset) }

  /// `{ID:03}.zip` / `{ID:03}{suffix}.zip`.
  public static func assetName(id: Int, suffix: String = "") -> String {
    "\(ModelCatalogEntry.padded(id))\(suffix).zip"
  }

  // MARK: finding

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

  // MARK: installing

  /// The folder of model `id` when it is installed (reported as `.alreadyInstalled`), else nil.
  private func alreadyInstalled(id: Int, progress: (DownloadProgress) -> Void) throws -> URL? {
    guard let model = try installedModel(id: id) else { return nil }
    progress(DownloadProgress(phase: .alreadyInstalled, modelID: id, asset: model.folder.path))
    return model.folder
  }

  /// Installs model `id` from the release unless it is installed already, and returns its model
  /// folder. Downloads `{ID:03}.zip` (resuming a `.part` from an interrupted run), checks its size
  /// and published sha256, then the fold addenda its `other_downloads.json` names, extracts all of
  /// them into a staging folder with every rule of reliability.md 2.4, checks the layout, renames
  /// the staging folder into place and writes the marker last. Holds the model's install lock
  /// throughout, so concurrent installs of one id wait for each other.
  ///
  /// Throws `ModelZooError`: `.downloadFailed` (HTTP, connection, stall, truncation — the `.part`
  /// is kept for resuming), `.verificationFailed` (size or sha256; the download is deleted),
  /// `.invalidArchive` (unsafe or malformed zip, wrong layout; the download is deleted),
  /// `.ioFailure` (the cache cannot be written).
  @discardableResult
  public func install(id: Int, progress: (DownloadProgress) -> Void = { _ in }) throws -> URL {
    try Self.checkID(id)
    if let folder = try alreadyInstalled(id: id, progress: progress) { return folder }
    return try withInstallLock(id: id, progress: progress) {
      // Another process may have finished the install while this one waited for the lock.
      if let folder = try alreadyInstalled(id: id, progress: progress) { return folder }
      let downloader = HTTPDownloader(options: options)
      let expected = knownModels.first { $0.id == id }?.sha256
      let main = try fetch(
        id: id, asset: Self.assetName(id: id), expectedSHA256: expected, downloader: downloader, progress: progress)
      let folder = try installArchives(
        id: id, main: main,
        addendum: { suffix in
          try fetch(
            id: id, asset: Self.assetName(id: id, suffix: suffix), expectedSHA256: nil, downloader: downloader,
            progress: progress)
        }, progress: progress)
      return folder
    }
  }

  /// Installs model `id` from a local zip (a release asset fetched elsewhere, for offline
  /// machines). `id` defaults to the number in the file name `NNN.zip`. Fold addenda named by
  /// the archive's `other_downloads.json` must lie beside it (`NNN_1.zip`, ...). The sha256 is
  /// checked where one is published for `id`. Returns the model folder; a model that is already
  /// installed is left as it is.
  @discardableResult
  public func importArchive(
    at zip: URL, id: Int? = nil, progress: (DownloadProgress) -> Void = { _ in }
  ) throws -> URL {
    guard FileManager.default.fileExists(atPath: zip.path) else {
      throw ModelZooError(.missingFile, "no such file", path: zip.path)
    }
    guard let id = id ?? Self.idFromFileName(zip.lastPathComponent) else {
      throw ModelZooError(
        .unknownModel, "cannot tell the model id from the file name; name it NNN.zip as in the release or pass --id",
        path: zip.path)
    }
    try Self.checkID(id)
    if let folder = try alreadyInstalled(id: id, progress: progress) { return folder }
    return try withInstallLock(id: id, progress: progress) {
      // Another process may have finished the install while this one waited for the lock.
      if let folder = try alreadyInstalled(id: id, progress: progress) { return folder }
      let expected = knownModels.first { $0.id == id }?.sha256
      let main = try localAsset(zip, expectedSHA256: expected, id: id, progress: progress)
      return try installArchives(
        id: id, main: main,
        addendum: { suffix in
          let name = Self.assetName(id: id, suffix: suffix)
          let sibling = zip.deletingLastPathComponent().appendingPathComponent(name)
          guard FileManager.default.fileExists(atPath: sibling.path) else {
            throw ModelZooError(
              .invalidArchive,
              "the archive lists further fold archives in other_downloads.json, and \(name) is not beside it; download \(releaseURL(for: name).absoluteString) into the same folder and import again",
              path: zip.path)
          }
          return try localAsset(sibling, expectedSHA256: nil, id: id, progress: progress)
        }, progress: progress)
    }
  }

  /// Removes model `id` from the cache (and any partial download of it). A model found only in
  /// a search path is not touched: throws `.unknownModel` saying where it is.
  public func remove(id: Int) throws {
    try Self.checkID(id)
    let quiet: (DownloadProgress) -> Void = { _ in }
    try withInstallLock(id: id, progress: quiet) {
      let fm = FileManager.default
      let folder = datasetFolder(id)
      var removed = false
      if fm.fileExists(atPath: folder.path) {
        // Rename first, so the model disappears in one step even if deleting is interrupted.
        let doomed = modelsFolder.appendingPathComponent("\(datasetName(id)).removing-\(UUID().uuidString)")
        guard rename(folder.path, doomed.path) == 0 else {
          throw ModelZooError(.ioFailure, "cannot remove: \(String(cString: strerror(errno)))", path: folder.path)
        }
        syncFolder(modelsFolder)
        try? fm.removeItem(at: doomed)
        removed = true
      }
      try cleanLeftovers(id)
      removed = removeDownloads(id) || removed
      if !removed {
        if let model = try installedModel(id: id), case .searchPath(let root) = model.source {
          throw ModelZooError(
            .unknownModel,
            "model \(id) is not in the cache but in a search path, which vibeseg never modifies; delete it there yourself if you mean to",
            path: root.path)
        }
        throw ModelZooError(.unknownModel, "model \(id) is not installed", path: folder.path)
      }
    }
  }

  // MARK: internals

  static func checkID(_ id: Int) throws {
    guard (0...99_999).contains(id) else {
      throw ModelZooError(.unknownModel, "model id \(id) is out of range (0...99999)")
    }
  }

  /// `NNN.zip` -> NNN.
  static func idFromFileName(_ name: String) -> Int? {
    guard name.hasSuffix(".zip") else { return nil }
    let stem = name.dropLast(4)
    guard !stem.isEmpty, stem.count <= 5, stem.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
    return Int(stem)
  }

  /// `NNN_suffix.zip` names a fold addendum (used by the CLI to skip addenda given to `import`).
  public static func isAddendumFileName(_ name: String) -> Bool {
    guard name.hasSuffix(".zip"), let underscore = name.firstIndex(of: "_") else { return false }
    let stem = name[..<underscore]
    return !stem.isEmpty && stem.allSatisfy { $0.isASCII && $0.isNumber }
  }

  private func withInstallLock<T>(id: Int, progress: (DownloadProgress) -> Void, _ body: () throws -> T) throws -> T {
    for folder in [modelsFolder, downloadsFolder, locksFolder] {
      do {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      } catch {
        throw ModelZooError(
          .ioFailure,
          "cannot create the cache folder (set VIBESEG_HOME to a writable place): \(error.localizedDescription)",
          path: folder.path)
      }
    }
    let lock = try InstallLock(path: locksFolder.appendingPathComponent("\(datasetName(id)).lock")) {
      progress(
        DownloadProgress(
          phase: .waitingForLock, modelID: id, asset: datasetName(id),
          message: "another vibeseg process is installing or removing model \(id); waiting for it"))
    }
    return try withExtendedLifetime(lock) { try body() }
  }

  /// A verified archive on disk, ready to extract.
  struct Asset {
    var url: URL
    var record: InstallRecord.Asset
    /// Whether the file is ours (a download) and is deleted after installing or when invalid.
    var owned: Bool
  }

  /// `asset` from the release: a verified earlier download is reused, otherwise it is downloaded
  /// (resuming) into `cache/downloads`, verified and renamed from `.part`.
  private func fetch(
    id: Int, asset: String, expectedSHA256: String?, downloader: HTTPDownloader,
    progress: (DownloadProgress) -> Void
  ) throws -> Asset {
    let url = releaseURL(for: asset)
    let final = downloadsFolder.appendingPathComponent(asset)
    let verified = downloadsFolder.appendingPathComponent("\(asset).verified.json")
    if let data = jsonFile(verified),
      let record = try? JSONDecoder().decode(InstallRecord.Asset.self, from: data),
      record.source == url.absoluteString, fileSize(final) == record.size,
      expectedSHA256.map({ $0.lowercased() == record.sha256 }) ?? true,
      (try? sha256(of: final)) == record.sha256
    {
      progress(
        DownloadProgress(
          phase: .reusingDownload, modelID: id, asset: asset, bytesReceived: record.size, totalBytes: record.size))
      return Asset(url: final, record: record, owned: true)
    }
    try? FileManager.default.removeItem(at: verified)
    try? FileManager.default.removeItem(at: final)
    let part = downloadsFolder.appendingPathComponent("\(asset).part")
    let result: HTTPDownloader.Result
    do {
      result = try downloader.download(
        from: url, to: part, expectedSHA256: expectedSHA256, modelID: id, asset: asset, progress: progress)
    } catch var error as ModelZooError where error.code == .downloadFailed {
      let main = Self.assetName(id: id)
      error.message +=
        ". Run the command again to resume; on a machine without internet access, download \(releaseURL(for: main).absoluteString) (and any \(ModelCatalogEntry.padded(id))_K.zip it lists) elsewhere and run `vibeseg models import \(main)`"
      throw error
    }
    guard rename(part.path, final.path) == 0 else {
      throw ModelZooError(.ioFailure, "cannot rename: \(String(cString: strerror(errno)))", path: part.path)
    }
    let record = InstallRecord.Asset(
      name: asset, source: url.absoluteString, size: result.size, sha256: result.sha256,
      publishedDigestVerified: expectedSHA256 != nil)
    try writeAtomically(try JSONEncoder().encode(record), to: verified)
    return Asset(url: final, record: record, owned: true)
  }

  /// A user's local zip: sha256 checked where published.
  private func localAsset(
    _ zip: URL, expectedSHA256: String?, id: Int, progress: (DownloadProgress) -> Void
  ) throws -> Asset {
    guard let size = fileSize(zip) else { throw ModelZooError(.missingFile, "no such file", path: zip.path) }
    progress(
      DownloadProgress(
        phase: .verifying, modelID: id, asset: zip.lastPathComponent, bytesReceived: size, totalBytes: size))
    let digest = try sha256(of: zip)
    if let expected = expectedSHA256, expected.lowercased() != digest {
      throw ModelZooError(
        .verificationFailed,
        "sha256 \(digest) does not match the published \(expected.lowercased()) of model \(id); the file is damaged or a different model",
        path: zip.path)
    }
    let record = InstallRecord.Asset(
      name: zip.lastPathComponent, source: zip.standardizedFileURL.absoluteString, size: size, sha256: digest,
      publishedDigestVerified: expectedSHA256 != nil)
    return Asset(url: zip, record: record, owned: false)
  }

  /// Validates the main archive, obtains the addenda it names, extracts everything into a
  /// staging folder, checks the layout, renames it into place and writes the marker.
  private func installArchives(
    id: Int, main: Asset, addendum: (String) throws -> Asset, progress: (DownloadProgress) -> Void
  ) throws -> URL {
    let extractor = ArchiveExtractor(options: options)
    try cleanLeftovers(id)
    let mainArchive = try opened(main, extractor)
    var suffixes: [String] = []
    if let data = try extractor.smallEntry(mainArchive, "other_downloads.json", zip: main.url) {
      suffixes = try Self.parseOtherDownloads(data, zip: main.url)
    }
    var assets = [main]
    for suffix in suffixes { assets.append(try addendum(suffix)) }
    var archives = [mainArchive]
    for asset in assets.dropFirst() { archives.append(try opened(asset, extractor)) }

    let staging = modelsFolder.appendingPathComponent("\(datasetName(id)).partial-\(UUID().uuidString)")
    do {
      guard mkdir(staging.path, 0o755) == 0 else {
        throw ModelZooError(.ioFailure, "cannot create: \(String(cString: strerror(errno)))", path: staging.path)
      }
      var files: [InstallRecord.File] = []
      var total = 0
      for (asset, archive) in zip(assets, archives) {
        progress(DownloadProgress(phase: .extracting, modelID: id, asset: asset.record.name))
        do {
          try extractor.extract(archive, from: asset.url, into: staging, files: &files, totalBytes: &total)
        } catch let error as ModelZooError {
          if error.code == .invalidArchive { discardIfOwned(asset) }
          throw error
        }
      }
      let folderName = try Self.checkLayout(staging, zip: main.url)
      // Tags the folder as ours until the marker exists (see cleanLeftovers).
      try writeAtomically(Data(), to: staging.appendingPathComponent(Self.pendingTag))
      syncFolder(staging.appendingPathComponent(folderName))
      syncFolder(staging)
      let destination = datasetFolder(id)
      guard rename(staging.path, destination.path) == 0 else {
        throw ModelZooError(
          .ioFailure, "cannot move the model into place: \(String(cString: strerror(errno)))", path: destination.path)
      }
      syncFolder(modelsFolder)
      let record = InstallRecord(
        schemaVersion: InstallRecord.currentSchemaVersion, id: id, folder: folderName, otherDownloads: suffixes,
        assets: assets.map(\.record), files: files.sorted { $0.path < $1.path },
        installedAt: ISO8601DateFormatter().string(from: Date()), installedBy: "vibeseg")
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      try writeAtomically(try encoder.encode(record), to: destination.appendingPathComponent(InstallRecord.fileName))
      unlink(destination.appendingPathComponent(Self.pendingTag).path)
      for asset in assets where asset.owned { discardDownload(asset.url) }
      let folder = destination.appendingPathComponent(folderName)
      progress(DownloadProgress(phase: .installed, modelID: id, asset: folder.path, message: folder.path))
      return folder
    } catch {
      try? FileManager.default.removeItem(at: staging)
      // An archive that cannot be installed is never reused from the download cache.
      if let error = error as? ModelZooError, error.code == .invalidArchive {
        for asset in assets { discardIfOwned(asset) }
      }
      throw error
    }
  }

  private func opened(_ asset: Asset, _ extractor: ArchiveExtractor) throws -> ZipArchive {
    do {
      return try extractor.openArchive(asset.url)
    } catch let error as ModelZooError {
      if error.code == .invalidArchive { discardIfOwned(asset) }
      throw error
    }
  }

  private func discardIfOwned(_ asset: Asset) {
    if asset.owned { discardDownload(asset.url) }
  }

  private func discardDownload(_ url: URL) {
    try? FileManager.default.removeItem(at: url)
    try? FileManager.default.removeItem(at: URL(fileURLWithPath: url.path + ".verified.json"))
  }

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

  /// `Dataset{ID}/.vibeseg-install`: present from the rename into place until the marker is
  /// written, so that a folder without a marker is known to be ours (a killed install) rather
  /// than something the user put there.
  static let pendingTag = ".vibeseg-install"

  /// Staging and removal folders of `id` left by a killed process, and a `Dataset{ID}` folder
  /// without a marker left by an install killed between the rename and the marker. A
  /// `Dataset{ID}` folder without a marker that vibeseg did not create is left alone: the install
  /// stops with `.ioFailure` saying what to do. Called with the lock held.
  private func cleanLeftovers(_ id: Int) throws {
    let fm = FileManager.default
    let name = datasetName(id)
    for entry in (try? fm.contentsOfDirectory(atPath: modelsFolder.path)) ?? [] {
      if entry.hasPrefix("\(name).partial-") || entry.hasPrefix("\(name).removing-") {
        try? fm.removeItem(at: modelsFolder.appendingPathComponent(entry))
      }
    }
    let folder = datasetFolder(id)
    var info = stat()
    guard lstat(folder.path, &info) == 0, readMarker(id) == nil else { return }
    if fm.fileExists(atPath: folder.appendingPathComponent(Self.pendingTag).path) {
      try? fm.removeItem(at: folder)
      return
    }
    throw ModelZooError(
      .ioFailure,
      "this folder was not installed by vibeseg (no \(InstallRecord.fileName)), so it is neither used nor replaced; move it elsewhere and list its parent in VIBESEG_WEIGHTS_PATH to use it, or delete it to install model \(id) here",
      path: folder.path)
  }

  /// Deletes downloads of `id` (parts and verified zips); true if there were any.
  private func removeDownloads(_ id: Int) -> Bool {
    let fm = FileManager.default
    let prefix = ModelCatalogEntry.padded(id)
    var any = false
    for entry in (try? fm.contentsOfDirectory(atPath: downloadsFolder.path)) ?? [] {
      let isMain = entry.hasPrefix("\(prefix).zip")
      let isAddendum = entry.hasPrefix("\(prefix)_")
      if isMain || isAddendum {
        try? fm.removeItem(at: downloadsFolder.appendingPathComponent(entry))
        any = true
      }
    }
    return any
  }
}

/// A small JSON file of the cache or of an extracted archive (install records, `plans.json`,
/// `dataset.json`), or nil: read only when it is a regular file of at most
/// `RegularFile.maxJSONBytes` (64 MiB), so a FIFO never blocks and a huge file is never loaded.
func jsonFile(_ url: URL) -> Data? {
  (try? RegularFile.contents(url.path, maxBytes: RegularFile.maxJSONBytes)).map { Data($0) }
}
