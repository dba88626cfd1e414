import Foundation
import NiftiIO
import VibeSegKit
import VolumeCore

/// What `vibeseg batch` was asked to do.
public struct BatchOptions: Sendable {
  public var source: CaseSource
  public var outputFolder: URL
  /// `--task`: a kind registered in `CohortTasks`.
  public var task: String
  public var taskOptions = CohortTaskOptions()
  /// `--shard I/N` (0-based I).
  public var shardIndex = 0
  public var shardCount = 1
  /// `--retries`: attempts a case gets before it is quarantined: errors it raised (other than
  /// input errors, final at once) and crashes of the process it caused (`CrashRecorder`).
  public var retries = 2
  /// `--max-deaths`: process deaths of unknown cause (SIGKILL, OOM killer, power loss) while a case
  /// was the one being computed, before it is quarantined. Kept apart from `retries` because a kill
  /// from outside is no fault of the case; the limit only stops a case that takes the process down
  /// every time (e.g. by exhausting memory) from being retried forever.
  public var maxDeaths = 10
  /// `--retry-quarantined`: quarantined cases are tried again (their attempts and deaths reset),
  /// without redoing anything else.
  public var retryQuarantined = false
  /// Install `CrashRecorder` for the run (the CLI does; in-process tests leave the process alone).
  public var recordCrashes = false
  /// `--stats`: per-case statistics next to each label map.
  public var statistics = false
  /// `--preview`: a per-case QC picture.
  public var preview = false
  /// `--overwrite`: redo every case of the shard, failed and quarantined ones included.
  public var overwrite = false
  /// `--verify-outputs`: on resume, re-hash every recorded output instead of trusting an
  /// unchanged stat key (see `BatchRun`).
  public var verifyOutputs = false
  /// Recorded in the manifest and part of the fingerprint.
  public var toolVersion: String

  public init(source: CaseSource, outputFolder: URL, task: String, toolVersion: String) {
    self.source = source
    self.outputFolder = outputFolder
    self.task = task
    self.toolVersion = toolVersion
  }
}

/// Progress of a run, reported as it happens (from the main and the writer thread).
public enum BatchEvent: Sendable {
  /// The plan: `total` cases in this shard, `toDo` to compute, the rest already settled;
  /// `outputsHashed` recorded outputs were read to re-hash them while planning.
  case planned(total: Int, toDo: Int, alreadyDone: Int, alreadyFailed: Int, quarantined: Int, outputsHashed: Int)
  /// A case ended in this run (`done`, `failed`, `quarantined`, or `pending` when a transient
  /// error will be retried by a later run).
  case finished(id: String, status: CaseStatus, error: String?, seconds: Double)
  case warning(String)
}

/// Test hooks of a run; the binary honours them only through `VIBESEG_TEST_CRASH_POINT` (SIGKILL:
/// a kill from outside) and `VIBESEG_TEST_CRASH_CASE` (`abort()` or a trap: the case's own crash).
public struct BatchHooks: Sendable {
  /// Called at named points with the case id: `running-marked` (row says running, before
  /// compute), `computed` (before handing to the writer), `output-staged` (an output complete
  /// under its staging name, before the rename), `output-renamed` (after one rename, before the
  /// manifest records the case), `manifest-update` (inside the manifest transaction, before commit),
  /// `read` (on the prefetch thread, as the case starts being read ahead).
  public var crashPoint: @Sendable (_ point: String, _ caseID: String) -> Void = { _, _ in }
  public var events: @Sendable (BatchEvent) -> Void = { _ in }
  public init() {}
}

/// How a run ended.
public struct BatchSummary: Sendable {
  /// Cases of this shard.
  public var total = 0
  /// Cases computed (attempted) by this run.
  public var processed = 0
  /// Cases that ended `done` in this run, and those skipped as already done.
  public var succeeded = 0
  public var alreadyDone = 0
  /// Recorded outputs re-hashed while planning (their stat key differed from the recorded one,
  /// none was recorded, or `--verify-outputs`); 0 for a rerun over an untouched finished cohort.
  public var outputsHashed = 0
  /// Every case of the shard now `failed` / `quarantined`, with its error (this run or earlier).
  public var failed: [(id: String, error: String)] = []
  public var quarantined: [(id: String, error: String)] = []
  /// Cases left `pending` (interrupted, or a transient error to retry).
  public var remaining = 0
  /// The signal that stopped the run, if any.
  public var interruptedBy: Int32?
  public var manifest: URL?

  /// True when every case of the shard is done.
  public var allSucceeded: Bool { failed.isEmpty && quarantined.isEmpty && remaining == 0 && interruptedBy == nil }
}

