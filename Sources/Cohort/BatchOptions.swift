import Foundation

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
