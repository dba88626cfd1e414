import Foundation
import Testing
import _TestSupport

@testable import ModelZoo

@Suite("ModelZoo downloads and installs (loopback HTTP server)")
struct ModelZooInstallTests {
  @Test("the fixture zips match their manifest")
  func manifest() throws {
    let zips = try #require(ZooFixtures.manifest["zips"] as? [String: [String: Any]])
    #expect(zips.count == 8)
    for (name, info) in zips {
      #expect(try sha256(of: ZooFixtures.zip(name)) == info["sha256"] as? String, "\(name)")
      #expect(fileSize(ZooFixtures.zip(name)) == Int64(info["size"] as! Int), "\(name)")
    }
  }

  @Test("fresh install: main zip, its fold addendum from other_downloads.json, marker last")
  func freshInstall() throws {
    let h = try ZooHarness()
    try h.serveRelease(id: 777)
    var phases: [DownloadProgress.Phase] = []
    let folder = try h.zoo.install(id: 777) { phases.append($0.phase) }
    try h.expectInstalledCorrectly(777)
    #expect(folder == (try h.zoo.installedModelFolder(id: 777)))
    #expect(folder.path == h.datasetFolder.appendingPathComponent(ZooFixtures.folderName).path)
    #expect(h.server.requests.map(\.path) == ["/777.zip", "/777_1.zip"])
    #expect(h.server.requests.allSatisfy { $0.headers["range"] == nil })
    let record = try JSONDecoder().decode(
      InstallRecord.self, from: Data(contentsOf: h.datasetFolder.appendingPathComponent("INSTALLED.json")))
    #expect(record.otherDownloads == ["_1"])
    #expect(record.assets.map(\.name) == ["777.zip", "777_1.zip"])
    #expect(record.assets[0].sha256 == ZooFixtures.sha256("good.zip") && record.assets[0].publishedDigestVerified)
    #expect(record.assets[1].sha256 == ZooFixtures.sha256("good_1.zip") && !record.assets[1].publishedDigestVerified)
    #expect(record.files.contains { $0.path.hasSuffix("fold_1/checkpoint_final.pth") })
    // The list of addenda is kept (upstream deletes it), and the downloads are cleaned up.
    #expect(FileManager.default.fileExists(atPath: h.datasetFolder.appendingPathComponent("other_downloads.json").path))
    #expect(!h.tree().contains { $0.hasPrefix("cache/downloads/") })
    #expect(phases.first == .connecting && phases.last == .installed && phases.contains(.extracting))
    // A second install is a no-op without a request.
    _ = try h.zoo.install(id: 777) { phases.append($0.phase) }
    #expect(phases.last == .alreadyInstalled && h.server.requests.count == 2)
    #expect(h.zoo.catalog.first { $0.id == 777 }?.installed == true)
    #expect(h.zoo.catalog.first { $0.id == 778 }?.installed == false)
  }

  @Test("a dropped connection is resumed with Range in the same run")
  func resumeWithinRun() throws {
    let h = try ZooHarness()
    try h.serveRelease(id: 777, fault: .dropAfter(300_000), count: 1)
    var retried = false
    try h.zoo.install(id: 777) { if $0.phase == .retrying { retried = true } }
    try h.expectInstalledCorrectly(777)
    let requests = h.server.requests(for: "/777.zip")
    #expect(requests.count == 2 && retried)
    #expect(requests.first?.headers["range"] == nil)
    #expect(requests.last?.headers["range"] == "bytes=300000-")
    #expect(requests.last?.headers["if-range"] != nil)
  }

  @Test("a .part left by an interrupted run is resumed with Range by the next run")
  func resumeAcrossRuns() throws {
    let h = try ZooHarness(maxAttempts: 1)
    try h.serveRelease(id: 777, fault: .dropAfter(400_000), count: 1)
    expectZooError(.downloadFailed) { try h.zoo.install(id: 777) }
    h.expectNothingInstalled(777)
    let part = h.home.appendingPathComponent("cache/downloads/777.zip.part")
    #expect(fileSize(part) == 400_000)
    try h.zoo.install(id: 777)
    try h.expectInstalledCorrectly(777)
    #expect(h.server.requests(for: "/777.zip").last?.headers["range"] == "bytes=400000-")
    #expect(fileSize(part) == nil)
  }