/// A cohort run (`vibeseg batch`): finds the cases, takes this shard's, skips those already done
/// with the current fingerprint, computes the rest with the model loaded once, and records every
/// step in the shard's `Manifest`.
///
/// Per case: the manifest row is set to `running` (attempts + 1) before any work; outputs are
/// written under staging names in their destination folder (`.batch-partial-<pid>.<name>`, each
/// written through NiftiIO's `AtomicFile`: temporary file, fsync, rename), hashed, renamed into
/// place, the folders fsynced, and only then is the row set to `done` with every output's path and
/// SHA-256. A crash anywhere leaves final names either absent, or complete but unrecorded (redone),
/// or complete and recorded. Stale staging files of this shard's cases are removed at start.
///
/// Resume (`done` is trusted only if all hold): the recorded fingerprint (tool version, task, model
/// sha256, output flags, the task's per-case facts) equals the current one; the inputs' SHA-256
/// equals the recorded one (the recorded hash is reused when every input's size, mtime, inode and
/// device are unchanged); every recorded output exists and its SHA-256 equals the recorded one.
/// Outputs get the same shortcut as inputs: each output's stat key (`FileHash.statKey`:
/// `size:mtime_ns:inode:device`) is recorded when it is committed (`ManifestRecord.outputStat`),
/// and an output is re-hashed only when its key differs or none was recorded (manifests of
/// earlier versions; the key is recorded then). So a rerun over a finished cohort reads no output.
/// The trade-off: bytes changed in place with the size kept and the mtime put back (`touch -d`,
/// some restore tools, silent bit rot) go unnoticed; `verifyOutputs` re-hashes every output.
///
/// Before anything else: the output folder is proved writable (`OutputFolderCheck`, exit 73) and
/// the shard's lock taken (`ShardLock`, exit 75 when another process runs this shard here).
///
/// Failures and deaths are counted apart. A case's `attempts` (limit `retries`) count what the
/// case did by itself: errors it raised, and crashes of the process it caused (a fatal signal the
/// process raised on itself while computing, reading or writing that case, which `CrashRecorder`
/// notes for the next run). A row left `running` with no crash note means the process died of a
/// cause it could not see (SIGKILL from a user or scheduler, the OOM killer, power loss): that is
/// no attempt; the case is charged one `death` only if it was the one being computed (`stage`
/// `computing`; never a case being read ahead or written), and quarantined after `maxDeaths`
/// deaths, the limit that keeps a case which takes the process down every time (memory) from
/// looping forever. Such suspects (deaths, or a crash charged) are computed after the rest of the
/// shard, are not read ahead, and start only when no other case's outputs are still being written.
/// A `failed` input
/// error is final for those input bytes and that fingerprint; `--retry-quarantined` tries the
/// quarantined cases again, `--overwrite` redoes everything.
///
/// A manifest write that fails (disk full, I/O error) stops the run: the case being computed is
/// the last, no further case starts, and `run()` throws `BatchError.manifestFailure` (exit 74):
/// nothing is computed that cannot be recorded. A case `done` in another shard count's manifest in the same
/// folder (re-sharded run) is adopted after the same checks.
///
/// Pipeline: a prefetch thread reads case i+1 while case i computes on the calling thread and a
/// writer thread writes case i-1: at most three cases in memory.
///
/// Signals: `interrupt(signal:)` (called by the CLI from its signal handler queue) stops taking
/// cases, lets an output commit in progress finish, resets the case being computed to `pending`
/// without counting the attempt, and returns; the caller then ends the process (130 / 143).
public final class BatchRun: @unchecked Sendable {
  public let options: BatchOptions
  public let hooks: BatchHooks
  private let lock = NSLock()
  private var stopping = false
  /// A manifest write failed: the run stops at once and `run()` throws this (exit 74).
  private var fatal: (any Error)?
  private var computing: ManifestRecord?
  /// The crash note the previous process of this shard left (read while planning).
  var crashNote: CrashRecorder.Note?
  /// Held for the run (`ShardLock`).
  private var shardLock: ShardLock?
  /// Commits handed to the writer and not finished.
  private var inFlight = 0
  private var summary = BatchSummary()
  var manifest: Manifest?
  private let writerQueue = DispatchQueue(label: "vibeseg.batch.writer")
  private let writeSlot = DispatchSemaphore(value: 1)
  private let readerQueue = DispatchQueue(label: "vibeseg.batch.reader")

  public init(options: BatchOptions, hooks: BatchHooks = BatchHooks()) {
    self.options = options
    self.hooks = hooks
  }

