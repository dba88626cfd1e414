import Foundation
import GRDB
import Testing
import _TestSupport

@testable import Cohort

/// Resuming without reading finished outputs: each output's stat key is recorded at commit, and a
/// rerun re-hashes only outputs whose key changed (or every one with `verifyOutputs`). In-process
/// runs of the predict task on small synthetic cases (one network pass each), `--stats` on: three
/// outputs per case.
@Suite("Cohort: resume by output stat keys", .serialized)
struct BatchResumeTests {
  func options(_ input: URL, _ output: URL, verify: Bool = false) -> BatchOptions {
    var options = BatchOptions(
      source: .folder(input, pattern: nil), outputFolder: output, task: "predict", toolVersion: "test")
    options.taskOptions.model = SyntheticCohort.model.path
    options.taskOptions.folds = ["0"]
    options.taskOptions.mirroring = false
    options.taskOptions.threads = 1
    options.statistics = true
    options.verifyOutputs = verify
    return options
  }

  /// A finished cohort of three cases (nine outputs) in `dir/out`.
  func finishedCohort(_ dir: URL) throws -> (input: URL, output: URL, summary: BatchSummary) {
    let input = dir.appendingPathComponent("in")
    let output = dir.appendingPathComponent("out")
    _ = try SyntheticCohort.make(in: input, count: 3)
    let summary = try BatchRun(options: options(input, output)).run()
    #expect(summary.succeeded == 3 && summary.allSucceeded)
    return (input, output, summary)
  }

  /// Replaces one byte in the middle of the file in place: same inode, same size.
  static func flipByte(_ url: URL) throws {
    let handle = try FileHandle(forUpdating: url)
    defer { try? handle.close() }
    let middle = try handle.seekToEnd() / 2
    try handle.seek(toOffset: middle)
    let byte = try #require(try handle.read(upToCount: 1)?.first)
    try handle.seek(toOffset: middle)
    try handle.write(contentsOf: [byte ^ 0xFF])
  }

  static func modificationTime(_ url: URL) -> timespec {
    var s = stat()
    #expect(stat(url.path, &s) == 0)
    return s.st_mtim
  }

