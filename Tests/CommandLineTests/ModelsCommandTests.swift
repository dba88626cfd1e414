import Foundation
import Testing
import _TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// `vibeseg models ...` against a loopback HTTP server serving the release-like zips of
/// scripts/fixtures/make_zoo_fixtures.py. Model 278 (no published digest) is served from
/// good.zip + good_1.zip; model 100 (published digest) from the same bytes, which therefore
/// fail its sha256.
@Suite("vibeseg models", .serialized)
struct ModelsCommandTests {
  static let folderName = "nnUNetTrainer__nnUNetPlans__3d_fullres"

  struct Outcome {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  final class Setup {
    let server: LoopbackHTTPServer
    let home: URL
    init() throws {
      server = try LoopbackHTTPServer()
      home = try Fixtures.temporaryDirectory("vibeseg-models-cli")
    }
    deinit {
      server.stop()
      try? FileManager.default.removeItem(at: home)
    }

    func serve(_ id: Int, main: String = "good.zip", fault: LoopbackHTTPServer.Fault = .none, count: Int = .max) throws
    {
      try server.serve("/\(id).zip", file: Fixtures.committed("zoo/\(main)"), fault: fault, count: count)
      try server.serve("/\(id)_1.zip", file: Fixtures.committed("zoo/good_1.zip"))
    }

    func environment(_ extra: [String: String] = [:]) -> [String: String] {
      var env = ProcessInfo.processInfo.environment
      for key in ["TOTALVIBE_WEIGHTS_PATH", "VIBESEG_WEIGHTS_PATH", "VIBESEG_TEST_EXTRACT_DELAY_MS"] {
        env.removeValue(forKey: key)
      }
      env["VIBESEG_HOME"] = home.path
      env["VIBESEG_RELEASE_URL"] = server.baseURL.absoluteString
      env["VIBESEG_DOWNLOAD_TIMEOUT"] = "5"
      env["no_proxy"] = "127.0.0.1,localhost"
      env.merge(extra) { $1 }
      return env
    }

    func run(_ arguments: [String], _ extra: [String: String] = [:]) throws -> Outcome {
      let result = try VibeSegBinary.run(arguments, environment: environment(extra))
      return Outcome(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    /// Starts `vibeseg` without waiting (output discarded).
    func spawn(_ arguments: [String], _ extra: [String: String] = [:]) throws -> Process {
      let process = Process()
      process.executableURL = VibeSegBinary.url
      process.arguments = arguments
      process.environment = environment(extra)
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
      return process
    }

    func dataset(_ id: Int) -> URL { home.appendingPathComponent("models/Dataset\(String(format: "%03d", id))") }

    func entries(_ relative: String) -> [String] {
      (try? FileManager.default.contentsOfDirectory(atPath: home.appendingPathComponent(relative).path)) ?? []
    }

    /// No Dataset folder, no marker, no staging folder (unless `stagingAllowed`: a process
    /// killed mid-extraction leaves its staging folder, never used, removed by the next install).
    func expectNothingInstalled(
      _ id: Int, stagingAllowed: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
    ) {
      let name = "Dataset\(String(format: "%03d", id))"
      #expect(
        !entries("models").contains { $0 == name || (!stagingAllowed && $0.hasPrefix(name + ".partial-")) },
        "\(entries("models"))", sourceLocation: sourceLocation)
      #expect(
        !FileManager.default.fileExists(atPath: dataset(id).appendingPathComponent("INSTALLED.json").path),
        sourceLocation: sourceLocation)
    }