  /// Runs the shard to the end. Per-case failures are in the summary and the manifest.
  ///
  /// - Throws: `BatchError` (cases not found, output folder unusable, manifest unusable, bad
  ///   shard), the task's errors when it cannot start (`PlansError`, `ModelZooError`, ...).
  public func run() throws -> BatchSummary {
    guard options.shardCount >= 1, (0..<options.shardCount).contains(options.shardIndex) else {
      throw BatchError(.invalidArgument, "--shard \(options.shardIndex)/\(options.shardCount): need 0 <= I < N")
    }
    // Before any case is listed or model loaded: the output folder must be writable, and no other
    // process may be running this shard into it.
    try OutputFolderCheck.prepare(options.outputFolder, shard: options.shardIndex, of: options.shardCount)
    let shardLock = try ShardLock(outputFolder: options.outputFolder, shard: options.shardIndex, of: options.shardCount)
    lock.withLock { self.shardLock = shardLock }
    let task = try CohortTasks.make(options.task, options: options.taskOptions)
    return try run(task)
  }

  private func run<T: CohortTask>(_ task: T) throws -> BatchSummary {
    let all = try CaseDiscovery.cases(from: options.source, segmentations: T.readsSegmentations)
    let cases = CaseDiscovery.shard(all, index: options.shardIndex, count: options.shardCount)
    let layout = OutputLayout(root: options.outputFolder, modelLabel: task.modelLabel)
    if case .bids = options.source, T.kind == CombineTask.kind {
      throw BatchError(
        .invalidArgument,
        "--task combine needs each subject's contrasts in one case: give a CSV list (columns water, in_phase, "
          + "opposed_phase) or a folder with nnU-Net names (_0000 water, _0001 in-phase, _0002 opposed-phase), not --bids",
        path: CaseDiscovery.sourcePath(options.source))
    }
    let roles = plannedRoles(producesLabelMap: task.modelLabel != nil) + task.extraRoles
    try checkOutputNames(cases, layout: layout, roles: roles)
    if options.preview && T.readsSegmentations, let item = cases.first(where: { $0.inputs.count < 2 }) {
      throw BatchError(
        .invalidArgument, "--preview with --task stats needs an image to draw on: give it as channel_1 in a CSV list",
        path: item.inputs[0].path)
    }
    let metaFolder = Manifest.folder(in: options.outputFolder)
    let manifestURL = metaFolder.appendingPathComponent(
      Manifest.fileName(shard: options.shardIndex, of: options.shardCount))
    let manifest = try Manifest(url: manifestURL)
    lock.withLock {
      self.manifest = manifest
      summary.manifest = manifestURL
      summary.total = cases.count
    }
    try manifest.addPending(cases)
    var records = try manifest.records()
    let noteURL = CrashRecorder.noteURL(for: manifestURL)
    crashNote = CrashRecorder.read(noteURL)
    removeStaleFiles(cases, layout: layout, roles: roles, records: records)

    var fingerprintValues = task.fingerprint
    fingerprintValues["tool_version"] = options.toolVersion
    fingerprintValues["task"] = T.kind
    fingerprintValues["stats"] = "\(options.statistics)"
    fingerprintValues["preview"] = "\(options.preview)"
    let context = RunContext(
      fingerprintValues: fingerprintValues, caseValues: { task.caseFingerprint($0) },
      modelSHA256: task.fingerprint["model_sha256"], layout: layout, host: ProcessInfo.processInfo.hostName)

    // Plan.
    let others = otherManifestRecords(excluding: manifestURL)
    var todo = [(CohortCase, ManifestRecord)]()
    var alreadyDone = 0
    var alreadyFailed = 0
    var quarantined = 0
    for item in cases {
      var record = records[item.id] ?? ManifestRecord(caseID: item.id, inputs: item.inputs)
      record.inputs = ManifestRecord.json(item.inputs.map(\.path))
      let verdict = try plan(item, record: &record, context: context, others: others)
      records[item.id] = record
      switch verdict {
      case .skipDone: alreadyDone += 1
      case .skipFailed: alreadyFailed += 1
      case .skipQuarantined: quarantined += 1
      case .run: todo.append((item, record))
      }
    }
    // Suspects (being computed when the process died, or charged with a crash) go last: the rest
    // of the shard gets done first, whether the deaths came from outside or from the case.
    todo = todo.filter { !Self.isSuspect($0.1) } + todo.filter { Self.isSuspect($0.1) }
    // The note is applied (the charged row is saved): the next crash writes a new one.
    if options.recordCrashes {
      try CrashRecorder.install(note: noteURL)
    } else if crashNote != nil {
      unlink(noteURL.path)
    }
    let outputsHashed = lock.withLock {
      summary.alreadyDone = alreadyDone
      return summary.outputsHashed
    }
    hooks.events(
      .planned(
        total: cases.count, toDo: todo.count, alreadyDone: alreadyDone, alreadyFailed: alreadyFailed,
        quarantined: quarantined, outputsHashed: outputsHashed))

    if !todo.isEmpty {
      try task.prepare()
      runLoop(task, todo, context: context)
    }
    writerQueue.sync {}
    if let fatal = lock.withLock({ self.fatal }) { throw fatal }
    return try finalSummary(cases, manifest: manifest)
  }

