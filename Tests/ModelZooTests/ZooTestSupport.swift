import Foundation
import Testing
import _TestSupport

@testable import ModelZoo

/// The release-like zips of scripts/fixtures/make_zoo_fixtures.py and their manifest.
enum ZooFixtures {
  static func zip(_ name: String) -> URL { Fixtures.committed("zoo/\(name)") }

  static var manifest: [String: Any] {
    let data = try! Data(contentsOf: Fixtures.committed("zoo/manifest.json"))
    return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
  }

  static func sha256(_ name: String) -> String {
    ((manifest["zips"] as! [String: Any])[name] as! [String: Any])["sha256"] as! String
  }

  static var folderName: String { manifest["folder"] as! String }

  /// The committed model folder the zips were made from.
  static var sourceFolder: URL { Fixtures.modelFolder("plain_1ch") }
}

/// A loopback server, a fresh `home` and a zoo whose catalog knows test model 777 with the
/// sha256 of `good.zip` (and 778 with none); short timeouts and retry delays.
final class ZooHarness {
  static let publishedID = 777
  static let unpublishedID = 778

  let server: LoopbackHTTPServer
  let home: URL
  var options: ModelZooOptions

  init(maxAttempts: Int = 3, stallTimeout: Double = 5) throws {
    setenv("no_proxy", "127.0.0.1,localhost", 1)
    server = try LoopbackHTTPServer()
    home = try Fixtures.temporaryDirectory("vibeseg-zoo")
    options = ModelZooOptions()
    options.maxAttempts = maxAttempts
    options.stallTimeout = stallTimeout
    options.retryDelay = 0.05
    options.progressInterval = 0.05
  }

  deinit {
    server.stop()
    try? FileManager.default.removeItem(at: home)
  }

  var zoo: ModelZoo {
    ModelZoo(
      home: home, searchPaths: [], releaseBaseURL: server.baseURL,
      knownModels: [
        ModelCatalogEntry(id: Self.publishedID, description: "test model", sha256: ZooFixtures.sha256("good.zip")),
        ModelCatalogEntry(id: Self.unpublishedID, description: "test model without a digest"),
      ], options: options)
  }

  /// Serves `main` as `/{id}.zip` and `good_1.zip` as `/{id}_1.zip`.
  func serveRelease(id: Int, main: String = "good.zip", fault: LoopbackHTTPServer.Fault = .none, count: Int = .max)
    throws
  {
    try server.serve("/\(id).zip", file: ZooFixtures.zip(main), fault: fault, count: count)
    try server.serve("/\(id)_1.zip", file: ZooFixtures.zip("good_1.zip"))
  }

  var datasetFolder: URL { home.appendingPathComponent("models/Dataset\(String(format: "%03d", 777))") }
  func datasetFolder(_ id: Int) -> URL { home.appendingPathComponent("models/Dataset\(String(format: "%03d", id))") }

  /// Every path under `home`, relative.
  func tree() -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: home.path) else { return [] }
    return (walker.allObjects as? [String] ?? []).sorted()
  }

  /// Asserts that model `id` is not installed and nothing looks half-installed: no
  /// `Dataset{id}` folder, no marker, no staging folder.
  func expectNothingInstalled(_ id: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    let tree = tree()
    let name = "Dataset\(String(format: "%03d", id))"
    #expect(!tree.contains("models/\(name)"), "model folder left behind: \(tree)", sourceLocation: sourceLocation)
    #expect(
      !tree.contains { $0.hasSuffix("INSTALLED.json") }, "marker left behind: \(tree)", sourceLocation: sourceLocation)
    #expect(!tree.contains { $0.contains(".partial-") }, "staging left behind: \(tree)", sourceLocation: sourceLocation)
    let found = try? zoo.installedModelFolder(id: id)
    #expect(found == nil, sourceLocation: sourceLocation)
  }

  /// Asserts the installed model equals the committed source folder (both folds).
  func expectInstalledCorrectly(_ id: Int, folds: [Int] = [0, 1], sourceLocation: SourceLocation = #_sourceLocation)
    throws
  {
    let folder = try #require(try zoo.installedModelFolder(id: id), sourceLocation: sourceLocation)
    #expect(folder.lastPathComponent == ZooFixtures.folderName, sourceLocation: sourceLocation)
    var files = ["dataset.json", "plans.json"]
    files += folds.map { "fold_\($0)/checkpoint_final.pth" }
    for file in files {
      let ours = try Data(contentsOf: folder.appendingPathComponent(file))
      let source = try Data(contentsOf: ZooFixtures.sourceFolder.appendingPathComponent(file))
      #expect(ours == source, "\(file) differs", sourceLocation: sourceLocation)
    }
    let marker = folder.deletingLastPathComponent().appendingPathComponent("INSTALLED.json")
    let record = try JSONDecoder().decode(InstallRecord.self, from: Data(contentsOf: marker))
    #expect(record.id == id && record.folder == ZooFixtures.folderName, sourceLocation: sourceLocation)
    #expect(!tree().contains { $0.contains(".partial-") }, "staging left behind", sourceLocation: sourceLocation)
  }
}

/// Runs `body` and expects a `ModelZooError` with `code`; returns it.
@discardableResult
func expectZooError(
  _ code: ModelZooError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> ModelZooError? {
  do {
    try body()
    Issue.record("expected ModelZooError.\(code), got success", sourceLocation: sourceLocation)
  } catch let error as ModelZooError {
    #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    return error
  } catch {
    Issue.record("expected ModelZooError.\(code), got \(error)", sourceLocation: sourceLocation)
  }
  return nil
}
