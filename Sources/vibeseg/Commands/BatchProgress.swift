import Cohort
import Foundation

/// Progress: a rewritten status line on a terminal, one plain line per case otherwise.
final class BatchProgress: @unchecked Sendable {
  let terminal: Bool
  let lock = NSLock()
  var toDo = 0
  var finished = 0
  var failed = 0
  var started = Date()
  var lastLine = Date.distantPast

  init(terminal: Bool) { self.terminal = terminal }

  func handle(_ event: BatchEvent) {
    lock.lock()
    defer { lock.unlock() }
    switch event {
    case .planned(let total, let toDo, let done, let failed, let quarantined, let hashed):
      self.toDo = toDo
      started = Date()
      printError(
        "vibeseg: batch: \(total) cases in this shard: \(toDo) to run, \(done) already done, \(failed) failed before, \(quarantined) quarantined; \(hashed) recorded outputs re-hashed"
      )
    case .finished(let id, let status, let error, let seconds):
      finished += 1
      if status != .done { self.failed += 1 }
      let elapsed = Date().timeIntervalSince(started)
      let rate = elapsed > 0 ? Double(finished) / elapsed * 3600 : 0
      let remaining = max(0, toDo - finished)
      let eta = finished > 0 ? elapsed / Double(finished) * Double(remaining) : 0
      if terminal {
        if status != .done {
          FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
          printError("vibeseg: \(id) \(status.rawValue): \(error ?? "")")
        }
        let line = String(
          format: "\r\u{1B}[Kdone %d | failed %d | remaining %d | %.0f cases/h | ETA %@", finished - self.failed,
          self.failed,
          remaining, rate, Self.duration(eta))
        FileHandle.standardError.write(Data(line.utf8))
      } else {
        var line = String(
          format: "vibeseg: batch: [%d/%d] %@ %@ in %.2f s", finished, toDo, id, status.rawValue, seconds)
        if let error { line += ": " + error }
        printError(line)
      }
    case .warning(let text):
      if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
      printError("vibeseg: warning: \(text)")
    }
  }

  func finish(_ summary: BatchSummary) {
    lock.lock()
    defer { lock.unlock() }
    if terminal && finished > 0 { FileHandle.standardError.write(Data("\n".utf8)) }
    let line =
      "processed \(summary.processed), done \(summary.succeeded + summary.alreadyDone) (\(summary.alreadyDone) already), "
      + "failed \(summary.failed.count), quarantined \(summary.quarantined.count), remaining \(summary.remaining), "
      + "total \(summary.total); manifest \(summary.manifest?.path ?? "-")"
    print(line)
  }

  static func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
  }
}