  /// Stops the run: no new case starts, the commit in flight finishes, the case being computed
  /// goes back to `pending` (attempt not counted). Returns the summary so far; afterwards the
  /// caller must end the process (`run()` does not return once interrupted mid-case).
  public func interrupt(signal: Int32) -> BatchSummary {
    let current: ManifestRecord? = lock.withLock {
      stopping = true
      summary.interruptedBy = signal
      return computing
    }
    while lock.withLock({ inFlight }) > 0 { writerQueue.sync {} }
    if let current, let manifest = lock.withLock({ self.manifest }) {
      var record = current
      record.status = .pending
      record.stage = nil
      record.attempts = max(0, record.attempts - 1)
      record.error = "interrupted by signal \(signal) (not counted as an attempt)"
      record.errorKind = nil
      try? manifest.save(record)
    }
    return lock.withLock {
      var s = summary
      s.remaining = s.total - s.alreadyDone - s.succeeded - s.failed.count - s.quarantined.count
      return s
    }
  }

  // MARK: - Planning

  struct RunContext: Sendable {
    /// The run's fingerprint values: the task's, tool version, task kind, output flags.
    var fingerprintValues: [String: String]
    /// The task's per-case values (`CohortTask.caseFingerprint`).
    var caseValues: @Sendable (CohortCase) -> [String: String]
    var modelSHA256: String?
    var layout: OutputLayout
    var host: String

    /// Canonical JSON of the run's values plus the case's (prefixed `case:`); equal to the run's
    /// alone when the task has no per-case values.
    func fingerprint(for item: CohortCase) -> String {
      var values = fingerprintValues
      for (key, value) in caseValues(item) { values["case:" + key] = value }
      return ManifestRecord.json(values)
    }
  }

  enum Verdict { case run, skipDone, skipFailed, skipQuarantined }

  func plannedRoles(producesLabelMap: Bool) -> [OutputRole] {
    var roles = [OutputRole]()
    if producesLabelMap { roles.append(.labelMap) }
    if options.statistics || !producesLabelMap { roles += [.statisticsCSV, .statisticsJSON] }
    if options.preview { roles.append(.preview) }
    return roles
  }

  func checkOutputNames(_ cases: [CohortCase], layout: OutputLayout, roles: [OutputRole]) throws {
    var owner = [String: String]()
    for item in cases {
      for role in roles {
        let path = layout.relativePath(role, for: item)
        if let other = owner[path], other != item.id {
          throw BatchError(
            .invalidArgument,
            "cases '\(other)' and '\(item.id)' would both write \(path) (BIDS names drop the input's suffix, as upstream does); select one with --pattern",
            path: item.inputs[0].path)
        }
        owner[path] = item.id
      }
    }
  }

  /// The inputs' combined SHA-256 and stat key, reusing `record`'s hash when the stat key matches.
  func inputIdentity(_ item: CohortCase, record: ManifestRecord) -> (sha256: String, stat: String)? {
    let keys = item.inputs.map(FileHash.statKey)
    guard keys.allSatisfy({ $0 != nil }) else { return nil }
    let stat = keys.map { $0! }.joined(separator: "|")
    if stat == record.inputStat, let sha = record.inputSHA256 { return (sha, stat) }
    guard let hashes = try? item.inputs.map(FileHash.sha256(of:)) else { return nil }
    return (combinedHash(hashes), stat)
  }

  func combinedHash(_ hashes: [String]) -> String {
    hashes.count == 1 ? hashes[0] : FileHash.sha256(hashes.joined(separator: "\n"))
  }

  /// Whether every recorded output of `record` is in place with its recorded bytes. An output
  /// whose stat key equals the recorded one is trusted without reading it (unless
  /// `verifyOutputs`); the others are re-hashed (counted in `summary.outputsHashed`). Returns the
  /// stat keys now (`ManifestRecord.outputStat`) when they are verified, nil otherwise.
  func verifiedOutputStat(_ record: ManifestRecord) -> String? {
    let outputs = record.recordedOutputs
    guard !outputs.isEmpty else { return nil }
    let recorded = record.recordedOutputStat
    var current = [String: String]()
    for output in outputs {
      let url = options.outputFolder.appendingPathComponent(output.path)
      guard let key = FileHash.statKey(url) else { return nil }
      if options.verifyOutputs || recorded[output.path] != key {
        lock.withLock { summary.outputsHashed += 1 }
        guard (try? FileHash.sha256(of: url)) == output.sha256 else { return nil }
      }
      current[output.path] = key
    }
    return ManifestRecord.json(current)
  }

