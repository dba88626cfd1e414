import Foundation

/// Planning a run: the outputs each case writes, and the verdict per case (run or skip).
extension BatchRun {
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

  func plan(
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
}
