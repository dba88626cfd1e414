import Foundation
import ModelZoo
import NNUNetRuntime

/// The one model resolver: turns what a user gives `--model` / `-m` / `--roi-model` into an nnU-Net
/// model folder, for every command and every `batch` task. Accepted forms:
/// - a model folder (`<Trainer>__<Plans>__<configuration>/` holding `dataset.json` and `plans.json`);
/// - a dataset folder (`Dataset###_Name/`) holding exactly one such folder;
/// - a model id ("100", "099"): the installed model from the zoo (cache, then search paths such as
///   `TOTALVIBE_WEIGHTS_PATH`), downloaded first when allowed. Ids the catalog does not publish are
///   refused before any network access, with the ids that are known.
/// A cascaded model (`dataset.json` `roi`) brings its ROI model: `--roi-model` when given, else
/// the id it names, resolved the same way (`cascade(for:roi:)`).
///
/// ```swift
/// let locator = ModelLocator(zoo: try ModelZoo.fromEnvironment(), allowDownload: !offline)
/// let models = try locator.cascade(for: "100", roi: nil)   // models.folder, models.roiFolder
/// ```
public struct ModelLocator: Sendable {
  /// Where ids are looked up; nil: ids are refused (folders only).
  public var zoo: ModelZoo?
  /// Download models that are not installed (the CLI allows it; `--offline` does not).
  public var allowDownload = true
  public var progress: @Sendable (DownloadProgress) -> Void
  /// Overrides the zoo's lookup of installed ids (tests, embedders with their own folders).
  var installed: (@Sendable (Int) throws -> URL?)?

  public init(zoo: ModelZoo?, allowDownload: Bool = true, progress: @escaping @Sendable (DownloadProgress) -> Void = { _ in }) {
    self.zoo = zoo
    self.allowDownload = allowDownload
    self.progress = progress
  }

  /// Ids looked up in `table` only (never downloaded): for tests and programs that manage their
  /// own model folders.
  public static func table(_ table: @escaping @Sendable (Int) throws -> URL?) -> ModelLocator {
    var locator = ModelLocator(zoo: nil, allowDownload: false)
    locator.installed = table
    return locator
  }

  /// A model folder and, for a cascaded model, its ROI model's folder.
  public struct Resolved: Sendable, Equatable {
    public var folder: URL
    public var roiFolder: URL?
    /// The id the model's `dataset.json` names as its ROI model.
    public var roiID: Int?
  }

  /// `reference` is a path to an existing folder or a model id ("100", "099").
  ///
  /// - Throws: `VibeSegKitError.modelUnavailable` naming what is wrong and what to do.
  public func folder(for reference: String) throws -> URL {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: reference, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else {
        throw VibeSegKitError(.modelUnavailable, "a model is a folder (nnU-Net <Trainer>__<Plans>__<configuration>) or a model id, not a file", path: reference)
      }
      return try Self.modelFolder(in: URL(fileURLWithPath: reference))
    }
    guard let id = Int(reference), id >= 0 else {
      throw VibeSegKitError(
        .modelUnavailable, "'\(reference)' is neither a model folder nor a model id (see `vibeseg models list`)", option: "--model")
    }
    return try folder(forID: id)
  }

  /// The model `reference` names and, when its `dataset.json` names a ROI model, that model:
  /// `roi` when given (an id or a folder), else the named id.
  ///
  /// - Throws: `VibeSegKitError.modelUnavailable`; for a missing ROI model the message names the
  ///   cascade ("model X runs on the label map of ROI model N, which is not installed ...").
  public func cascade(for reference: String, roi: String?) throws -> Resolved {
    let folder = try folder(for: reference)
    let datasetURL = folder.appendingPathComponent("dataset.json")
    let roiID = try DatasetDescription(contentsOf: datasetURL).roi
    guard let roiID else { return Resolved(folder: folder, roiFolder: nil, roiID: nil) }
    if let roi { return Resolved(folder: folder, roiFolder: try self.folder(for: roi), roiID: roiID) }
    do {
      return Resolved(folder: folder, roiFolder: try self.folder(forID: roiID), roiID: roiID)
    } catch let error as VibeSegKitError {
      throw VibeSegKitError(
        .modelUnavailable,
        "the model is cascaded: it runs on the label map of ROI model \(roiID) (dataset.json \"roi\"), which is not available: \(error.message). Give it with --roi-model ID|FOLDER",
        path: folder.path, underlying: error)
    }
  }

  /// The installed folder of model `id`, downloading it first when allowed.
  public func folder(forID id: Int) throws -> URL {
    if let installed { 
      guard let folder = try installed(id) else {
        throw VibeSegKitError(.modelUnavailable, "model \(id) is not installed")
      }
      return folder
    }
    guard let zoo else {
      throw VibeSegKitError(.modelUnavailable, "model ids are not resolved here; give the model folder", option: "--model")
    }
    if let folder = try zoo.installedModelFolder(id: id) { return folder }
    let known = zoo.knownModels.map(\.id)
    guard known.contains(id) else {
      let installed = zoo.installedModels().map { String($0.id) }
      throw VibeSegKitError(
        .modelUnavailable,
        "model \(id) is not published and not installed (published: \(known.map { String($0) }.joined(separator: ", "))\(installed.isEmpty ? "" : "; installed: \(installed.joined(separator: ", "))")); give a model folder instead")
    }
    let asset = zoo.releaseURL(for: ModelZoo.assetName(id: id)).absoluteString
    guard allowDownload else {
      throw VibeSegKitError(
        .modelUnavailable,
        "model \(id) is not installed. Run `vibeseg models download \(id)`, or on an offline machine fetch \(asset) elsewhere and run `vibeseg models import \(ModelZoo.assetName(id: id))`")
    }
    do {
      return try zoo.install(id: id, progress: progress)
    } catch let error as ModelZooError where error.code == .downloadFailed {
      // The zoo's message already says how to resume and how to import a zip fetched elsewhere.
      throw VibeSegKitError(.modelUnavailable, "model \(id) is not installed: \(error)", underlying: error)
    }
  }

  /// `url` itself when it holds `dataset.json` and `plans.json`; else its only subfolder that does.
  public static func modelFolder(in url: URL) throws -> URL {
    let fm = FileManager.default
    func isModel(_ u: URL) -> Bool {
      fm.fileExists(atPath: u.appendingPathComponent("dataset.json").path)
        && fm.fileExists(atPath: u.appendingPathComponent("plans.json").path)
    }
    if isModel(url) { return url }
    let children = ((try? fm.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)) ?? []).filter(isModel)
    guard children.count == 1 else {
      throw VibeSegKitError(
        .modelUnavailable,
        children.isEmpty
          ? "not a model folder: no dataset.json and plans.json here or in a subfolder"
          : "\(children.count) model folders inside; name one of them: \(children.map(\.lastPathComponent).sorted().joined(separator: ", "))",
        path: url.path)
    }
    return children[0]
  }
}