  @Test("through a redirect (as GitHub sends assets to its CDN), a dropped download resumes and verifies")
  func redirectedResume() throws {
    let h = try ZooHarness()
    h.server.serve("/777.zip", bytes: [], fault: .redirect(to: "/cdn/777.zip"))
    h.server.serve("/777_1.zip", bytes: [], fault: .redirect(to: "/cdn/777_1.zip"))
    try h.server.serve("/cdn/777.zip", file: ZooFixtures.zip("good.zip"), fault: .dropAfter(250_000), count: 1)
    try h.server.serve("/cdn/777_1.zip", file: ZooFixtures.zip("good_1.zip"))
    try h.zoo.install(id: 777)
    try h.expectInstalledCorrectly(777)
    let cdn = h.server.requests(for: "/cdn/777.zip")
    #expect(cdn.count == 2)
    // Foundation keeps the Range header across the redirect, so the second request resumes.
    #expect(cdn.last?.headers["range"] == "bytes=250000-")
  }

  @Test("a server that ignores Range (200 instead of 206) makes the download restart, still verified")
  func rangeIgnored() throws {
    let h = try ZooHarness(maxAttempts: 1)
    try h.serveRelease(id: 777, fault: .dropAfter(200_000), count: 1)
    expectZooError(.downloadFailed) { try h.zoo.install(id: 777) }
    h.server.setFault("/777.zip", .ignoreRange, count: 1)
    try h.zoo.install(id: 777)
    try h.expectInstalledCorrectly(777)
    #expect(h.server.requests(for: "/777.zip").last?.headers["range"] == "bytes=200000-")
  }

  @Test("wrong bytes against a published sha256: rejected, the download deleted, nothing installed")
  func wrongChecksum() throws {
    let h = try ZooHarness()
    try h.serveRelease(id: 777, fault: .wrongBytes)
    let error = expectZooError(.verificationFailed) { try h.zoo.install(id: 777) }
    #expect(error?.message.contains("sha256") == true)
    h.expectNothingInstalled(777)
    #expect(!h.tree().contains { $0.hasPrefix("cache/downloads/777") }, "\(h.tree())")
    #expect(h.server.requests(for: "/777_1.zip").isEmpty)
  }

  @Test("wrong bytes without a published digest: the zip's CRC-32 rejects it, nothing installed")
  func wrongBytesUnpublished() throws {
    let h = try ZooHarness()
    try h.serveRelease(id: 778, fault: .wrongBytes)
    expectZooError(.invalidArchive) { try h.zoo.install(id: 778) }
    h.expectNothingInstalled(778)
    #expect(!h.tree().contains { $0.hasPrefix("cache/downloads/778") }, "\(h.tree())")
  }

