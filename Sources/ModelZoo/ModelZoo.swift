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
}

/// A small JSON file of the cache or of an extracted archive (install records, `plans.json`,
/// `dataset.json`), or nil: read only when it is a regular file of at most
/// `RegularFile.maxJSONBytes` (64 MiB), so a FIFO never blocks and a huge file is never loaded.
func jsonFile(_ url: URL) -> Data? {
  (try? RegularFile.contents(url.path, maxBytes: RegularFile.maxJSONBytes)).map { Data($0) }
}
