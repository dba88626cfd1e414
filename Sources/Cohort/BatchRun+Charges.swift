import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Whom a run charges for the way the previous process of its shard ended (see `BatchRun`):
/// attempts for what a case did by itself, deaths for process deaths of unseen cause.
extension BatchRun {
  /// The previous process crashed on this case (its crash note names it): one attempt. A case
  /// being computed or written had its attempt counted when it started; one being read ahead had
  /// not. At `retries` attempts the case is quarantined.
  func chargeCrash(_ note: CrashRecorder.Note, _ record: inout ManifestRecord) throws -> Verdict {
    if record.status != .running { record.attempts += 1 }
    record.stage = nil
    record.errorKind = "crash"
    record.error =
      "the process crashed (signal \(note.signal)\(Self.signalName(note.signal))) while \(note.stage) this case"
    if record.attempts >= options.retries {
      record.status = .quarantined
      record.error = "quarantined after \(record.attempts) attempts (--retries \(options.retries)): \(record.error!)"
      try manifest!.save(record)
      return .skipQuarantined
    }
    record.status = .pending
    try manifest!.save(record)
    return .run
  }

  /// A row left `running` that the crash note does not name. Not an attempt. When there is no
  /// note the process died of a cause it could not see (SIGKILL, the OOM killer, power loss): a
  /// case that was being computed is charged one death, and quarantined at `maxDeaths`; a case
  /// whose outputs were being written is charged nothing (writing is the same for every case).
  /// When the note names another case, that case crashed the process: nothing is charged here.
  /// Rows of manifests before `v3` have no stage and count as computing.
  func chargeDeath(_ record: inout ManifestRecord) throws -> Verdict {
    record.attempts = max(0, record.attempts - 1)
    let wasWriting = record.stage == "writing"
    record.stage = nil
    record.status = .pending
    if wasWriting || crashNote != nil {
      // Writing is the same for every case; and with a crash note the cause is known: another case.
      record.errorKind = nil
      record.error =
        crashNote.map { "the process crashed on case \($0.caseID) while this case was in flight (not charged)" }
        ?? "the process died while this case's outputs were being written (not charged)"
      try manifest!.save(record)
      return .run
    }
    let deaths = record.deathCount + 1
    record.deaths = deaths
    record.errorKind = "death"
    record.error =
      "the process died while computing this case (killed from outside, out of memory or power lost): "
      + "death \(deaths) of --max-deaths \(options.maxDeaths)"
    if deaths >= options.maxDeaths {
      record.status = .quarantined
      record.error =
        "quarantined after \(deaths) process deaths while computing it (--max-deaths \(options.maxDeaths)); "
        + "it may take the process down (memory?): rerun with --retry-quarantined to try it again"
      try manifest!.save(record)
      return .skipQuarantined
    }
    try manifest!.save(record)
    return .run
  }

  /// ` (SIGABRT)` for the signals `CrashRecorder` records, empty otherwise.
  static func signalName(_ signal: Int32) -> String {
    let names: [Int32: String] = [
      SIGSEGV: "SIGSEGV", SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP", SIGFPE: "SIGFPE", SIGABRT: "SIGABRT",
    ]
    return names[signal].map { " \($0)" } ?? ""
  }
}
