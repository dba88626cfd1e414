import Foundation
import GRDB

/// A case's state in the manifest.
public enum CaseStatus: String, Sendable, Codable, CaseIterable {
  /// Known, not started (or abandoned cleanly by SIGINT/SIGTERM).
  case pending
  /// Started and not finished. `ManifestRecord.stage` says whether the case was being computed
  /// or its outputs written; after the process died the next run decides from it and from the
  /// shard's crash note whom to charge (see `BatchRun`).
  case running
  /// Outputs committed; their hashes are recorded.
  case done
  /// The case failed; `error` says why. Input errors are final for those input bytes; other errors
  /// were retried up to `--retries` attempts.
  case failed
  /// The case crashed the process or failed transiently `--retries` times, or was the case being
  /// computed at `--max-deaths` process deaths: not retried again unless `--retry-quarantined` or
  /// `--overwrite`.
  case quarantined
}

/// One output file of a case as recorded after its commit.
public struct RecordedOutput: Sendable, Codable, Equatable {
  /// `OutputRole.name`.
  public var role: String
  /// Relative to the output folder.
  public var path: String
  public var sha256: String
  public var bytes: Int
}

/// One row of the manifest (`cases` table): everything known about a case of this shard.
public struct ManifestRecord: Sendable, Codable, Equatable, FetchableRecord, PersistableRecord {
  public static let databaseTableName = "cases"

  public var caseID: String
  /// JSON array of the input paths, channel order.
  public var inputs: String
  /// `FileHash.statKey` of each input joined by `|`, when `inputSHA256` was computed.
  public var inputStat: String?
  /// SHA-256 over the inputs' SHA-256s (hex, one per line); for one input, that file's SHA-256.
  public var inputSHA256: String?
  /// Canonical JSON (sorted keys) of the fingerprint the outputs were made with: tool version,
  /// task, model sha256, output-affecting flags.
  public var fingerprint: String?
  public var modelSHA256: String?
  public var toolVersion: String?
  public var status: CaseStatus
  /// Attempts that failed by themselves or are under way: errors the case raised and crashes of
  /// the process it caused (a fatal signal raised while it was computed or read). Limit `--retries`.
  public var attempts: Int
  /// Process deaths with no sign of the cause (SIGKILL, the OOM killer, power loss) while this
  /// case was being computed: not attempts, since a kill from outside is no fault of the case.
  /// Limit `--max-deaths`. nil in rows of manifests from before migration `v3` (read as 0).
  public var deaths: Int?
  /// While `running`: `computing` (the network runs on it) or `writing` (its outputs are being
  /// committed); nil otherwise, and in rows of manifests from before `v3`.
  public var stage: String?
  public var error: String?
  /// `input` (final for these inputs), `transient` (retried), `crash` (the case crashed the
  /// process), `death` (the process died while computing it, cause unknown).
  public var errorKind: String?
  /// JSON array of `RecordedOutput`.
  public var outputs: String?
  /// JSON object: each recorded output's path (as in `outputs`) -> its `FileHash.statKey`
  /// (`size:mtime_ns:inode:device`) when it was committed or last verified. A resume re-hashes
  /// an output only when its key differs (or `--verify-outputs`). nil in rows of manifests from
  /// before this column (migration `v2`) and for cases not done: every output is hashed then.
  public var outputStat: String?
  public var warnings: String?
  /// Unix times (seconds) and durations of the last attempt.
  public var startedAt: Double?
  public var finishedAt: Double?
  public var secondsRead: Double?
  public var secondsCompute: Double?
  public var secondsWrite: Double?
  public var host: String?
  public var pid: Int?
  public var updatedAt: Double

  enum CodingKeys: String, CodingKey {
    case caseID = "case_id"
    case inputs
    case inputStat = "input_stat"
    case inputSHA256 = "input_sha256"
    case fingerprint
    case modelSHA256 = "model_sha256"
    case toolVersion = "tool_version"
    case status, attempts, deaths, stage, error
    case errorKind = "error_kind"
    case outputs
    case outputStat = "output_stat"
    case warnings
    case startedAt = "started_at"
    case finishedAt = "finished_at"
    case secondsRead = "seconds_read"
    case secondsCompute = "seconds_compute"
    case secondsWrite = "seconds_write"
    case host, pid
    case updatedAt = "updated_at"
  }

  public init(caseID: String, inputs: [URL]) {
    self.caseID = caseID
    self.inputs = Self.json(inputs.map(\.path))
    status = .pending
    attempts = 0
    updatedAt = Date().timeIntervalSince1970
  }

  /// `deaths`, 0 when not recorded.
  public var deathCount: Int { deaths ?? 0 }

  /// The recorded outputs (empty when none or unreadable).
  public var recordedOutputs: [RecordedOutput] {
    guard let outputs, let data = outputs.data(using: .utf8) else { return [] }
    return (try? JSONDecoder().decode([RecordedOutput].self, from: data)) ?? []
  }

  /// `outputStat` decoded (empty when none or unreadable).
  public var recordedOutputStat: [String: String] {
    guard let outputStat, let data = outputStat.data(using: .utf8) else { return [:] }
    return (try? JSONDecoder().decode([String: String].self, from: data)) ?? [:]
  }

  static func json<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
  }
}