  @Test("a truncated body (Content-Length larger than the bytes sent) fails after bounded retries")
  func truncatedBody() throws {
    let h = try ZooHarness(maxAttempts: 2)
    let size = Int(fileSize(ZooFixtures.zip("good.zip"))!)
    try h.serveRelease(id: 777, fault: .truncateAt(size - 1000))
    let error = expectZooError(.downloadFailed) { try h.zoo.install(id: 777) }
    #expect(
      error?.message.contains("truncated") == true || error?.message.contains("connection") == true,
      "\(String(describing: error))")
    h.expectNothingInstalled(777)
    #expect(h.server.requests(for: "/777.zip").count == 2)
    let part = h.home.appendingPathComponent("cache/downloads/777.zip.part")
    #expect((fileSize(part) ?? 0) < Int64(size))
  }

  @Test("a stalled server hits the stall timeout; nothing installed")
  func stalledServer() throws {
    let h = try ZooHarness(maxAttempts: 2, stallTimeout: 0.7)
    try h.serveRelease(id: 777, fault: .stallAfter(100_000))
    let start = Date()
    let error = expectZooError(.downloadFailed) { try h.zoo.install(id: 777) }
    let elapsed = Date().timeIntervalSince(start)
    #expect(error?.message.contains("stalled") == true, "\(String(describing: error))")
    #expect(elapsed < 15, "took \(elapsed) s")
    #expect(h.server.requests(for: "/777.zip").count == 2)
    #expect(h.server.requests(for: "/777.zip").last?.headers["range"] == "bytes=100000-")
    h.expectNothingInstalled(777)
  }

  @Test("HTTP 404: downloadFailed naming the status, no retries")
  func notFound() throws {
    let h = try ZooHarness()
    try h.serveRelease(id: 777, fault: .notFound)
    let error = expectZooError(.downloadFailed) { try h.zoo.install(id: 777) }
    #expect(error?.message.contains("404") == true)
    #expect(h.server.requests.count == 1)
    h.expectNothingInstalled(777)
  }

  @Test(
    "hostile archives are rejected before anything is written outside the staging folder",
    arguments: ["slip.zip", "absolute.zip", "symlink.zip", "bomb.zip", "nolayout.zip"])
  func hostileArchive(name: String) throws {
    let h = try ZooHarness()
    try h.serveRelease(id: 778, main: name)
    let before = h.tree()
    let error = expectZooError(.invalidArchive) { try h.zoo.install(id: 778) }
    h.expectNothingInstalled(778)
    // Nothing outside home's own bookkeeping (locks, empty folders) appeared.
    let added = Set(h.tree()).subtracting(before).filter {
      !["models", "cache", "cache/downloads", "cache/locks", "cache/locks/Dataset778.lock"].contains($0)
    }
    #expect(added.isEmpty, "\(added)")
    #expect(!FileManager.default.fileExists(atPath: h.home.appendingPathComponent("models/evil.txt").path))
    #expect(!FileManager.default.fileExists(atPath: h.home.appendingPathComponent("evil.txt").path))
    let why = error?.message ?? ""
    switch name {
    case "slip.zip": #expect(why.contains("zip slip"), "\(why)")
    case "absolute.zip": #expect(why.contains("absolute"), "\(why)")
    case "symlink.zip": #expect(why.contains("symbolic-link"), "\(why)")
    case "bomb.zip": #expect(why.contains("ratio"), "\(why)")
    default: #expect(why.contains("plans.json") || why.contains("folder"), "\(why)")
    }
  }

  @Test("leftovers of a killed install are never used and are replaced; a folder vibeseg did not make is left alone")
  func leftovers() throws {
    let h = try ZooHarness()
    let fm = FileManager.default
    let stale = h.home.appendingPathComponent("models/Dataset777.partial-dead")
    try fm.createDirectory(at: stale.appendingPathComponent("junk"), withIntermediateDirectories: true)
    // A complete-looking model folder without INSTALLED.json (killed between rename and marker).
    let unmarked = h.datasetFolder.appendingPathComponent(ZooFixtures.folderName)
    try fm.createDirectory(at: h.datasetFolder, withIntermediateDirectories: true)
    try fm.copyItem(at: ZooFixtures.sourceFolder, to: unmarked)
    #expect(try h.zoo.installedModelFolder(id: 777) == nil)
    try h.serveRelease(id: 777)
    // Without vibeseg's pending tag the folder is someone else's: refused, left untouched.
    let foreign = expectZooError(.ioFailure) { try h.zoo.install(id: 777) }
    #expect(foreign?.message.contains("not installed by vibeseg") == true)
    #expect(fm.fileExists(atPath: unmarked.appendingPathComponent("fold_0/checkpoint_final.pth").path))
    #expect(try h.zoo.installedModelFolder(id: 777) == nil)
    // With the tag (what an install killed between rename and marker leaves) it is replaced.
    try Data().write(to: h.datasetFolder.appendingPathComponent(".vibeseg-install"))
    try fm.removeItem(at: unmarked.appendingPathComponent("fold_1"))
    try h.zoo.install(id: 777)
    try h.expectInstalledCorrectly(777)
    #expect(!fm.fileExists(atPath: stale.path))
    #expect(!fm.fileExists(atPath: h.datasetFolder.appendingPathComponent(".vibeseg-install").path))
  }

  @Test("two concurrent installs of one id (threads, separate locks) both end with one good install")
  func concurrentInstalls() throws {
    let h = try ZooHarness()
    try h.serveRelease(id: 777, fault: .throttle(bytesPerSecond: 2_000_000))
    let zoo = h.zoo
    let results = ResultBox()
    let group = DispatchGroup()
    for _ in 0..<2 {
      group.enter()
      Thread {
        do {
          let folder = try zoo.install(id: 777)
          results.add(folder.path)
        } catch {
          results.add("error: \(error)")
        }
        group.leave()
      }.start()
    }
    group.wait()
    let paths = results.values
    #expect(paths.count == 2 && Set(paths).count == 1 && !paths[0].hasPrefix("error"), "\(paths)")
    try h.expectInstalledCorrectly(777)
    #expect(h.server.requests(for: "/777.zip").count == 1)
  }

  @Test("remove deletes the model; removing again or an unknown model throws unknownModel")
  func remove() throws {
    let h = try ZooHarness()
    try h.serveRelease(id: 777)
    try h.zoo.install(id: 777)
    try h.zoo.remove(id: 777)
    h.expectNothingInstalled(777)
    #expect(!h.tree().contains { $0.contains(".removing-") })
    expectZooError(.unknownModel) { try h.zoo.remove(id: 777) }
  }
}

final class ResultBox: @unchecked Sendable {
  private let lock = NSLock()
  private var items: [String] = []
  func add(_ value: String) {
    lock.lock()
    items.append(value)
    lock.unlock()
  }
  var values: [String] {
    lock.lock()
    defer { lock.unlock() }
    return items
  }
}