  private func plan(
    _ item: CohortCase, record: inout ManifestRecord, context: RunContext, others: [String: ManifestRecord]
  )
    throws -> Verdict
  {
    if options.overwrite {
      record.attempts = 0
      record.deaths = 0
      return .run
    }
    let fingerprint = context.fingerprint(for: item)
    func sameIdentity(_ r: ManifestRecord) -> Bool {
      guard r.fingerprint == fingerprint, let identity = inputIdentity(item, record: r) else { return false }
      return identity.sha256 == r.inputSHA256
    }
    if let note = crashNote, note.caseID == item.id, record.status != .done, record.status != .quarantined {
      return try chargeCrash(note, &record)
    }
    switch record.status {
    case .running:
      return try chargeDeath(&record)
    case .done:
      if sameIdentity(record), let stat = verifiedOutputStat(record) {
        if stat != record.outputStat {
          // Keys recorded for the first time (an earlier version's manifest) or renewed after an
          // unchanged re-hash (e.g. a copy that kept the bytes): the next run need not read them.
          record.outputStat = stat
          try manifest!.save(record)
        }
        return .skipDone
      }
      record.attempts = 0
      record.deaths = 0
      return .run
    case .failed:
      guard sameIdentity(record) else {
        record.attempts = 0
        record.deaths = 0
        return .run
      }
      if record.errorKind == "input" { return .skipFailed }
      if record.attempts >= options.retries {
        record.status = .quarantined
        record.error = "quarantined after \(record.attempts) attempts: \(record.error ?? "")"
        try manifest!.save(record)
        return .skipQuarantined
      }
      return .run
    case .quarantined:
      if sameIdentity(record) && !options.retryQuarantined { return .skipQuarantined }
      record.attempts = 0
      record.deaths = 0
      return .run
    case .pending:
      if let other = others[item.id], other.status == .done, sameIdentity(other),
        let stat = verifiedOutputStat(other)
      {
        var adopted = other
        adopted.inputs = record.inputs
        adopted.attempts = max(other.attempts, record.attempts)
        adopted.outputStat = stat
        record = adopted
        try manifest!.save(record)
        return .skipDone
      }
      return .run
    }
  }

  /// Done records of the other manifests in the folder (newest per case).
  func otherManifestRecords(excluding mine: URL) -> [String: ManifestRecord] {
    var result = [String: ManifestRecord]()
    for url in Manifest.all(in: options.outputFolder) where url.lastPathComponent != mine.lastPathComponent {
      guard let records = try? Manifest(url: url, create: false).records() else { continue }
      for (id, r) in records where r.status == .done && (result[id].map { $0.updatedAt < r.updatedAt } ?? true) {
        result[id] = r
      }
    }
    return result
  }

  /// Deletes staging files (`.batch-partial-*`) and NiftiIO temporaries (`.<name>.tmp-*`) of this
  /// shard's outputs only: other shards writing into the same folder are left alone.
  func removeStaleFiles(
    _ cases: [CohortCase], layout: OutputLayout, roles: [OutputRole], records: [String: ManifestRecord]
  ) {
    var namesByFolder = [String: Set<String>]()
    for item in cases {
      var paths = roles.map { layout.relativePath($0, for: item) }
      paths += records[item.id]?.recordedOutputs.map(\.path) ?? []
      for path in paths {
        let url = options.outputFolder.appendingPathComponent(path)
        namesByFolder[url.deletingLastPathComponent().path, default: []].insert(url.lastPathComponent)
      }
    }
    let fm = FileManager.default
    for (folder, names) in namesByFolder {
      guard let entries = try? fm.contentsOfDirectory(atPath: folder) else { continue }
      for entry in entries where entry.hasPrefix(".") {
        if let name = Self.finalName(ofTemporary: entry), names.contains(name) {
          try? fm.removeItem(atPath: folder + "/" + entry)
        }
      }
    }
  }

