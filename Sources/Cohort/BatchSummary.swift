import Foundation

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
