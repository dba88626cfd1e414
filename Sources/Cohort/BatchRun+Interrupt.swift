import Foundation

/// Stopping a run: on a signal (`interrupt(signal:)`) or a manifest write that failed (`stop(with:)`).
extension BatchRun {
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

  /// A manifest write failed: nothing computed from now on could be recorded, so the run stops
  /// (no new case starts; `run()` throws the error, exit 74).
  func stop(with error: any Error) {
    lock.withLock {
      if fatal == nil { fatal = error }
      stopping = true
    }
  }

  /// After `startCase` refused or the run stopped: returns when a manifest failure stopped the run,
  /// parks when a signal did (`interrupt(signal:)` ends the process).
  func stopOrPark() {
    if lock.withLock({ fatal != nil }) { return }
    parkForInterrupt()
  }

  /// Blocks the calling thread for good: `interrupt(signal:)` owns the end of the process.
  func parkForInterrupt() -> Never {
    while true { sleep(3600) }
  }
}