  /// The final file name a temporary file stands for: `.batch-partial-<pid>.<name>` (staging),
  /// `..batch-partial-<pid>.<name>.tmp-<pid>-<n>` (NiftiIO's temporary of a staging file) and
  /// `.<name>.tmp-<pid>-<n>` (NiftiIO's temporary of a final name); nil for other files.
  static func finalName(ofTemporary entry: String) -> String? {
    var name = Substring(entry)
    if name.hasPrefix("..batch-partial-") || !name.hasPrefix(".batch-partial-") {
      guard let tmp = name.range(of: ".tmp-", options: .backwards) else { return nil }
      name = name[..<tmp.lowerBound].dropFirst()
      if !name.hasPrefix(".batch-partial-") { return name.isEmpty ? nil : String(name) }
    }
    let rest = name.dropFirst(".batch-partial-".count)
    guard let dot = rest.firstIndex(of: "."), rest[..<dot].allSatisfy(\.isNumber), !rest[..<dot].isEmpty else {
      return nil
    }
    let final = rest[rest.index(after: dot)...]
    return final.isEmpty ? nil : String(final)
  }

  // MARK: - The pipeline

  /// A case read by the prefetch thread.
  struct Prefetched<L: Sendable>: Sendable {
    var loaded: Result<L, any Error>
    var identity: (sha256: String, stat: String)?
    var seconds: Double
  }

  private func prefetch<T: CohortTask>(_ task: T, _ item: CohortCase, _ record: ManifestRecord) -> Pending<
    Prefetched<T.Loaded>
  > {
    let pending = Pending<Prefetched<T.Loaded>>()
    readerQueue.async { [self] in
      let start = Date()
      CrashRecorder.set(.reading, item.id)
      hooks.crashPoint("read", item.id)
      let identity = inputIdentity(item, record: record)
      let loaded = Result { try task.load(item) }
      CrashRecorder.set(.reading, nil)
      pending.fulfill(Prefetched(loaded: loaded, identity: identity, seconds: Date().timeIntervalSince(start)))
    }
    return pending
  }

  /// A case the previous process died or crashed on (a death, or an attempt charged as `crash`).
  static func isSuspect(_ record: ManifestRecord) -> Bool {
    record.deathCount > 0 || record.errorKind == "crash"
  }

  private func runLoop<T: CohortTask>(_ task: T, _ todo: [(CohortCase, ManifestRecord)], context: RunContext) {
    // A suspect is neither read ahead nor started while another case's outputs are being written:
    // the commits in flight finish first, so that no neighbour's work dies with it again.
    var next = Self.isSuspect(todo[0].1) ? nil : prefetch(task, todo[0].0, todo[0].1)
    for (index, (item, planned)) in todo.enumerated() {
      if Self.isSuspect(planned) { writerQueue.sync {} }
      let fetched = (next ?? prefetch(task, item, planned)).wait()
      next = nil
      if index + 1 < todo.count, !Self.isSuspect(todo[index + 1].1) {
        next = prefetch(task, todo[index + 1].0, todo[index + 1].1)
      }
      var record = planned
      var prefetched = fetched
      while true {
        guard let running = startCase(item, &record, prefetched, context: context) else { return stopOrPark() }
        record = running
        hooks.crashPoint("running-marked", item.id)
        let computeStart = Date()
        let products: CaseProducts
        do {
          products = try task.run(item, try prefetched.loaded.get())
        } catch {
          if retryable(error, record) {
            CrashRecorder.set(.computing, nil)
            prefetched = Prefetched(loaded: Result { try task.load(item) }, identity: prefetched.identity, seconds: 0)
            continue
          }
          CrashRecorder.set(.computing, nil)
          finishFailed(record, error: error, seconds: Date().timeIntervalSince(computeStart))
          if lock.withLock({ fatal != nil }) { return }
          break
        }
        record.secondsCompute = Date().timeIntervalSince(computeStart)
        hooks.crashPoint("computed", item.id)
        writeSlot.wait()
        let proceed = lock.withLock { () -> Bool in
          if stopping { return false }
          computing = nil
          inFlight += 1
          return true
        }
        guard proceed else { return stopOrPark() }
        // Computed: a death from now on is not charged to the case (stage `writing`).
        record.stage = "writing"
        do {
          try manifest!.save(record)
        } catch {
          lock.withLock { inFlight -= 1 }
          writeSlot.signal()
          stop(with: error)
          return
        }
        CrashRecorder.set(.computing, nil)
        let committed = record
        writerQueue.async { [self] in
          commit(item, committed, products, context: context)
          lock.withLock { inFlight -= 1 }
          writeSlot.signal()
        }
        break
      }
      if lock.withLock({ fatal != nil }) { return }
    }
  }

  /// A manifest write failed: nothing computed from now on could be recorded, so the run stops
  /// (no new case starts; `run()` throws the error, exit 74).
  private func stop(with error: any Error) {
    lock.withLock {
      if fatal == nil { fatal = error }
      stopping = true
    }
  }

