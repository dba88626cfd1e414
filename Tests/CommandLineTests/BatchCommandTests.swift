import Foundation
import NiftiIO
import Testing
import VolumeCore
import _TestSupport

/// `vibeseg batch` and `batch-report` through the built binary: crash consistency under kill -9
/// (reliability.md R9-R12), sharding, signals, quarantine, exit codes.
///
/// Sizes (environment, for longer runs than CI's): `VIBESEG_BATCH_KILLS` (default 20 kills),
/// `VIBESEG_BATCH_CASES` (default 40 cases), `VIBESEG_BATCH_SEED` (default 20261126).
@Suite("vibeseg batch", .serialized)
struct BatchCommandTests {
  static let environment = ProcessInfo.processInfo.environment
  static let kills = Int(environment["VIBESEG_BATCH_KILLS"] ?? "") ?? 20
  static let caseCount = max(20, Int(environment["VIBESEG_BATCH_CASES"] ?? "") ?? 40)
  static let seed = UInt64(environment["VIBESEG_BATCH_SEED"] ?? "") ?? 20_261_126
  static let model = Fixtures.modelFolder("plain_1ch")

  /// One fold, no mirroring, one network thread: one small network pass per case.
  static func batchArguments(_ input: URL, _ output: URL, _ extra: [String] = []) -> [String] {
    ["batch", input.path, "-o", output.path, "--model", model.path, "--folds", "0", "--no-tta", "--threads", "1"]
      + extra
  }

  /// A started `vibeseg` process with stdout/stderr going to files.
  final class Running {
    let process = Process()
    let out: URL
    let err: URL

    init(_ arguments: [String], environment extra: [String: String] = [:], logs: URL) throws {
      out = logs.appendingPathExtension("out")
      err = logs.appendingPathExtension("err")
      FileManager.default.createFile(atPath: out.path, contents: nil)
      FileManager.default.createFile(atPath: err.path, contents: nil)
      process.executableURL = VibeSegBinary.url
      process.arguments = arguments
      process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
      process.standardOutput = try FileHandle(forWritingTo: out)
      process.standardError = try FileHandle(forWritingTo: err)
      try process.run()
    }

    /// Waits for the end; returns (status, killed by a signal, stdout, stderr).
    func finish() -> (status: Int32, signalled: Bool, stdout: String, stderr: String) {
      process.waitUntilExit()
      let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
      let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
      return (process.terminationStatus, process.terminationReason == .uncaughtSignal, stdout, stderr)
    }
  }

  static func run(_ arguments: [String], environment: [String: String] = [:], logs: URL) throws -> (
    status: Int32, signalled: Bool, stdout: String, stderr: String
  ) {
    try Running(arguments, environment: environment, logs: logs).finish()
  }


  /// Every file below `folder` (relative paths), hidden ones included, `.vibeseg/` excluded.
  static func files(_ folder: URL) -> [String] {
    let fm = FileManager.default
    guard let walker = fm.enumerator(atPath: folder.path) else { return [] }
    var result = [String]()
    while let path = walker.nextObject() as? String {
      if path == ".vibeseg" {
        walker.skipDescendants()
        continue
      }
      var isDirectory: ObjCBool = false
      if fm.fileExists(atPath: folder.appendingPathComponent(path).path, isDirectory: &isDirectory),
        !isDirectory.boolValue
      {
        result.append(path)
      }
    }
    return result.sorted()
  }

  /// The rows of `batch-report`'s CSV as dictionaries (no quoted commas in the columns we read
  /// except `error`, which is last of those we need; a simple RFC 4180 split).
  static func report(_ output: URL, logs: URL) throws -> [[String: String]] {
    let csv = output.appendingPathComponent("report.csv")
    let result = try run(["batch-report", output.path, "-o", csv.path], logs: logs)
    #expect(result.status == 0, "\(result.stderr)")
    let text = try String(contentsOf: csv, encoding: .utf8)
    var rows = [[String]]()
    var row = [String]()
    var field = ""
    var quoted = false
    var chars = Array(text)[...]
    while let c = chars.popFirst() {
      if quoted {
        if c == "\"" {
          if chars.first == "\"" {
            field.append("\"")
            chars.removeFirst()
          } else {
            quoted = false
          }
        } else {
          field.append(c)
        }
      } else if c == "\"" {
        quoted = true
      } else if c == "," {
        row.append(field)
        field = ""
      } else if c == "\n" {
        row.append(field)
        rows.append(row)
        row = []
        field = ""
      } else {
        field.append(c)
      }
    }
    guard let header = rows.first else { return [] }
    return rows.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
  }

