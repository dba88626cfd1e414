import Foundation
import TorchCheckpoint

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Removing a model, and the leftovers of killed installs and removals.
extension ModelZoo {
  /// Removes model `id` from the cache (and any partial download of it). A model found only in
  /// a search path is not touched: throws `.unknownModel` saying where it is.
  @discardableResult
  public func remove(id: Int) throws -> Removal {
    try Self.checkID(id)
    let quiet: (DownloadProgress) -> Void = { _ in }
    return try withInstallLock(id: id, progress: quiet) {
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
      let installed = removed
      let downloads = removeDownloads(id)
      removed = downloads || removed
      if !removed {
        if let model = try installedModel(id: id), case .searchPath(let root) = model.source {
          throw ModelZooError(
            .unknownModel,
            "model \(id) is not in the cache but in a search path, which vibeseg never modifies; delete it there yourself if you mean to",
            path: root.path)
        }
        throw ModelZooError(.unknownModel, "model \(id) is not installed", path: folder.path)
      }
      return installed ? .model : .downloadsOnly
    }
  }

  /// What `remove(id:)` found to remove.
  public enum Removal: Sendable, Equatable {
    /// The installed model (and any downloads of it).
    case model
    /// Only downloads (a partial or verified `.zip` not yet installed); no model was installed.
    case downloadsOnly
  }

  /// `Dataset{ID}/.vibeseg-install`: present from the rename into place until the marker is
  /// written, so that a folder without a marker is known to be ours (a killed install) rather
  /// than something the user put there.
  static let pendingTag = ".vibeseg-install"

  /// Staging and removal folders of `id` left by a killed process, and a `Dataset{ID}` folder
  /// without a marker left by an install killed between the rename and the marker. A
  /// `Dataset{ID}` folder without a marker that vibeseg did not create is left alone: the install
  /// stops with `.ioFailure` saying what to do. Called with the lock held.
  func cleanLeftovers(_ id: Int) throws {
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
  func removeDownloads(_ id: Int) -> Bool {
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