  /// After `startCase` refused or the run stopped: returns when a manifest failure stopped the run,
  /// parks when a signal did (`interrupt(signal:)` ends the process).
  private func stopOrPark() {
    if lock.withLock({ fatal != nil }) { return }
    parkForInterrupt()
  }

  /// Marks the case running (attempt + 1); nil when the run is stopping.
  private func startCase<L>(
    _ item: CohortCase, _ record: inout ManifestRecord, _ fetched: Prefetched<L>, context: RunContext
  )
    -> ManifestRecord?
  {
    var running = record
    running.status = .running
    running.stage = "computing"
    running.attempts += 1
    running.error = nil
    running.errorKind = nil
    running.fingerprint = context.fingerprint(for: item)
    running.modelSHA256 = context.modelSHA256
    running.toolVersion = options.toolVersion
    running.inputSHA256 = fetched.identity?.sha256
    running.inputStat = fetched.identity?.stat
    running.outputs = nil
    running.outputStat = nil
    running.startedAt = Date().timeIntervalSince1970
    running.finishedAt = nil
    running.secondsRead = fetched.seconds
    running.secondsCompute = nil
    running.secondsWrite = nil
    running.host = context.host
    running.pid = Int(getpid())
    let started: Bool = lock.withLock {
      if stopping { return false }
      computing = running
      summary.processed += 1
      return true
    }
    guard started else { return nil }
    // Nothing is computed that cannot be recorded: no row, no compute.
    do {
      try manifest!.save(running)
    } catch {
      lock.withLock {
        computing = nil
        summary.processed -= 1
      }
      stop(with: error)
      return nil
    }
    CrashRecorder.set(.computing, item.id)
    return running
  }

  private func retryable(_ error: any Error, _ record: ManifestRecord) -> Bool {
    !CohortTasks.isInputError(error) && record.attempts < options.retries && !lock.withLock { stopping }
  }

  /// Records a failure: input errors are final (`failed`); other errors are `failed` (retried by a
  /// later run) until the attempts reach `retries`, then `quarantined`.
  private func finishFailed(_ record: ManifestRecord, error: any Error, seconds: Double) {
    var record = record
    let inputError = CohortTasks.isInputError(error)
    record.errorKind = inputError ? "input" : "transient"
    record.error = "\(error)"
    record.status = !inputError && record.attempts >= options.retries ? .quarantined : .failed
    record.stage = nil
    record.finishedAt = Date().timeIntervalSince1970
    do {
      try manifest!.save(record)
    } catch {
      stop(with: error)
      return
    }
    lock.withLock {
      if computing?.caseID == record.caseID { computing = nil }
      if record.status == .quarantined {
        summary.quarantined.append((record.caseID, record.error!))
      } else {
        summary.failed.append((record.caseID, record.error!))
      }
    }
    hooks.events(.finished(id: record.caseID, status: record.status, error: record.error, seconds: seconds))
  }

  /// Blocks the calling thread for good: `interrupt(signal:)` owns the end of the process.
  private func parkForInterrupt() -> Never {
    while true { sleep(3600) }
  }

  // MARK: - Writing

  /// Stages every output, hashes it, renames it into place, then records the case as done.
  private func commit(_ item: CohortCase, _ record: ManifestRecord, _ products: CaseProducts, context: RunContext) {
    let start = Date()
    CrashRecorder.set(.writing, item.id)
    defer { CrashRecorder.set(.writing, nil) }
    var staged = [(role: OutputRole, staging: URL, final: URL, sha256: String, bytes: Int)]()
    do {
      for (role, write) in try producers(item, products, context: context) {
        let final = context.layout.url(role, for: item)
        let folder = final.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let staging = folder.appendingPathComponent(".batch-partial-\(getpid()).\(final.lastPathComponent)")
        try write(staging)
        hooks.crashPoint("output-staged", item.id)
        let bytes = (try FileManager.default.attributesOfItem(atPath: staging.path)[.size] as? NSNumber)?.intValue ?? 0
        staged.append((role, staging, final, try FileHash.sha256(of: staging), bytes))
      }
      var folders = Set<String>()
      for output in staged {
        guard rename(output.staging.path, output.final.path) == 0 else {
          throw BatchError(
            .cannotCreateOutput, "cannot move the finished file into place: \(String(cString: strerror(errno)))",
            path: output.final.path)
        }
        folders.insert(output.final.deletingLastPathComponent().path)
        hooks.crashPoint("output-renamed", item.id)
      }
      for folder in folders {
        let fd = open(folder, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
          fsync(fd)
          close(fd)
        }
      }
    } catch {
      for output in staged { unlink(output.staging.path) }
      finishFailed(record, error: error, seconds: Date().timeIntervalSince(start))
      return
    }
    // Stat keys of the final names (a rename keeps the staged file's inode, size and mtime).
    var stats = [String: String]()
    for output in staged {
      if let key = FileHash.statKey(output.final) { stats[context.layout.relativePath(output.role, for: item)] = key }
    }
    var done = record
    done.status = .done
    done.stage = nil
    done.outputStat = ManifestRecord.json(stats)
    done.outputs = ManifestRecord.json(
      staged.map {
        RecordedOutput(
          role: $0.role.name, path: context.layout.relativePath($0.role, for: item), sha256: $0.sha256, bytes: $0.bytes)
      })
    done.warnings = products.warnings.isEmpty ? nil : products.warnings.joined(separator: "\n")
    done.secondsWrite = Date().timeIntervalSince(start)
    done.finishedAt = Date().timeIntervalSince1970
    do {
      try manifest!.save(done) { hooks.crashPoint("manifest-update", item.id) }
    } catch {
      stop(with: error)
      return
    }
    lock.withLock { summary.succeeded += 1 }
    let total = (done.secondsRead ?? 0) + (done.secondsCompute ?? 0) + (done.secondsWrite ?? 0)
    for warning in products.warnings { hooks.events(.warning("\(item.id): \(warning)")) }
    hooks.events(.finished(id: item.id, status: .done, error: nil, seconds: total))
  }