  /// `touch -d @SECONDS.NANOSECONDS FILE`: sets the mtime to the nanosecond, as a user would.
  static func touch(_ url: URL, to time: timespec) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["touch", "-d", "@\(time.tv_sec).\(String(format: "%09ld", time.tv_nsec))", url.path]
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
  }

  @Test(
    "each output's stat key is recorded; a rerun over a finished cohort reads no output; --verify-outputs reads every one"
  )
  func rerunReadsNothing() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let (input, output, first) = try finishedCohort(dir)
    let records = try Manifest(url: try #require(first.manifest), create: false).records()
    for record in records.values {
      let stats = record.recordedOutputStat
      #expect(Set(stats.keys) == Set(record.recordedOutputs.map(\.path)) && stats.count == 3)
      for (path, key) in stats { #expect(FileHash.statKey(output.appendingPathComponent(path)) == key, "\(path)") }
    }

    let rerun = try BatchRun(options: options(input, output)).run()
    #expect(rerun.processed == 0 && rerun.alreadyDone == 3 && rerun.outputsHashed == 0)

    // Unreadable output (evidence that nothing is opened; root reads anything, so only as a user).
    let label = output.appendingPathComponent("s000.nii.gz")
    let unprivileged = getuid() != 0
    if unprivileged {
      #expect(chmod(label.path, 0) == 0)
      let blind = try BatchRun(options: options(input, output)).run()
      #expect(blind.processed == 0 && blind.outputsHashed == 0 && blind.allSucceeded)
    }
    let verified = try BatchRun(options: options(input, output, verify: true)).run()
    #expect(verified.allSucceeded)
    if unprivileged {
      // The unreadable map cannot be verified: its case is redone (and the new file is readable).
      #expect(verified.processed == 1 && verified.outputsHashed == 7, "s000 stops at its first output: 1 + 3 + 3")
      #expect(FileManager.default.isReadableFile(atPath: label.path))
    } else {
      #expect(verified.processed == 0 && verified.outputsHashed == 9)
    }
  }

  @Test(
    "an output rewritten in place (same size, new mtime) is re-hashed and its case redone; one only touched is re-hashed once, then trusted"
  )
  func changedMtime() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let (input, output, _) = try finishedCohort(dir)
    let label = output.appendingPathComponent("s001.nii.gz")
    let original = try Data(contentsOf: label)
    var later = Self.modificationTime(label)
    later.tv_sec += 1
    try Self.flipByte(label)
    try Self.touch(label, to: later)
    #expect(try Data(contentsOf: label).count == original.count && (try Data(contentsOf: label)) != original)

    let redo = try BatchRun(options: options(input, output)).run()
    #expect(redo.processed == 1 && redo.alreadyDone == 2 && redo.outputsHashed == 1, "\(redo)")
    #expect(try Data(contentsOf: label) == original, "recomputed")

    // Same bytes, new mtime: re-hashed, found equal, the new key recorded; the next run reads nothing.
    let csv = output.appendingPathComponent("s002.stats.csv")
    var touched = Self.modificationTime(csv)
    touched.tv_sec += 5
    try Self.touch(csv, to: touched)
    let check = try BatchRun(options: options(input, output)).run()
    #expect(check.processed == 0 && check.outputsHashed == 1)
    let quiet = try BatchRun(options: options(input, output)).run()
    #expect(quiet.processed == 0 && quiet.outputsHashed == 0)
  }

  @Test(
    "bytes changed with the size kept and the mtime put back (touch -d) go unnoticed; --verify-outputs finds and redoes them"
  )
  func restoredMtime() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let (input, output, first) = try finishedCohort(dir)
    let label = output.appendingPathComponent("s002.nii.gz")
    let original = try Data(contentsOf: label)
    let recorded = try Manifest(url: try #require(first.manifest), create: false).record("s002")?.recordedOutputStat
    let time = Self.modificationTime(label)
    try Self.flipByte(label)
    try Self.touch(label, to: time)
    #expect(FileHash.statKey(label) == recorded?["s002.nii.gz"], "the stat key cannot tell")

    let trusting = try BatchRun(options: options(input, output)).run()
    #expect(trusting.processed == 0 && trusting.outputsHashed == 0)
    #expect(try Data(contentsOf: label) != original, "the trade-off: not noticed")

    let verified = try BatchRun(options: options(input, output, verify: true)).run()
    #expect(verified.processed == 1 && verified.outputsHashed == 7, "s000 and s001: 3 each; s002 stops at its map")
    #expect(try Data(contentsOf: label) == original, "recomputed")
  }

  @Test(
    "a manifest of the previous schema (no output_stat column) is upgraded: each output hashed once, its key recorded, then trusted"
  )
  func migration() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let (input, output, first) = try finishedCohort(dir)
    let url = try #require(first.manifest)
    // Back to what the previous version wrote: migration v1 only, no output_stat column.
    let queue = try DatabaseQueue(path: url.path)
    try queue.write { db in
      try db.execute(sql: "ALTER TABLE cases DROP COLUMN output_stat")
      try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v2'")
    }
    #expect(try queue.read { db in try db.columns(in: "cases").map(\.name) }.contains("output_stat") == false)
    try queue.close()

    let upgrade = try BatchRun(options: options(input, output)).run()
    #expect(upgrade.processed == 0 && upgrade.alreadyDone == 3 && upgrade.outputsHashed == 9)
    let records = try Manifest(url: url, create: false).records()
    #expect(records.values.allSatisfy { $0.recordedOutputStat.count == 3 && $0.status == .done })
    let next = try BatchRun(options: options(input, output)).run()
    #expect(next.processed == 0 && next.outputsHashed == 0)
  }
}
