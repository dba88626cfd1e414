import Foundation
import Testing
import _TestSupport

@testable import ModelZoo

@Suite("ModelZoo offline: import, search paths, catalog")
struct ModelZooLocalTests {
  /// A folder holding copies of fixture zips under release names.
  private func localRelease(_ files: [String: String]) throws -> URL {
    let dir = try Fixtures.temporaryDirectory("vibeseg-zoo-import")
    for (target, source) in files {
      try FileManager.default.copyItem(at: ZooFixtures.zip(source), to: dir.appendingPathComponent(target))
    }
    return dir
  }

  @Test("import of NNN.zip with its addendum beside it installs both folds; id from the file name")
  func importWithAddendum() throws {
    let h = try ZooHarness()
    let dir = try localRelease(["777.zip": "good.zip", "777_1.zip": "good_1.zip"])
    defer { try? FileManager.default.removeItem(at: dir) }
    let folder = try h.zoo.importArchive(at: dir.appendingPathComponent("777.zip"))
    try h.expectInstalledCorrectly(777)
    #expect(folder == (try h.zoo.installedModelFolder(id: 777)))
    #expect(h.server.requests.isEmpty)
    // The user's files are left alone.
    #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("777.zip").path))
  }

  @Test("import: a missing addendum, a wrong published digest, an unnamed zip are refused")
  func importRefusals() throws {
    let h = try ZooHarness()
    let dir = try localRelease(["777.zip": "good.zip", "model.zip": "single.zip", "778.zip": "single.zip"])
    defer { try? FileManager.default.removeItem(at: dir) }
    let missing = expectZooError(.invalidArchive) { try h.zoo.importArchive(at: dir.appendingPathComponent("777.zip")) }
    #expect(missing?.message.contains("777_1.zip") == true)
    h.expectNothingInstalled(777)
    // single.zip is not the published 777.zip.
    expectZooError(.verificationFailed) {
      try h.zoo.importArchive(at: dir.appendingPathComponent("model.zip"), id: 777)
    }
    h.expectNothingInstalled(777)
    expectZooError(.unknownModel) { try h.zoo.importArchive(at: dir.appendingPathComponent("model.zip")) }
    expectZooError(.missingFile) { try h.zoo.importArchive(at: dir.appendingPathComponent("absent.zip")) }
    // An archive without other_downloads.json needs nothing beside it.
    try h.zoo.importArchive(at: dir.appendingPathComponent("778.zip"))
    try h.expectInstalledCorrectly(778, folds: [0])
  }

  /// The container-level hostile zips of TorchCheckpoint's suite (make_checkpoint_goldens.py).
  static let craftedZips: [String] = {
    let folder = Fixtures.committed("checkpoint/crafted")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.filter { $0.hasSuffix(".pth") }.sorted()
  }()

  @Test("every crafted hostile or damaged zip of the checkpoint suite is refused by import", arguments: craftedZips)
  func craftedArchives(name: String) throws {
    let h = try ZooHarness()
    let zip = Fixtures.committed("checkpoint/crafted/\(name)")
    let before = h.tree()
    let error = expectZooError(.invalidArchive) { try h.zoo.importArchive(at: zip, id: 778) }
    h.expectNothingInstalled(778)
    let added = Set(h.tree()).subtracting(before).filter {
      !["models", "cache", "cache/downloads", "cache/locks", "cache/locks/Dataset778.lock"].contains($0)
    }
    #expect(added.isEmpty, "\(added)")
    if name.hasPrefix("crc_mismatch") {
      #expect(error?.message.contains("CRC") == true, "\(String(describing: error))")
    }
  }

