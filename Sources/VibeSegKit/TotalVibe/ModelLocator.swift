import Foundation
import ModelZoo

/// Finds the model folder a user means by `--model`: a folder on disk (an nnU-Net
/// `<Trainer>__<Plans>__<configuration>` folder, or a `DatasetNNN` folder holding exactly one),
/// or a TotalVibeSegmentator id looked up in the model zoo and, when allowed, downloaded on
/// first use.
public struct ModelLocator {
  public var zoo: ModelZoo
  /// Download models that are not installed (the CLI allows it; `--offline` does not).
  public var allowDownload = true
  public var progress: (DownloadProgress) -> Void

  public init(zoo: ModelZoo, allowDownload: Bool = true, progress: @escaping (DownloadProgress) -> Void = { _ in }) {
    self.zoo = zoo
    self.allowDownload = allowDownload
    self.progress = progress
  }

  /// `reference` is a path to an existing folder or a model id ("100", "099").
  public func folder(for reference: String) throws -> URL {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: reference, isDirectory: &isDirectory), isDirectory.boolValue {
      return try Self.modelFolder(in: URL(fileURLWithPath: reference))
    }
    guard let id = Int(reference), id >= 0 else {
      throw VibeSegKitError(
        .modelUnavailable, "'\(reference)' is neither a model folder nor a model id (see `vibeseg models list`)", option: "--model")
    }
    return try folder(forID: id)
  }

  /// The installed folder of model `id`, downloading it first when allowed.
  public func folder(forID id: Int) throws -> URL {
    if let folder = try zoo.installedModelFolder(id: id) { return folder }
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
