import Foundation
import Testing
import _TestSupport

/// `vibeseg batch` under crashes, kills and contention, through the built binary with real
/// processes and signals: who is charged when the process dies (a case's own crash versus a kill
/// from outside), the shard lock, `--jobs` workers dying with their parent, an unwritable manifest
/// and an unwritable output folder.
@Suite("vibeseg batch: crashes, deaths, locks", .serialized)
struct BatchHardeningTests {
  typealias Cmd = BatchCommandTests

  /// No backtrace after `abort()` (the test hook's crash): the run ends at once.
  static let crashEnvironment = ["SWIFT_BACKTRACE": "enable=no"]

  static func row(_ rows: [[String: String]], _ id: String) -> [String: String] {
    rows.first { $0["case_id"] == id } ?? [:]
  }

  /// Waits up to `seconds` for `condition`; returns whether it held.
  static func wait(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
      if Date() > deadline { return false }
      Thread.sleep(forTimeInterval: 0.01)
    }
    return true
  }

  /// Whether `pid` is a live process (a zombie counts as dead).
  static func alive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
  }

  /// The pids whose parent is `parent` (from /proc).
  static func children(of parent: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { name -> Int32? in
      guard let pid = Int32(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
      else { return nil }
      let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
      return fields.count > 1 && Int32(fields[1]) == parent ? pid : nil
    }
  }

  @Test(
    "row 13: a case that crashes the process is quarantined after --retries runs; the case being written meanwhile is never charged"
  )
  func crashingCaseAlone() throws {
    let dir = try Fixtures.temporaryDirectory("vibeseg-batch-crashcase")
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    let output = dir.appendingPathComponent("out")
    let ids = try SyntheticCohort.make(in: input, count: 4)
    let crash = Self.crashEnvironment.merging(["VIBESEG_TEST_CRASH_CASE": ids[3]]) { $1 }
    for attempt in 1...2 {
      let r = try Cmd.run(
        Cmd.batchArguments(input, output), environment: crash, logs: dir.appendingPathComponent("run\(attempt)"))
      #expect(r.signalled && r.status == SIGABRT, "run \(attempt) aborts at \(ids[3]): \(r.status) \(r.stderr)")
    }
    let third = try Cmd.run(
      Cmd.batchArguments(input, output), environment: crash, logs: dir.appendingPathComponent("run3"))
    #expect(third.status == 2 && third.stderr.contains("case \(ids[3]) quarantined"), "\(third.stderr)")
    let rows = try Cmd.report(output, logs: dir.appendingPathComponent("report"))
    let crashed = Self.row(rows, ids[3])
    #expect(
      crashed["status"] == "quarantined" && crashed["attempts"] == "2" && crashed["error_kind"] == "crash", "\(crashed)"
    )
    #expect(crashed["error"]?.contains("SIGABRT") == true && crashed["deaths"] == "0", "\(crashed)")
    for id in ids.prefix(3) {
      let r = Self.row(rows, id)
      #expect(r["status"] == "done" && r["attempts"] == "1" && r["deaths"] == "0", "innocent \(id): \(r)")
    }

    // The same with the process killed (SIGKILL) each time ids[3] starts computing, as the issue
    // saw it: ids[2], still being written then, was quarantined with it.
    let killed = dir.appendingPathComponent("killed")
    let kill = ["VIBESEG_TEST_CRASH_POINT": "running-marked@\(ids[3])"]
    let arguments = Cmd.batchArguments(input, killed, ["--max-deaths", "2"])
    for attempt in 1...2 {
      let r = try Cmd.run(arguments, environment: kill, logs: dir.appendingPathComponent("kill\(attempt)"))
      #expect(r.signalled && r.status == SIGKILL, "\(r.stderr)")
    }
    let last = try Cmd.run(arguments, environment: kill, logs: dir.appendingPathComponent("kill3"))
    #expect(last.status == 2 && last.stderr.contains("case \(ids[3]) quarantined"), "\(last.stderr)")
    let after = try Cmd.report(killed, logs: dir.appendingPathComponent("report-killed"))
    #expect(Self.row(after, ids[3])["status"] == "quarantined" && Self.row(after, ids[3])["deaths"] == "2")
    for id in ids.prefix(3) {
      let r = Self.row(after, id)
      #expect(r["status"] == "done" && r["attempts"] == "1" && r["deaths"] == "0", "innocent \(id): \(r)")
    }
  }

  @Test("row 13: a crash (a Swift trap) while a case is read ahead charges that case, not the one being computed")
  func crashWhileReading() throws {
    let dir = try Fixtures.temporaryDirectory("vibeseg-batch-crashread")
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    let output = dir.appendingPathComponent("out")
    let ids = try SyntheticCohort.make(in: input, count: 3)
    let crash = Self.crashEnvironment.merging(
      ["VIBESEG_TEST_CRASH_CASE": "read@\(ids[2])", "VIBESEG_TEST_CRASH_KIND": "trap"]) { $1 }
    let first = try Cmd.run(
      Cmd.batchArguments(input, output), environment: crash, logs: dir.appendingPathComponent("run1"))
    #expect(first.signalled && (first.status == SIGILL || first.status == SIGTRAP), "\(first.status) \(first.stderr)")
    // The signal handler's note: signal, stage, case.
    let note = try String(
      contentsOf: output.appendingPathComponent(".vibeseg/manifest-shard-0-of-1.crash"), encoding: .utf8)
    #expect(note == "\(first.status)\treading\t\(ids[2])\n", "\(note)")
    let resumed = try Cmd.run(Cmd.batchArguments(input, output), logs: dir.appendingPathComponent("run2"))
    #expect(resumed.status == 0, "\(resumed.stderr)")
    let rows = try Cmd.report(output, logs: dir.appendingPathComponent("report"))
    // ids[1] was being computed while ids[2] was read: ids[1] is not charged.
    #expect(Self.row(rows, ids[1])["attempts"] == "1" && Self.row(rows, ids[1])["deaths"] == "0", "\(rows)")
    #expect(Self.row(rows, ids[2])["attempts"] == "2", "the crash was ids[2]'s: \(Self.row(rows, ids[2]))")
  }

  @Test("row 14: a fatal signal sent from outside (kill -SEGV) is a death of unseen cause, not a crash of the case")
  func signalFromOutside() throws {
    let dir = try Fixtures.temporaryDirectory("vibeseg-batch-segv")
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    let output = dir.appendingPathComponent("out")
    let ids = try SyntheticCohort.make(in: input, count: 10)
    let arguments = Cmd.batchArguments(input, output, ["--retries", "1"])
    let running = try Cmd.Running(
      arguments, environment: Self.crashEnvironment, logs: dir.appendingPathComponent("run"))
    #expect(
      Self.wait(seconds: 60) {
        FileManager.default.fileExists(atPath: output.appendingPathComponent("s001.nii.gz").path)
      })
    kill(running.process.processIdentifier, SIGSEGV)
    let result = running.finish()
    try #require(result.signalled && result.status == SIGSEGV, "killed part-way: \(result.stdout)")
    let rerun = try Cmd.run(arguments, logs: dir.appendingPathComponent("rerun"))
    #expect(rerun.status == 0, "with --retries 1 a charged attempt would quarantine: \(rerun.stderr)")
    let rows = try Cmd.report(output, logs: dir.appendingPathComponent("report"))
    #expect(rows.count == ids.count && rows.allSatisfy { $0["status"] == "done" && $0["attempts"] == "1" }, "\(rows)")
    #expect(rows.allSatisfy { $0["error_kind"] != "crash" })
  }

  @Test(
    "row 14: deaths of unseen cause count apart from attempts; --max-deaths quarantines, --retry-quarantined tries again without --overwrite"
  )
  func deathsAndRetryQuarantined() throws {
    let dir = try Fixtures.temporaryDirectory("vibeseg-batch-deaths")
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    let output = dir.appendingPathComponent("out")
    let ids = try SyntheticCohort.make(in: input, count: 4)
    // SIGKILL as ids[1] starts computing: a kill from outside, three times.
    let kill = ["VIBESEG_TEST_CRASH_POINT": "running-marked@\(ids[1])"]
    for run in 1...2 {
      let r = try Cmd.run(
        Cmd.batchArguments(input, output, ["--retries", "1"]), environment: kill,
        logs: dir.appendingPathComponent("kill\(run)"))
      #expect(r.signalled && r.status == SIGKILL, "\(r.stderr)")
    }
    // Deaths are not attempts: with --retries 1 the case was computed again after its first death
    // (not quarantined), after the other cases; it died computing again (charged by the next run).
    var rows = try Cmd.report(output, logs: dir.appendingPathComponent("report1"))
    let killed = Self.row(rows, ids[1])
    #expect(killed["status"] == "running" && killed["deaths"] == "1" && killed["attempts"] == "1", "\(killed)")
    // The other cases were done before it (a suspect starts when no other case is being written).
    for id in [ids[0], ids[2], ids[3]] {
      let r = Self.row(rows, id)
      #expect(r["status"] == "done" && r["deaths"] == "0" && r["attempts"] == "1", "\(r)")
    }
    let third = try Cmd.run(
      Cmd.batchArguments(input, output, ["--max-deaths", "3"]), environment: kill,
      logs: dir.appendingPathComponent("kill3"))
    #expect(third.signalled)
    let limit = try Cmd.run(
      Cmd.batchArguments(input, output, ["--max-deaths", "3"]), logs: dir.appendingPathComponent("limit"))
    #expect(limit.status == 2 && limit.stderr.contains("quarantined after 3 process deaths"), "\(limit.stderr)")
    rows = try Cmd.report(output, logs: dir.appendingPathComponent("report2"))
    #expect(Self.row(rows, ids[1])["status"] == "quarantined" && Self.row(rows, ids[1])["attempts"] == "0")
    #expect(rows.filter { $0["status"] == "done" }.count == 3, "\(rows)")
    let retry = try Cmd.run(
      Cmd.batchArguments(input, output, ["--retry-quarantined"]), logs: dir.appendingPathComponent("retry"))
    #expect(
      retry.status == 0 && retry.stdout.hasPrefix("processed 1,"),
      "only the quarantined case: \(retry.stdout)\(retry.stderr)")
    rows = try Cmd.report(output, logs: dir.appendingPathComponent("report3"))
    #expect(rows.allSatisfy { $0["status"] == "done" && $0["attempts"] == "1" }, "\(rows)")
  }

  @Test("row 15: the same shard started twice at once: the second exits 75 at once, the first finishes untouched")
  func shardLock() throws {
    let dir = try Fixtures.temporaryDirectory("vibeseg-batch-lock")
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    let output = dir.appendingPathComponent("out")
    let ids = try SyntheticCohort.make(in: input, count: 16)
    let first = try Cmd.Running(Cmd.batchArguments(input, output), logs: dir.appendingPathComponent("first"))
    let manifest = output.appendingPathComponent(".vibeseg/manifest-shard-0-of-1.sqlite")
    #expect(Self.wait(seconds: 60) { FileManager.default.fileExists(atPath: manifest.path) })
    let started = Date()
    let second = try Cmd.run(Cmd.batchArguments(input, output), logs: dir.appendingPathComponent("second"))
    let seconds = Date().timeIntervalSince(started)
    try #require(first.process.isRunning, "the first run must still be running for this test to mean anything")
    #expect(second.status == 75, "\(second.status) \(second.stderr)")
    #expect(
      second.stderr.contains("another vibeseg batch (pid \(first.process.processIdentifier)) is running shard 0/1"),
      "\(second.stderr)")
    #expect(second.stderr.contains(output.path), "the message names the folder: \(second.stderr)")
    #expect(seconds < 10, "exits at once (\(seconds) s)")
    let result = first.finish()
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.hasPrefix("processed \(ids.count),"), "\(result.stdout)")
    let rows = try Cmd.report(output, logs: dir.appendingPathComponent("report"))
    #expect(rows.allSatisfy { $0["status"] == "done" && $0["attempts"] == "1" }, "\(rows)")
    Cmd.expectNoTornOutputs(output, context: "after the refused second run")
    // --jobs takes its shard's lock too: a second --jobs run of the same shard is refused.
    let jobs = try Cmd.Running(
      Cmd.batchArguments(input, output, ["--jobs", "2", "--overwrite"]), logs: dir.appendingPathComponent("jobs1"))
    let lockFile = output.appendingPathComponent(".vibeseg/lock-shard-0-of-2")
    #expect(Self.wait(seconds: 60) { (try? String(contentsOf: lockFile, encoding: .utf8))?.isEmpty == false })
    let twice = try Cmd.run(
      Cmd.batchArguments(input, output, ["--jobs", "2"]), logs: dir.appendingPathComponent("jobs2"))
    if jobs.process.isRunning { #expect(twice.status == 75, "\(twice.stderr)") }
    #expect(jobs.finish().status == 0)
  }

  @Test("row 16: kill -9 of the --jobs parent takes its workers down at once; the rerun resumes their cases cleanly")
  func workersDieWithParent() throws {
    let dir = try Fixtures.temporaryDirectory("vibeseg-batch-orphans")
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    let output = dir.appendingPathComponent("out")
    let ids = try SyntheticCohort.make(in: input, count: 24)
    let parent = try Cmd.Running(
      Cmd.batchArguments(input, output, ["--jobs", "2"]), logs: dir.appendingPathComponent("parent"))
    let pid = parent.process.processIdentifier
    var workers = [Int32]()
    #expect(
      Self.wait(seconds: 60) {
        workers = Self.children(of: pid)
        return workers.count == 2
          && FileManager.default.fileExists(atPath: output.appendingPathComponent("s000.nii.gz").path)
      })
    try #require(workers.count == 2 && workers.allSatisfy(Self.alive), "two live workers before the kill")
    kill(pid, SIGKILL)
    _ = parent.finish()
    // The kernel kills them as the parent goes (milliseconds); an orphan would compute on for seconds.
    let gone = Self.wait(seconds: 1) { !workers.contains(where: Self.alive) }
    #expect(gone, "workers still running after their parent was killed: \(workers.filter(Self.alive))")
    for worker in workers where Self.alive(worker) { kill(worker, SIGKILL) }
    let done = try Cmd.report(output, logs: dir.appendingPathComponent("report0")).filter { $0["status"] == "done" }
    #expect(done.count < ids.count, "killed part-way (\(done.count) done)")

    let resumed = try Cmd.run(
      Cmd.batchArguments(input, output, ["--jobs", "2"]), logs: dir.appendingPathComponent("resumed"))
    #expect(resumed.status == 0, "\(resumed.stderr)")
    let rows = try Cmd.report(output, logs: dir.appendingPathComponent("report"))
    #expect(rows.count == ids.count && rows.allSatisfy { $0["status"] == "done" }, "\(rows)")
    #expect(rows.allSatisfy { $0["attempts"] == "1" && Int($0["deaths"] ?? "9")! <= 1 }, "\(rows)")
    Cmd.expectNoTornOutputs(output, context: "after the resume")
    #expect(Cmd.files(output).filter { $0.hasSuffix(".nii.gz") }.count == ids.count)
    #expect(Cmd.files(output).allSatisfy { !$0.hasPrefix(".") }, "no staging files: \(Cmd.files(output))")
  }

  @Test("row 17: a manifest that cannot be written stops the run at once with 74; nothing more is computed")
  func manifestUnwritable() throws {
    let dir = try Fixtures.temporaryDirectory("vibeseg-batch-manifestfull")
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    let output = dir.appendingPathComponent("out")
    let ids = try SyntheticCohort.make(in: input, count: 16)
    let running = try Cmd.Running(Cmd.batchArguments(input, output), logs: dir.appendingPathComponent("run"))
    #expect(
      Self.wait(seconds: 60) {
        FileManager.default.fileExists(atPath: output.appendingPathComponent("s001.nii.gz").path)
      })
    // A folder where SQLite must create its rollback journal: every write transaction fails from
    // now on (as on a full disk), for root too.
    let journal = output.appendingPathComponent(".vibeseg/manifest-shard-0-of-1.sqlite-journal")
    // (The journal exists for a few milliseconds during each transaction: try again then.)
    #expect(
      Self.wait(seconds: 5) {
        (try? FileManager.default.createDirectory(at: journal, withIntermediateDirectories: false)) != nil
      })
    let blocked = Cmd.files(output).filter { $0.hasSuffix(".nii.gz") }.count
    try #require(running.process.isRunning, "the run must still be running when its manifest breaks")
    let result = running.finish()
    #expect(result.status == 74, "\(result.status) \(result.stderr)")
    #expect(result.stderr.contains("manifest-shard-0-of-1.sqlite"), "names the manifest: \(result.stderr)")
    let written = Cmd.files(output).filter { $0.hasSuffix(".nii.gz") }.count
    #expect(written <= blocked + 2, "at most the cases in flight finish: \(blocked) then \(written) of \(ids.count)")
    // Once the disk is fixed, the rerun finishes the cohort.
    try FileManager.default.removeItem(at: journal)
    let rerun = try Cmd.run(Cmd.batchArguments(input, output), logs: dir.appendingPathComponent("rerun"))
    #expect(rerun.status == 0, "\(rerun.stderr)")
    let rows = try Cmd.report(output, logs: dir.appendingPathComponent("report"))
    #expect(rows.count == ids.count && rows.allSatisfy { $0["status"] == "done" }, "\(rows)")
  }

  @Test("row 18: an unwritable output folder ends the run with 73 naming it, before the model is loaded")
  func outputFolderUnwritable() throws {
    let dir = try Fixtures.temporaryDirectory("vibeseg-batch-readonly")
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    let output = dir.appendingPathComponent("out")
    _ = try SyntheticCohort.make(in: input, count: 2)
    // A folder that was used before (its .vibeseg is there and writable), now read-only itself.
    try FileManager.default.createDirectory(
      at: output.appendingPathComponent(".vibeseg"), withIntermediateDirectories: true)
    let root = getuid() == 0
    var target = output
    if root {
      // Root writes through permissions; the immutable attribute stops it. Where the file
      // system has no such attribute, /proc (which takes no new files, even from root) serves.
      let chattr = Process()
      chattr.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      chattr.arguments = ["chattr", "+i", output.path]
      chattr.standardError = FileHandle.nullDevice
      try chattr.run()
      chattr.waitUntilExit()
      if chattr.terminationStatus != 0 { target = URL(fileURLWithPath: "/proc") }
    } else {
      #expect(chmod(output.path, 0o555) == 0)
    }
    defer {
      if root {
        let undo = Process()
        undo.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        undo.arguments = ["chattr", "-i", output.path]
        try? undo.run()
        undo.waitUntilExit()
      } else {
        chmod(output.path, 0o755)
      }
    }
    // The model folder does not exist: the folder check must come first (else exit 69).
    let missingModel = dir.appendingPathComponent("no-model").path
    let r = try Cmd.run(
      ["batch", input.path, "-o", target.path, "--model", missingModel], logs: dir.appendingPathComponent("run"))
    #expect(r.status == 73, "\(r.status) \(r.stderr)")
    #expect(r.stderr.contains("\(target.path): the output folder is not writable"), "\(r.stderr)")
    let full = try Cmd.run(Cmd.batchArguments(input, target), logs: dir.appendingPathComponent("full"))
    #expect(full.status == 73 && full.stdout.isEmpty, "nothing computed: \(full.stdout) \(full.stderr)")
  }
}