    /// The installed model's folds equal the committed source model.
    func expectInstalled(_ id: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
      let folder = dataset(id).appendingPathComponent(ModelsCommandTests.folderName)
      let source = Fixtures.modelFolder("plain_1ch")
      for file in ["dataset.json", "plans.json", "fold_0/checkpoint_final.pth", "fold_1/checkpoint_final.pth"] {
        let ours = try? Data(contentsOf: folder.appendingPathComponent(file))
        #expect(
          ours == (try Data(contentsOf: source.appendingPathComponent(file))), "\(file)", sourceLocation: sourceLocation
        )
      }
      #expect(
        FileManager.default.fileExists(atPath: dataset(id).appendingPathComponent("INSTALLED.json").path),
        sourceLocation: sourceLocation)
      #expect(!entries("models").contains { $0.contains(".partial-") }, sourceLocation: sourceLocation)
    }
  }

  /// Polls `condition` every 20 ms for up to `seconds`.
  static func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if condition() { return true }
      Thread.sleep(forTimeInterval: 0.02)
    }
    return condition()
  }

  @Test("download, path, list --json, remove")
  func lifecycle() throws {
    let s = try Setup()
    try s.serve(278)
    let download = try s.run(["models", "download", "278"])
    #expect(download.status == 0, "\(download.stderr)")
    let folder = s.dataset(278).appendingPathComponent(Self.folderName).path
    #expect(download.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == folder)
    #expect(download.stderr.contains("installed"), "\(download.stderr)")
    // Not a terminal: plain log lines, no bar.
    #expect(!download.stderr.contains("\r"))
    try s.expectInstalled(278)
    #expect(s.server.requests.map(\.path) == ["/278.zip", "/278_1.zip"])

    let path = try s.run(["models", "path", "278"])
    #expect(path.status == 0 && path.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == folder)

    let list = try s.run(["models", "list", "--json"])
    #expect(list.status == 0, "\(list.stderr)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any])
    #expect(json["schemaVersion"] as? Int == 1)
    let models = try #require(json["models"] as? [[String: Any]])
    let row = try #require(models.first { $0["id"] as? Int == 278 })
    #expect(
      row["installed"] as? Bool == true && row["source"] as? String == "cache" && row["folder"] as? String == folder)
    let row100 = try #require(models.first { $0["id"] as? Int == 100 })
    #expect(row100["installed"] as? Bool == false)
    #expect(row100["sha256"] as? String == "97483c90952bd988c58e8a040a59e685183a259d903c42e25f1b78224082f4fe")
    let text = try s.run(["models", "list"])
    #expect(text.status == 0 && text.stdout.contains("278") && text.stdout.contains("yes"))

    let remove = try s.run(["models", "remove", "278"])
    #expect(remove.status == 0, "\(remove.stderr)")
    s.expectNothingInstalled(278)
    let gone = try s.run(["models", "path", "278"])
    #expect(gone.status == 69)
    #expect(gone.stderr.contains("models download 278") && gone.stderr.contains("models import"), "\(gone.stderr)")
    #expect(try s.run(["models", "remove", "278"]).status == 69)
  }

  @Test(
    "failures end with exit 69 and nothing half-installed",
    arguments: ["checksum", "truncated", "stall", "slip", "404"])
  func failures(kind: String) throws {
    let s = try Setup()
    var id = 278
    var extra: [String: String] = [:]
    switch kind {
    case "checksum":
      id = 100
      try s.serve(100)  // good.zip is not the published 100.zip
    case "truncated": try s.serve(278, fault: .truncateAt(500_000))
    case "stall":
      try s.serve(278, fault: .stallAfter(50_000))
      extra["VIBESEG_DOWNLOAD_TIMEOUT"] = "0.5"
    case "slip": try s.serve(278, main: "slip.zip")
    default: try s.serve(278, fault: .notFound)
    }
    let start = Date()
    let result = try s.run(["models", "download", String(id)], extra)
    #expect(result.status == 69, "\(kind): \(result.stderr)")
    #expect(result.stderr.contains("vibeseg: error:"), "\(result.stderr)")
    #expect(Date().timeIntervalSince(start) < 30)
    s.expectNothingInstalled(id)
    #expect(try s.run(["models", "path", String(id)]).status == 69)
    switch kind {
    case "checksum": #expect(result.stderr.contains("sha256"))
    case "stall": #expect(result.stderr.contains("stalled"))
    case "slip": #expect(result.stderr.contains("zip slip"))
    case "404": #expect(result.stderr.contains("404"))
    default: break
    }
  }

  @Test("kill -9 during a download, then a re-run resumes with Range and installs")
  func killDuringDownload() throws {
    let s = try Setup()
    try s.serve(278, fault: .throttle(bytesPerSecond: 150_000))
    let process = try s.spawn(["models", "download", "278"])
    let part = s.home.appendingPathComponent("cache/downloads/278.zip.part")
    let started = Self.waitFor(20) {
      ((try? FileManager.default.attributesOfItem(atPath: part.path)[.size] as? Int) ?? 0) > 100_000
    }
    #expect(started, "the download never started")
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal)
    s.expectNothingInstalled(278)
    #expect(try s.run(["models", "path", "278"]).status == 69)
    s.server.setFault("/278.zip", .none)
    let rerun = try s.run(["models", "download", "278"])
    #expect(rerun.status == 0, "\(rerun.stderr)")
    try s.expectInstalled(278)
    let range = s.server.requests(for: "/278.zip").last?.headers["range"]
    #expect(range?.hasPrefix("bytes=") == true && range != "bytes=0-", "\(String(describing: range))")
  }

  @Test("kill -9 during extraction, then a re-run installs correctly")
  func killDuringExtraction() throws {
    let s = try Setup()
    try s.serve(278)
    let process = try s.spawn(["models", "download", "278"], ["VIBESEG_TEST_EXTRACT_DELAY_MS": "2000"])
    let staged = Self.waitFor(30) {
      s.entries("models").contains { $0.hasPrefix("Dataset278.partial-") }
        && !s.entries("models/\(s.entries("models").first { $0.hasPrefix("Dataset278.partial-") } ?? "x")").isEmpty
    }
    #expect(staged, "extraction never started: \(s.entries("models"))")
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal)
    s.expectNothingInstalled(278, stagingAllowed: true)
    #expect(s.entries("models").contains { $0.hasPrefix("Dataset278.partial-") })
    #expect(try s.run(["models", "path", "278"]).status == 69)
    let requestsBefore = s.server.requests.count
    let rerun = try s.run(["models", "download", "278"])
    #expect(rerun.status == 0, "\(rerun.stderr)")
    try s.expectInstalled(278)
    // The verified downloads of the killed run were reused, not fetched again.
    #expect(s.server.requests.count == requestsBefore, "\(s.server.requests.map(\.path))")
    #expect(rerun.stderr.contains("reusing"), "\(rerun.stderr)")
  }

  @Test("kill -9 at seeded random moments (download and extraction) until done: never half-installed")
  func randomKills() throws {
    let s = try Setup()
    try s.serve(278, fault: .throttle(bytesPerSecond: 1_500_000))
    let slow = ["VIBESEG_TEST_EXTRACT_DELAY_MS": "150"]
    var generator = SeededGenerator(seed: 2024)
    var kills = 0
    var finished = false
    for _ in 0..<12 {
      let process = try s.spawn(["models", "download", "278"], slow)
      let delay = Double.random(in: 0.05...1.2, using: &generator)
      let exited = Self.waitFor(delay) { !process.isRunning }
      if exited {
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        finished = true
        break
      }
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      kills += 1
      // Either fully installed (the kill came after the marker) or not installed at all.
      let path = try s.run(["models", "path", "278"])
      if path.status == 0 {
        try s.expectInstalled(278)
      } else {
        #expect(path.status == 69)
        #expect(!FileManager.default.fileExists(atPath: s.dataset(278).appendingPathComponent("INSTALLED.json").path))
      }
    }
    if !finished {
      let rerun = try s.run(["models", "download", "278"])
      #expect(rerun.status == 0, "\(rerun.stderr)")
    }
    try s.expectInstalled(278)
    #expect(kills >= 2, "only \(kills) kills landed; the timing window is too short")
    // Resumed downloads never fetched the whole asset again after the first bytes had arrived.
    let ranges = s.server.requests(for: "/278.zip").compactMap { $0.headers["range"] }
    #expect(!ranges.contains("bytes=0-"))
  }

  @Test("import of local zips (offline), and models found where TOTALVIBE_WEIGHTS_PATH points")
  func importAndSearchPaths() throws {
    let s = try Setup()
    let dir = try Fixtures.temporaryDirectory("vibeseg-models-import")
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.copyItem(at: Fixtures.committed("zoo/good.zip"), to: dir.appendingPathComponent("278.zip"))
    try FileManager.default.copyItem(
      at: Fixtures.committed("zoo/good_1.zip"), to: dir.appendingPathComponent("278_1.zip"))
    let imported = try s.run([
      "models", "import", dir.appendingPathComponent("278.zip").path, dir.appendingPathComponent("278_1.zip").path,
    ])
    #expect(imported.status == 0, "\(imported.stderr)")
    try s.expectInstalled(278)
    #expect(s.server.requests.isEmpty)

    let bad = try s.run(["models", "import", Fixtures.committed("zoo/slip.zip").path, "--id", "99"])
    #expect(bad.status == 69 && bad.stderr.contains("zip slip"), "\(bad.stderr)")
    s.expectNothingInstalled(99)

    // An upstream tree: <TOTALVIBE_WEIGHTS_PATH>/Dataset099/<folder>/.
    let upstream = try Fixtures.temporaryDirectory("vibeseg-models-upstream")
    defer { try? FileManager.default.removeItem(at: upstream) }
    try FileManager.default.createDirectory(
      at: upstream.appendingPathComponent("Dataset099"), withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: Fixtures.modelFolder("plain_1ch"), to: upstream.appendingPathComponent("Dataset099/\(Self.folderName)"))
    let env = ["TOTALVIBE_WEIGHTS_PATH": upstream.path]
    let path = try s.run(["models", "path", "99"], env)
    #expect(path.status == 0, "\(path.stderr)")
    #expect(
      path.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        == upstream.appendingPathComponent("Dataset099/\(Self.folderName)").path)
    let list = try s.run(["models", "list", "--json"], env)
    let json = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any])
    let row = try #require((json["models"] as? [[String: Any]])?.first { $0["id"] as? Int == 99 })
    #expect(row["installed"] as? Bool == true && row["source"] as? String == "search path")
    #expect(try s.run(["models", "path", "99"]).status == 69)  // without the variable
    // A search-path model has no install record to verify against.
    let unverifiable = try s.run(["models", "verify", "99"], env)
    #expect(unverifiable.status == 69 && unverifiable.stderr.contains("no install record"), "\(unverifiable.stderr)")
  }

  @Test("verify: every recorded file re-hashed; a changed byte, a truncation and a missing file are each named, exit 69")
  func verify() throws {
    let s = try Setup()
    try s.serve(278)
    let installed = try s.run(["models", "download", "278"])
    #expect(installed.status == 0, "\(installed.stderr)")
    let good = try s.run(["models", "verify", "278"])
    #expect(good.status == 0, "\(good.stderr)")
    #expect(good.stderr.contains("files match INSTALLED.json"), "\(good.stderr)")

    let record = try JSONSerialization.jsonObject(
      with: Data(contentsOf: s.dataset(278).appendingPathComponent("INSTALLED.json"))) as? [String: Any]
    let files = try #require(record?["files"] as? [[String: Any]]).compactMap { $0["path"] as? String }.sorted()
    let checkpoint = try #require(files.first { $0.hasSuffix(".pth") })
    let plans = try #require(files.first { $0.hasSuffix("plans.json") })
    let dataset = try #require(files.first { $0.hasSuffix("dataset.json") })
    // Same size, one byte changed.
    let url = s.dataset(278).appendingPathComponent(checkpoint)
    var bytes = try Data(contentsOf: url)
    bytes[bytes.count / 2] ^= 0x01
    try bytes.write(to: url)
    // Truncated, and deleted.
    let plansURL = s.dataset(278).appendingPathComponent(plans)
    try Data(try Data(contentsOf: plansURL).dropLast(3)).write(to: plansURL)
    try FileManager.default.removeItem(at: s.dataset(278).appendingPathComponent(dataset))

    let bad = try s.run(["models", "verify", "278"])
    #expect(bad.status == 69, "\(bad.stderr)")
    #expect(bad.stderr.contains("\(checkpoint): sha256 differs"), "\(bad.stderr)")
    #expect(bad.stderr.contains("\(plans): size"), "\(bad.stderr)")
    #expect(bad.stderr.contains("\(dataset): missing"), "\(bad.stderr)")
    #expect(bad.stderr.contains("models remove"), "\(bad.stderr)")
    #expect(try s.run(["models", "verify", "12"]).status == 69)  // not installed
  }
}