  /// Each `*.nii.gz` under a final name re-reads (gzip CRC and length verified by our reader).
  static func expectNoTornOutputs(_ output: URL, context: String) {
    for path in files(output) where path.hasSuffix(".nii.gz") && !path.split(separator: "/").last!.hasPrefix(".") {
      #expect(throws: Never.self, "\(context): \(path) is torn") {
        _ = try NiftiImage(contentsOf: output.appendingPathComponent(path))
      }
    }
  }

  @Test(
    "kill -9 at random moments and named points, some on one case again and again, resume each time with the default limits: no torn output, same bytes, every case once, no good case quarantined; a rerun does nothing"
  )
  func crashConsistency() throws {
    let dir = try Fixtures.temporaryDirectory("vibeseg-batch-crash")
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    let bad = [7: "truncated", 23: "4-D"].filter { $0.key < Self.caseCount }
    let ids = try SyntheticCohort.make(
      in: input, count: Self.caseCount, truncated: Set(bad.filter { $0.value == "truncated" }.keys),
      fourD: Set(bad.filter { $0.value == "4-D" }.keys))
    let badIDs = Set(bad.keys.map { ids[$0] })

    // The uninterrupted reference run (also the N = 1 shard run).
    let reference = dir.appendingPathComponent("reference")
    let started = Date()
    let plain = try Self.run(Self.batchArguments(input, reference), logs: dir.appendingPathComponent("ref"))
    let referenceSeconds = Date().timeIntervalSince(started)
    #expect(plain.status == 2, "some inputs are malformed: exit 2\n\(plain.stderr)")
    for id in badIDs { #expect(plain.stderr.contains("case \(id) failed"), "\(plain.stderr)") }
    #expect(plain.stdout.contains("processed \(Self.caseCount),"), "\(plain.stdout)")

    // The start-up cost of a run (process, model hash, manifest, re-hashing done outputs): an idle
    // rerun of the finished reference.
    let idleStart = Date()
    _ = try Self.run(Self.batchArguments(input, reference), logs: dir.appendingPathComponent("ref-idle"))
    let startup = Date().timeIntervalSince(idleStart)
    let perCase = referenceSeconds / Double(Self.caseCount)

    // Kills: even k at a named point (cycling through them, at its 1st to 3rd occurrence), odd k
    // at a random moment from start-up to about three cases in, so that the kills spread over the
    // cohort's whole life instead of one run finishing it. The last 30 % of the kills hit one case
    // again and again as it is computed (the last case still pending; as a long case gets hit by
    // kills from outside), each run finishing the other cases first. All with the default
    // --retries and --max-deaths: a kill from outside is no fault of the case it hits.
    let points = ["running-marked", "computed", "output-staged", "output-renamed", "manifest-update"]
    var random = SeededGenerator(seed: Self.seed)
    let crashed = dir.appendingPathComponent("crashed")
    var killed = 0
    var target: String?
    var targetedKills = 0
    for k in 0..<Self.kills {
      let logs = dir.appendingPathComponent("kill\(k)")
      let arguments = Self.batchArguments(input, crashed)
      if k >= Self.kills * 7 / 10 && target == nil {
        let rows = try Self.report(crashed, logs: dir.appendingPathComponent("pick"))
        target = rows.last { $0["status"] != "done" && $0["status"] != "failed" }?["case_id"]
        if target == nil, let last = rows.last(where: { $0["status"] == "done" })?["case_id"] {
          // Everything done already (a fast machine): the last case's output goes, so it is redone.
          try FileManager.default.removeItem(at: crashed.appendingPathComponent("\(last).nii.gz"))
          target = last
        }
        try FileManager.default.removeItem(at: crashed.appendingPathComponent("report.csv"))
      }
      if let target, k >= Self.kills * 7 / 10 {
        let point = targetedKills % 2 == 0 ? "running-marked" : "computed"
        let result = try Self.run(
          arguments, environment: ["VIBESEG_TEST_CRASH_POINT": "\(point)@\(target)"], logs: logs)
        if result.signalled {
          killed += 1
          targetedKills += 1
        }
      } else if k % 2 == 0 {
        let point = points[(k / 2) % points.count]
        let occurrence = 1 + Int(random.next() % 3)
        let result = try Self.run(
          arguments, environment: ["VIBESEG_TEST_CRASH_POINT": "\(point):\(occurrence)"], logs: logs)
        if result.signalled { killed += 1 } else { #expect(result.status == 2, "\(result.stderr)") }
      } else {
        let running = try Running(arguments, logs: logs)
        let delay = startup * 0.5 + Double(random.next() % 1000) / 1000 * (startup * 0.5 + 3 * perCase)
        Thread.sleep(forTimeInterval: delay)
        if running.process.isRunning {
          kill(running.process.processIdentifier, SIGKILL)
          killed += 1
        }
        _ = running.finish()
      }
      Self.expectNoTornOutputs(crashed, context: "after kill \(k)")
    }
    #expect(killed >= Self.kills / 2, "most runs were really killed (\(killed) of \(Self.kills))")

    #expect(
      targetedKills >= Self.kills * 3 / 10 - 1, "one case was killed again and again while computed (\(targetedKills) times)")
    let final = try Self.run(Self.batchArguments(input, crashed), logs: dir.appendingPathComponent("final"))
    #expect(final.status == 2, "\(final.stderr)")
    // Same files, same bytes; no staging or temporary file left.
    let expected = Self.files(reference).filter { !$0.hasSuffix("report.csv") }
    #expect(Self.files(crashed) == expected, "leftover or missing files")
    for path in expected {
      let same =
        try Data(contentsOf: reference.appendingPathComponent(path))
        == Data(contentsOf: crashed.appendingPathComponent(path))
      #expect(same, "\(path) differs from the uninterrupted run")
    }
    #expect(expected.count == Self.caseCount - badIDs.count)
    // Every case exactly once, done or failed (with its error).
    let rows = try Self.report(crashed, logs: dir.appendingPathComponent("report"))
    #expect(rows.map { $0["case_id"]! } == ids)
    for row in rows {
      let id = row["case_id"]!
      if badIDs.contains(id) {
        #expect(
          row["status"] == "failed" && row["error_kind"] == "input" && row["error"]!.contains("\(id).nii.gz"), "\(row)")
      } else {
        #expect(row["status"] == "done" && row["label_map"] == "\(id).nii.gz", "\(row)")
        // Kills are deaths, never attempts: each good case was charged exactly its successful one.
        #expect(row["attempts"] == "1", "\(row)")
      }
    }
    if let target {
      let deaths = Int(rows.first { $0["case_id"] == target }?["deaths"] ?? "") ?? 0
      #expect(deaths >= targetedKills, "\(target) was charged each kill while computed (\(deaths) deaths)")
    }

    // A second run over the finished cohort does no work: no inode or mtime changes.
    func identities() throws -> [String: [Int]] {
      var result = [String: [Int]]()
      for path in Self.files(crashed) {
        var s = stat()
        #expect(stat(crashed.appendingPathComponent(path).path, &s) == 0)
        result[path] = [Int(s.st_ino), Int(s.st_mtim.tv_sec), Int(s.st_mtim.tv_nsec)]
      }
      return result
    }
    let before = try identities()
    let idle = try Self.run(Self.batchArguments(input, crashed), logs: dir.appendingPathComponent("idle"))
    #expect(idle.status == 2 && idle.stdout.hasPrefix("processed 0,"), "\(idle.stdout)\(idle.stderr)")
    #expect(try identities() == before)
    print(
      "R9 batch crash consistency: \(Self.caseCount) cases, \(Self.kills) kills (\(killed) hit a running process, \(targetedKills) on \(target ?? "-") as it was computed), seed \(Self.seed), "
        + "start-up \(String(format: "%.2f", startup)) s, \(String(format: "%.2f", perCase)) s/case: 0 torn outputs, outputs identical, every case once"
    )
  }

  @Test("shards: 3 at once into one folder, and 7 one after another, process every case exactly once")
  func sharding() throws {
    let dir = try Fixtures.temporaryDirectory("vibeseg-batch-shards")
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    let ids = try SyntheticCohort.make(in: input, count: 21)
    let reference = dir.appendingPathComponent("n1")
    #expect(try Self.run(Self.batchArguments(input, reference), logs: dir.appendingPathComponent("n1")).status == 0)
    for n in [3, 7] {
      let output = dir.appendingPathComponent("n\(n)")
      var processed = 0
      if n == 3 {
        let running = try (0..<n).map { i in
          try Running(
            Self.batchArguments(input, output, ["--shard", "\(i)/\(n)"]), logs: dir.appendingPathComponent("n\(n)-\(i)")
          )
        }
        for r in running {
          let result = r.finish()
          #expect(result.status == 0, "\(result.stderr)")
          processed += Int(result.stdout.split(separator: ",")[0].dropFirst("processed ".count)) ?? -1000
        }
      } else {
        for i in 0..<n {
          let result = try Self.run(
            Self.batchArguments(input, output, ["--shard", "\(i)/\(n)"]), logs: dir.appendingPathComponent("n\(n)-\(i)")
          )
          #expect(result.status == 0, "\(result.stderr)")
          processed += Int(result.stdout.split(separator: ",")[0].dropFirst("processed ".count)) ?? -1000
        }
      }
      #expect(processed == ids.count, "N=\(n): each case processed once in all")
      let manifests = try FileManager.default.contentsOfDirectory(
        atPath: output.appendingPathComponent(".vibeseg").path
      )
      .filter { $0.hasSuffix(".sqlite") }
      #expect(manifests.count == n)
      let rows = try Self.report(output, logs: dir.appendingPathComponent("report\(n)"))
      #expect(rows.map { $0["case_id"]! } == ids && rows.allSatisfy { $0["status"] == "done" })
      #expect(Set(rows.map { $0["manifest"]! }).count == n, "every shard had cases")
      for id in ids {
        let path = "\(id).nii.gz"
        #expect(
          try Data(contentsOf: reference.appendingPathComponent(path))
            == Data(contentsOf: output.appendingPathComponent(path)))
      }
    }
  }

  @Test("SIGTERM: exit 143, no case left running, no temporary file; the rerun finishes the rest")
  func sigterm() throws {
    let dir = try Fixtures.temporaryDirectory("vibeseg-batch-term")
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    let output = dir.appendingPathComponent("out")
    let ids = try SyntheticCohort.make(in: input, count: 12)
    let running = try Running(Self.batchArguments(input, output), logs: dir.appendingPathComponent("term"))
    let deadline = Date().addingTimeInterval(60)
    while !FileManager.default.fileExists(atPath: output.appendingPathComponent("s001.nii.gz").path)
      && Date() < deadline
    {
      Thread.sleep(forTimeInterval: 0.02)
    }
    kill(running.process.processIdentifier, SIGTERM)
    let signalled = Date()
    let result = running.finish()
    #expect(Date().timeIntervalSince(signalled) < 30, "below Slurm's usual KillWait")
    #expect(result.status == 143 && !result.signalled, "\(result.status) \(result.stderr)")
    #expect(result.stderr.contains("interrupted by SIGTERM"))
    #expect(Self.files(output).allSatisfy { !$0.hasPrefix(".") }, "no staging files: \(Self.files(output))")
    let rows = try Self.report(output, logs: dir.appendingPathComponent("report"))
    #expect(rows.count == ids.count && !rows.contains { $0["status"] == "running" })
    let done = rows.filter { $0["status"] == "done" }.count
    #expect(done >= 2 && done < ids.count, "interrupted part-way: \(done) done")
    #expect(
      rows.allSatisfy { $0["status"] == "done" || $0["attempts"] == "0" },
      "the abandoned case is not charged an attempt")
    let rest = try Self.run(Self.batchArguments(input, output), logs: dir.appendingPathComponent("rest"))
    #expect(rest.status == 0 && rest.stdout.hasPrefix("processed \(ids.count - done),"), "\(rest.stdout)")
  }

  @Test("a case being computed at every kill -9 is quarantined after --max-deaths deaths; the others finish")
  func quarantine() throws {
    let dir = try Fixtures.temporaryDirectory("vibeseg-batch-poison")
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    let output = dir.appendingPathComponent("out")
    _ = try SyntheticCohort.make(in: input, count: 6)
    let poison = ["VIBESEG_TEST_CRASH_POINT": "running-marked@s000"]
    let arguments = Self.batchArguments(input, output, ["--max-deaths", "2"])
    for attempt in 1...2 {
      let result = try Self.run(arguments, environment: poison, logs: dir.appendingPathComponent("try\(attempt)"))
      #expect(result.signalled, "attempt \(attempt) dies at s000")
    }
    let third = try Self.run(arguments, environment: poison, logs: dir.appendingPathComponent("try3"))
    #expect(third.status == 2 && third.stderr.contains("case s000 quarantined"), "\(third.stderr)")
    let rows = try Self.report(output, logs: dir.appendingPathComponent("report"))
    #expect(rows.first { $0["case_id"] == "s000" }?["status"] == "quarantined")
    #expect(rows.filter { $0["status"] == "done" }.count == 5)
    let again = try Self.run(arguments, logs: dir.appendingPathComponent("again"))
    #expect(again.status == 2 && again.stdout.hasPrefix("processed 0,"), "quarantined cases are not retried")
    let overwrite = try Self.run(arguments + ["--overwrite"], logs: dir.appendingPathComponent("overwrite"))
    #expect(
      overwrite.status == 0 && overwrite.stdout.hasPrefix("processed 6,"), "\(overwrite.stdout)\(overwrite.stderr)")
  }

  @Test(
    "run-level errors: combine over BIDS, unknown task and bad shard 64, missing input 66, missing model 69; --stats/--preview and batch-report --html"
  )
  func errorsAndReport() throws {
    let dir = try Fixtures.temporaryDirectory("vibeseg-batch-errors")
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    let output = dir.appendingPathComponent("out")
    _ = try SyntheticCohort.make(in: input, count: 3)
    let logs = dir.appendingPathComponent("log")
    let combine = try Self.run(["batch", input.path, "-o", output.path, "--task", "combine", "--bids"], logs: logs)
    #expect(combine.status == 64 && combine.stderr.contains("--task combine needs"), "\(combine.stderr)")
    #expect(try Self.run(["batch", input.path, "-o", output.path, "--task", "nope"], logs: logs).status == 64)
    #expect(try Self.run(Self.batchArguments(input, output, ["--shard", "3/3"]), logs: logs).status == 64)
    #expect(try Self.run(Self.batchArguments(dir.appendingPathComponent("none"), output), logs: logs).status == 66)
    let noModel = try Self.run(
      ["batch", input.path, "-o", output.path, "--model", dir.appendingPathComponent("nomodel").path], logs: logs)
    #expect(noModel.status == 69, "\(noModel.stderr)")
    #expect(try Self.run(["batch-report", dir.path], logs: logs).status == 66)

    let full = try Self.run(Self.batchArguments(input, output, ["--stats", "--preview"]), logs: logs)
    #expect(full.status == 0, "\(full.stderr)")
    let page = try Self.run(["batch-report", output.path, "--html"], logs: logs)
    #expect(page.status == 0, "\(page.stderr)")
    let html = try String(contentsOf: output.appendingPathComponent("batch-report.html"), encoding: .utf8)
    #expect(html.contains("src=\"s001.preview.png\""))
    let rows = try Self.report(output, logs: logs)
    #expect(
      rows.count == 3
        && rows.allSatisfy {
          $0.keys.contains { $0.hasPrefix("volume_ml:") } && $0["preview"]?.hasSuffix(".png") == true
        })
  }
}
