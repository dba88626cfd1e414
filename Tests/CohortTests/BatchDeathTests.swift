import Foundation
import GRDB
import Testing
import _TestSupport

@testable import Cohort

/// Who is charged when a process died: rows left `running` by a dead process (set up in a real
/// manifest), a crash note, the limits, the shard lock, a manifest that breaks mid-run, the
/// migration to `v3`. In-process runs of the predict task on small synthetic cases; the versions
/// with real processes and signals are in CommandLineTests/BatchHardeningTests.
@Suite("Cohort: deaths, crashes, lock, manifest failures", .serialized)
struct BatchDeathTests {
  func options(_ input: URL, _ output: URL) -> BatchOptions {
    var options = BatchOptions(
      source: .folder(input, pattern: nil), outputFolder: output, task: "predict", toolVersion: "test")
    options.taskOptions.model = SyntheticCohort.model.path
    options.taskOptions.folds = ["0"]
    options.taskOptions.mirroring = false
    options.taskOptions.threads = 1
    return options
  }

  /// A finished cohort of `count` cases; returns its manifest.
  func finished(_ dir: URL, count: Int) throws -> (input: URL, output: URL, manifest: Manifest) {
    let input = dir.appendingPathComponent("in")
    let output = dir.appendingPathComponent("out")
    _ = try SyntheticCohort.make(in: input, count: count)
    let summary = try BatchRun(options: options(input, output)).run()
    #expect(summary.allSucceeded)
    return (input, output, try Manifest(url: try #require(summary.manifest)))
  }

  /// Sets a row as a process that died would leave it: `running` in `stage`, attempt counted.
  func leaveRunning(_ manifest: Manifest, _ id: String, stage: String?, deaths: Int? = nil) throws {
    var record = try #require(try manifest.record(id))
    record.status = .running
    record.stage = stage
    record.attempts = 1
    record.deaths = deaths
    try manifest.save(record)
  }

  /// The order in which cases finished in a run.
  final class Finished: @unchecked Sendable {
    let lock = NSLock()
    var ids = [String]()
  }

  func run(_ options: BatchOptions) throws -> (BatchSummary, [String]) {
    let order = Finished()
    var hooks = BatchHooks()
    hooks.events = { event in
      if case .finished(let id, _, _, _) = event { order.lock.withLock { order.ids.append(id) } }
    }
    let summary = try BatchRun(options: options, hooks: hooks).run()
    return (summary, order.lock.withLock { order.ids })
  }

  @Test("a death is charged to the case being computed only, not an attempt; that case goes last")
  func deathCharges() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let (input, output, manifest) = try finished(dir, count: 4)
    try leaveRunning(manifest, "s000", stage: "computing")
    try leaveRunning(manifest, "s001", stage: "writing")
    let (summary, order) = try run(options(input, output))
    #expect(summary.processed == 2 && summary.allSucceeded, "\(summary)")
    #expect(order == ["s001", "s000"], "the case with a death is computed after the others: \(order)")
    let records = try manifest.records()
    #expect(records["s000"]?.deaths == 1 && records["s000"]?.attempts == 1, "\(String(describing: records["s000"]))")
    #expect(records["s001"]?.deathCount == 0 && records["s001"]?.attempts == 1)
  }

  @Test("a crash note charges its case an attempt (read ahead: the attempt is added) and no one else")
  func crashNote() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let (input, output, manifest) = try finished(dir, count: 3)
    try leaveRunning(manifest, "s000", stage: "computing")
    var read = try #require(try manifest.record("s001"))
    read.status = .pending
    read.attempts = 0
    try manifest.save(read)
    let note = CrashRecorder.noteURL(for: manifest.url)
    try Data("11\treading\ts001\n".utf8).write(to: note)
    var options = options(input, output)
    options.retries = 1
    let (summary, _) = try run(options)
    let records = try manifest.records()
    #expect(records["s001"]?.status == .quarantined && records["s001"]?.errorKind == "crash", "\(summary)")
    #expect(
      records["s001"]?.error?.contains("signal 11 SIGSEGV") == true
        && records["s001"]?.error?.contains("reading") == true)
    #expect(records["s000"]?.status == .done && records["s000"]?.deathCount == 0 && records["s000"]?.attempts == 1)
    #expect(!FileManager.default.fileExists(atPath: note.path), "the note is consumed")
    #expect(CrashRecorder.read(note) == nil)
  }

  @Test("--max-deaths quarantines with a message that says so; --retry-quarantined runs only those")
  func deathLimit() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let (input, output, manifest) = try finished(dir, count: 3)
    try leaveRunning(manifest, "s002", stage: "computing", deaths: 2)
    var limited = options(input, output)
    limited.maxDeaths = 3
    let (summary, _) = try run(limited)
    #expect(summary.processed == 0 && summary.quarantined.map(\.id) == ["s002"])
    #expect(
      summary.quarantined.first?.error.contains(
        "quarantined after 3 process deaths while computing it (--max-deaths 3)") == true)
    limited.retryQuarantined = true
    let (retry, _) = try run(limited)
    #expect(retry.processed == 1 && retry.allSucceeded)
    #expect(try manifest.record("s002")?.deathCount == 0)
  }

  @Test("a second run of a shard whose lock is held throws .locked naming the holder, before anything else; no probe is left")
  func lock() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    let output = dir.appendingPathComponent("out")
    _ = try SyntheticCohort.make(in: input, count: 1)
    // A probe left by a process killed while checking the folder is reused and removed.
    try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
    let leftover = output.appendingPathComponent(".vibeseg-probe-shard-0-of-1")
    try Data("x".utf8).write(to: leftover)
    try OutputFolderCheck.prepare(output, shard: 0, of: 1)
    #expect(!FileManager.default.fileExists(atPath: leftover.path))
    var held: ShardLock? = try ShardLock(outputFolder: output, shard: 0, of: 1)
    #expect {
      try BatchRun(options: options(input, output)).run()
    } throws: { error in
      guard let e = error as? BatchError else { return false }
      return e.code == .locked && e.message.contains("pid \(getpid())") && e.path == output.path
    }
    #expect(
      !FileManager.default.fileExists(
        atPath: Manifest.folder(in: output).appendingPathComponent("manifest-shard-0-of-1.sqlite").path))
    // Another shard is free; the lock goes with its holder.
    #expect(throws: Never.self) { _ = try ShardLock(outputFolder: output, shard: 0, of: 2) }
    #expect(held != nil)
    held = nil
    #expect(throws: Never.self) { _ = try ShardLock(outputFolder: output, shard: 0, of: 1) }
  }

  @Test("a manifest write that fails mid-run stops the run with .manifestFailure; no case starts after it")
  func manifestFailure() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    let output = dir.appendingPathComponent("out")
    _ = try SyntheticCohort.make(in: input, count: 6)
    let journal = Manifest.folder(in: output).appendingPathComponent("manifest-shard-0-of-1.sqlite-journal")
    var hooks = BatchHooks()
    // As s001 finishes computing, SQLite can no longer create its journal (as on a full disk).
    hooks.crashPoint = { point, id in
      if point == "computed" && id == "s001" {
        try? FileManager.default.createDirectory(at: journal, withIntermediateDirectories: false)
      }
    }
    let started = Finished()
    hooks.events = { if case .finished(let id, _, _, _) = $0 { started.lock.withLock { started.ids.append(id) } } }
    #expect {
      try BatchRun(options: options(input, output), hooks: hooks).run()
    } throws: { error in
      (error as? BatchError)?.code == .manifestFailure && (error as? BatchError)?.path?.hasSuffix(".sqlite") == true
    }
    let written = try FileManager.default.contentsOfDirectory(atPath: output.path).filter { $0.hasSuffix(".nii.gz") }
    #expect(written.sorted() == ["s000.nii.gz"], "s001 is not handed on, nothing after it starts: \(written)")
    try FileManager.default.removeItem(at: journal)
    let rows = try Manifest(url: Manifest.folder(in: output).appendingPathComponent("manifest-shard-0-of-1.sqlite"))
      .records()
    #expect(rows["s000"]?.status == .done && rows["s002"]?.status == .pending && rows["s002"]?.attempts == 0)
  }

  @Test("an output folder that cannot be written fails with .cannotCreateOutput before the model is looked at")
  func unwritableOutput() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    _ = try SyntheticCohort.make(in: input, count: 1)
    // A path below a regular file can never be created, for root too.
    let blocker = dir.appendingPathComponent("file")
    try Data().write(to: blocker)
    var options = options(input, blocker.appendingPathComponent("out"))
    options.taskOptions.model = dir.appendingPathComponent("no-model").path
    #expect {
      try BatchRun(options: options).run()
    } throws: { error in
      (error as? BatchError)?.code == .cannotCreateOutput && (error as? BatchError)?.path?.hasSuffix("file/out") == true
    }
  }

  @Test("migration v3 adds deaths and stage; a v2 manifest's rows read as 0 deaths, before and after")
  func migration() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("manifest-shard-0-of-1.sqlite")
    // A v2 manifest as the previous version wrote it.
    let queue = try DatabaseQueue(path: url.path)
    try queue.write { db in
      try db.execute(
        sql: """
          CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
          INSERT INTO grdb_migrations VALUES ('v1'), ('v2');
          CREATE TABLE cases (case_id TEXT PRIMARY KEY, inputs TEXT NOT NULL, input_stat TEXT, input_sha256 TEXT,
            fingerprint TEXT, model_sha256 TEXT, tool_version TEXT, status TEXT NOT NULL, attempts INTEGER NOT NULL,
            error TEXT, error_kind TEXT, outputs TEXT, warnings TEXT, started_at DOUBLE, finished_at DOUBLE,
            seconds_read DOUBLE, seconds_compute DOUBLE, seconds_write DOUBLE, host TEXT, pid INTEGER,
            updated_at DOUBLE NOT NULL, output_stat TEXT);
          INSERT INTO cases (case_id, inputs, status, attempts, updated_at) VALUES ('a', '[]', 'running', 1, 0);
          """)
    }
    try queue.close()
    let reader = try Manifest(url: url, create: false)
    #expect(try reader.record("a")?.deathCount == 0 && (try reader.record("a")?.stage) == nil)
    let owner = try Manifest(url: url)
    var record = try #require(try owner.record("a"))
    record.deaths = 2
    record.stage = "computing"
    try owner.save(record)
    #expect(try owner.record("a")?.deaths == 2 && (try owner.record("a")?.stage) == "computing")
  }
}