  @Test("upstream-prepared folders in search paths (TOTALVIBE_WEIGHTS_PATH layout) are found as they are")
  func searchPaths() throws {
    let h = try ZooHarness()
    let upstream = try Fixtures.temporaryDirectory("vibeseg-upstream")
    defer { try? FileManager.default.removeItem(at: upstream) }
    let fm = FileManager.default
    // <TOTALVIBE_WEIGHTS_PATH>/Dataset099/<Trainer>__<Plans>__<config>/ as auto_download.py lays it out,
    // and a TPTBox-style Dataset278_BodyRegions/.
    for dataset in ["Dataset099", "Dataset278_BodyRegions"] {
      try fm.createDirectory(at: upstream.appendingPathComponent(dataset), withIntermediateDirectories: true)
      try fm.copyItem(
        at: ZooFixtures.sourceFolder, to: upstream.appendingPathComponent("\(dataset)/\(ZooFixtures.folderName)"))
    }
    // Not a model folder (no plans.json): ignored.
    try fm.createDirectory(at: upstream.appendingPathComponent("Dataset512/x__y__z"), withIntermediateDirectories: true)
    var zoo = h.zoo
    #expect(try zoo.installedModelFolder(id: 99) == nil)
    zoo.searchPaths = [upstream]
    let found99 = try #require(try zoo.installedModelFolder(id: 99))
    #expect(found99.path == upstream.appendingPathComponent("Dataset099/\(ZooFixtures.folderName)").path)
    #expect(try zoo.installedModelFolder(id: 278)?.path.contains("Dataset278_BodyRegions") == true)
    #expect(try zoo.installedModelFolder(id: 512) == nil)
    #expect(try zoo.installedModel(id: 99)?.source == .searchPath(upstream))
    #expect(zoo.catalog.filter(\.installed).map(\.id) == [99, 278])
    // install() uses it without downloading; remove() refuses to touch it.
    #expect(try zoo.install(id: 99) == found99)
    #expect(h.server.requests.isEmpty)
    let error = expectZooError(.unknownModel) { try zoo.remove(id: 99) }
    #expect(error?.message.contains("search path") == true)
    #expect(fm.fileExists(atPath: found99.path))
  }

  @Test("the built-in catalog holds the published ids and digests of totalvibe.md section 3")
  func builtInCatalog() {
    let byID = Dictionary(uniqueKeysWithValues: ModelCatalogEntry.builtIn.map { ($0.id, $0) })
    #expect(Set(byID.keys) == [100, 99, 278, 85, 86, 87, 80, 98, 282, 511, 512, 12, 520, 538, 540])
    #expect(byID[100]?.sha256 == "97483c90952bd988c58e8a040a59e685183a259d903c42e25f1b78224082f4fe")
    #expect(byID[12]?.sha256 == "c53fd265fe713023c1d24955f05770f996f7aaac5c850e96958f3c760e0630a3")
    #expect(byID[538]?.sha256 == "0dceeeb30c8f4ec441019c043a193156141bfb1bcb7c11191b754fc871eae8ac")
    #expect(byID[540]?.sha256 == "ca78f6a7b586eb18acd094e32677ff41b62f6487f63fabc0fad16cbdfa787c6a")
    #expect(ModelCatalogEntry.builtIn.filter { $0.sha256 != nil }.count == 4)
    #expect(byID[99]?.paddedID == "099")
    let zoo = ModelZoo(home: URL(fileURLWithPath: "/nonexistent"))
    #expect(
      zoo.releaseURL(for: ModelZoo.assetName(id: 99, suffix: "_1")).absoluteString
        == "https://github.com/robert-graf/VIBESegmentator/releases/download/v1.0.0/099_1.zip")
  }

  @Test("other_downloads.json: only suffixes like _1 are accepted")
  func otherDownloadsParsing() throws {
    let zip = URL(fileURLWithPath: "/x/100.zip")
    #expect(try ModelZoo.parseOtherDownloads(Data(#"["_1", "_2", "_1"]"#.utf8), zip: zip) == ["_1", "_2"])
    for bad in [#"["../x"]"#, #"["_1/../../y"]"#, #"[1]"#, #"{"a": 1}"#, #"["1"]"#, #"["_"]"#] {
      expectZooError(.invalidArchive) { _ = try ModelZoo.parseOtherDownloads(Data(bad.utf8), zip: zip) }
    }
    #expect(ModelZoo.idFromFileName("099.zip") == 99 && ModelZoo.idFromFileName("100_1.zip") == nil)
    #expect(ModelZoo.isAddendumFileName("100_1.zip") && !ModelZoo.isAddendumFileName("100.zip"))
    #expect(ModelZoo.datasetID("Dataset100") == 100 && ModelZoo.datasetID("Dataset278_Regions") == 278)
    #expect(ModelZoo.datasetID("Dataset") == nil && ModelZoo.datasetID("Dataset12x") == nil)
  }

  @Test("Content-Range parsing")
  func contentRange() throws {
    let a = try #require(ContentRange("bytes 100-199/1000"))
    #expect(a.first == 100 && a.last == 199 && a.total == 1000)
    let b = try #require(ContentRange("bytes */1000"))
    #expect(b.total == 1000)
    #expect(ContentRange("bytes 5-1/10") == nil && ContentRange("items 1-2/3") == nil)
  }
}