  /// The files to write for a case, in order: label map, statistics, preview, extras.
  private func producers(_ item: CohortCase, _ products: CaseProducts, context: RunContext) throws
    -> [(OutputRole, (URL) throws -> Void)]
  {
    var result = [(OutputRole, (URL) throws -> Void)]()
    var writeOptions = NiftiWriteOptions()
    writeOptions.threads = options.taskOptions.writeThreads
    if let labelMap = products.labelMap {
      result.append((.labelMap, { try labelMap.write(to: $0, options: writeOptions) }))
    }
    var statistics = products.statistics
    if statistics == nil && options.statistics, let labels = products.labels {
      let images = products.background.map { [(name: "image", values: $0.scaledVolume(as: Double.self))] } ?? []
      var statisticsOptions = StatisticsOptions()
      if let names = products.labelNames { statisticsOptions.registry = StatisticsLabelRegistry(names: names) }
      statistics = try SegmentationStatistics.compute(
        labels: labels, images: images, options: statisticsOptions,
        source: context.layout.relativePath(.labelMap, for: item))
    }
    if let statistics {
      result.append((.statisticsCSV, { try ReportFile.write(statistics.csv, to: $0) }))
      result.append((.statisticsJSON, { try ReportFile.write(try ReportFile.json(statistics), to: $0) }))
    }
    if options.preview {
      guard let segmentation = products.labelMap ?? products.previewSegmentation, let image = products.background else {
        throw BatchError(.invalidArgument, "--preview: this task gave no image to draw on", path: item.inputs[0].path)
      }
      var previewOptions = PreviewOptions()
      if let names = products.labelNames { previewOptions.labelNames = names }
      let preview = try Preview(
        segmentation: segmentation, image: image, options: previewOptions,
        segmentationPath: context.layout.relativePath(.labelMap, for: item),
        imagePath: item.inputs.last?.path)
      result.append((.preview, { try preview.writePNG(to: $0) }))
    }
    for extra in products.extras { result.append((extra.role, extra.write)) }
    return result
  }

  // MARK: - Summary

  private func finalSummary(_ cases: [CohortCase], manifest: Manifest) throws -> BatchSummary {
    let records = try manifest.records()
    var s = lock.withLock { summary }
    s.failed = []
    s.quarantined = []
    s.remaining = 0
    for item in cases {
      guard let r = records[item.id] else { continue }
      switch r.status {
      case .failed: s.failed.append((item.id, r.error ?? "failed"))
      case .quarantined: s.quarantined.append((item.id, r.error ?? "quarantined"))
      case .pending, .running: s.remaining += 1
      case .done: break
      }
    }
    return s
  }
}

extension CohortTask {
  /// Whether the task's inputs are label maps (`stats`): BIDS discovery then keeps `*_msk` files.
  public static var readsSegmentations: Bool { kind == StatsTask.kind }
}

/// A value produced on another thread, waited for once.
final class Pending<T>: @unchecked Sendable {
  private var value: T?
  private let semaphore = DispatchSemaphore(value: 0)

  func fulfill(_ value: T) {
    self.value = value
    semaphore.signal()
  }

  func wait() -> T {
    semaphore.wait()
    semaphore.signal()
    return value!
  }
}
