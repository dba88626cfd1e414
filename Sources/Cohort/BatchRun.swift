import Foundation
import NiftiIO
import VibeSegKit
import VolumeCore

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
  let lock = NSLock()
  var stopping = false
  /// A manifest write failed: the run stops at once and `run()` throws this (exit 74).
  var fatal: (any Error)?
  var computing: ManifestRecord?
  /// The crash note the previous process of this shard left (read while planning).
  var crashNote: CrashRecorder.Note?
  /// Held for the run (`ShardLock`).
  private var shardLock: ShardLock?
  /// Commits handed to the writer and not finished.
  var inFlight = 0
  var summary = BatchSummary()
  var manifest: Manifest?
  let writerQueue = DispatchQueue(label: "vibeseg.batch.writer")
  let writeSlot = DispatchSemaphore(value: 1)
  let readerQueue = DispatchQueue(label: "vibeseg.batch.reader")

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
    let all = try CaseDiscovery.cases(from: options.source, segmentations: T.readsSegmentations, dicom: options.taskOptions.dicomSelection)
    let cases = CaseDiscovery.shard(all, index: options.shardIndex, count: options.shardCount)
    let layout = OutputLayout(root: options.outputFolder, modelLabel: task.modelLabel)
    try T.checkSource(options.source)
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

  // MARK: - The pipeline

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