/// The manifest of one shard of a cohort run: an SQLite database (GRDB) at
/// `OUT_DIR/.vibeseg/manifest-shard-I-of-N.sqlite`, one row per case.
///
/// Schema: GRDB migrations `v1` (the `cases` table), `v2` (column `output_stat`) and `v3` (columns
/// `deaths` and `stage`), applied in
/// order when the shard's own process opens its manifest (`create: true`), so manifests of earlier versions are upgraded in place. An
/// earlier binary can still open an upgraded manifest (it ignores the column, and a stale key it
/// leaves behind only makes the next run re-hash that output).
///
/// Durability: rollback journal with `synchronous = FULL`: every update is one transaction that
/// is on disk when `update` returns; a `kill -9` at any moment leaves either the old or the new row
/// (SQLite rolls a hot journal back on the next open), never a torn database. One writer per file
/// (one process per shard, enforced by `ShardLock`); readers (`batch-report`) wait up to 10 s for
/// a lock. A write that fails (disk full, I/O error) throws `BatchError.manifestFailure`, and
/// `BatchRun` stops the run on it.
public final class Manifest: Sendable {
  public let url: URL
  let queue: DatabaseQueue

  /// `OUT_DIR/.vibeseg`.
  public static func folder(in outputFolder: URL) -> URL { outputFolder.appendingPathComponent(".vibeseg") }

  /// The file name of shard `index` of `count`: `manifest-shard-<index>-of-<count>.sqlite`.
  public static func fileName(shard index: Int, of count: Int) -> String {
    "manifest-shard-\(index)-of-\(count).sqlite"
  }

  /// Every manifest file in `OUT_DIR/.vibeseg`, sorted by name.
  public static func all(in outputFolder: URL) -> [URL] {
    let folder = Self.folder(in: outputFolder)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.filter { $0.hasPrefix("manifest-") && $0.hasSuffix(".sqlite") }.sorted()
      .map { folder.appendingPathComponent($0) }
  }

  /// Opens (creating when `create`) the manifest at `url`.
  ///
  /// - Throws: `BatchError.manifestFailure` (not a database, locked, schema from a newer version).
  public init(url: URL, create: Bool = true) throws {
    self.url = url
    if !create && !FileManager.default.fileExists(atPath: url.path) {
      throw BatchError(.missingInput, "no manifest here", path: url.path)
    }
    var configuration = Configuration()
    configuration.busyMode = .timeout(10)
    configuration.label = "vibeseg-manifest"
    configuration.prepareDatabase { db in
      try db.execute(sql: "PRAGMA journal_mode = DELETE")
      try db.execute(sql: "PRAGMA synchronous = FULL")
    }
    do {
      queue = try DatabaseQueue(path: url.path, configuration: configuration)
      var migrator = DatabaseMigrator()
      migrator.registerMigration("v1") { db in
        try db.create(table: "cases") { t in
          t.primaryKey("case_id", .text)
          t.column("inputs", .text).notNull()
          t.column("input_stat", .text)
          t.column("input_sha256", .text)
          t.column("fingerprint", .text)
          t.column("model_sha256", .text)
          t.column("tool_version", .text)
          t.column("status", .text).notNull()
          t.column("attempts", .integer).notNull()
          t.column("error", .text)
          t.column("error_kind", .text)
          t.column("outputs", .text)
          t.column("warnings", .text)
          t.column("started_at", .double)
          t.column("finished_at", .double)
          t.column("seconds_read", .double)
          t.column("seconds_compute", .double)
          t.column("seconds_write", .double)
          t.column("host", .text)
          t.column("pid", .integer)
          t.column("updated_at", .double).notNull()
        }
      }
      // v2: the stat key of each output, so that a resume re-hashes only outputs that changed.
      // Rows of v1 manifests get NULL: their outputs are hashed once and the keys recorded.
      migrator.registerMigration("v2") { db in
        try db.alter(table: "cases") { t in t.add(column: "output_stat", .text) }
      }
      // v3: process deaths counted apart from attempts, and which stage a running case is in, so
      // that a death is charged only to the case being computed (not to one being written).
      migrator.registerMigration("v3") { db in
        try db.alter(table: "cases") { t in
          t.add(column: "deaths", .integer)
          t.add(column: "stage", .text)
        }
      }
      // Only the shard's own process (create: true) migrates: readers of other shards' manifests
      // (adoption, batch-report) may open a file while its owner creates or upgrades it, and two
      // processes applying the same migration at once would collide. A reader of an older schema
      // sees the missing columns as nil.
      if create { try migrator.migrate(queue) }
    } catch let error as BatchError {
      throw error
    } catch {
      throw BatchError(
        .manifestFailure, "cannot open the manifest database: \(error)", path: url.path,
        underlying: error)
    }
  }

  /// All rows, by case id.
  public func records() throws -> [String: ManifestRecord] {
    try guarded { try queue.read { db in try ManifestRecord.fetchAll(db) } }
      .reduce(into: [:]) { $0[$1.caseID] = $1 }
  }

  public func record(_ caseID: String) throws -> ManifestRecord? {
    try guarded { try queue.read { db in try ManifestRecord.fetchOne(db, key: caseID) } }
  }

  /// Inserts `pending` rows for the cases that have none (one transaction).
  public func addPending(_ cases: [CohortCase]) throws {
    try guarded {
      try queue.write { db in
        for item in cases where try ManifestRecord.fetchOne(db, key: item.id) == nil {
          try ManifestRecord(caseID: item.id, inputs: item.inputs).insert(db)
        }
      }
    }
  }

  /// Writes `record` (insert or replace) in one durable transaction. `beforeCommit` runs inside
  /// the transaction after the row is written (a test hook for crashes during manifest updates).
  public func save(_ record: ManifestRecord, beforeCommit: () -> Void = {}) throws {
    var record = record
    record.updatedAt = Date().timeIntervalSince1970
    try guarded {
      try queue.write { db in
        try record.save(db)
        beforeCommit()
      }
    }
  }

  private func guarded<T>(_ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch {
      throw BatchError(
        .manifestFailure, "manifest database error: \(error)", path: url.path, underlying: error)
    }
  }
}
