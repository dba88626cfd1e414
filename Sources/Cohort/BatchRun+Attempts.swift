import Foundation

/// One attempt of a case: marking it running, deciding whether an error is retried in this run,
/// recording a failure (`failed`, or `quarantined` after `retries` attempts).
extension BatchRun {
  /// Marks the case running (attempt + 1); nil when the run is stopping.
  func startCase<L>(
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

  func retryable(_ error: any Error, _ record: ManifestRecord) -> Bool {
    !CohortTasks.isInputError(error) && record.attempts < options.retries && !lock.withLock { stopping }
  }

  /// Records a failure: input errors are final (`failed`); other errors are `failed` (retried by a
  /// later run) until the attempts reach `retries`, then `quarantined`.
  func finishFailed(_ record: ManifestRecord, error: any Error, seconds: Double) {
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
}
