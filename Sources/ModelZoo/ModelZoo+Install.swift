import Foundation
import TorchCheckpoint

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Installing a model from the release or a local zip: under the model's install lock, into a
/// staging folder, renamed into place, the marker written last.
extension ModelZoo {
  /// The folder of model `id` when it is installed (reported as `.alreadyInstalled`), else nil.
  func alreadyInstalled(id: Int, progress: (DownloadProgress) -> Void) throws -> URL? {
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

  func withInstallLock<T>(id: Int, progress: (DownloadProgress) -> Void, _ body: () throws -> T) throws -> T {
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

  /// Validates the main archive, obtains the addenda it names, extracts everything into a
  /// staging folder, checks the layout, renames it into place and writes the marker.
  func installArchives(
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

  func opened(_ asset: Asset, _ extractor: ArchiveExtractor) throws -> ZipArchive {
    do {
      return try extractor.openArchive(asset.url)
    } catch let error as ModelZooError {
      if error.code == .invalidArchive { discardIfOwned(asset) }
      throw error
    }
  }

  func discardIfOwned(_ asset: Asset) {
    if asset.owned { discardDownload(asset.url) }
  }

  func discardDownload(_ url: URL) {
    try? FileManager.default.removeItem(at: url)
    try? FileManager.default.removeItem(at: URL(fileURLWithPath: url.path + ".verified.json"))
  }
}
