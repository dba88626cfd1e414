import Foundation

/// `VIBESEG_TEST_CRASH_CASE=[POINT@]CASE`: the process crashes by itself, with `abort()` (SIGABRT),
/// when it reaches the named point for CASE (default `running-marked`, i.e. as CASE starts being
/// computed; `read` crashes while CASE is read ahead). A test hook standing for a case that
/// crashes the program (a trap, a segfault): `CrashRecorder` notes it, and the next run charges
/// CASE an attempt. `VIBESEG_TEST_CRASH_KIND=trap` crashes with a Swift runtime trap instead
/// (`preconditionFailure`: SIGILL or SIGTRAP, a fault on the crashing thread). Compare
/// `VIBESEG_TEST_CRASH_POINT`, which stands for a kill from outside.
struct CrashCase: Sendable {
  let point: String
  let caseID: String
  let trap: Bool

  init(_ spec: String, kind: String? = nil) {
    let parts = spec.split(separator: "@", maxSplits: 1).map(String.init)
    point = parts.count == 2 ? parts[0] : "running-marked"
    caseID = parts.count == 2 ? parts[1] : spec
    trap = kind == "trap"
  }

  func reach(_ point: String, _ id: String) {
    guard point == self.point && id == caseID else { return }
    if trap { preconditionFailure("VIBESEG_TEST_CRASH_CASE: test crash at \(point) of \(id)") }
    abort()
  }
}

/// `VIBESEG_TEST_CRASH_POINT=NAME[:COUNT][@CASE]`: the process kills itself with SIGKILL the
/// COUNT-th time (default 1st) it reaches the named point (for CASE only, when given). A test hook
/// for crash-consistency tests; points are listed in `BatchHooks.crashPoint`.
final class CrashPoint: @unchecked Sendable {
  let name: String
  let count: Int
  let caseID: String?
  let lock = NSLock()
  var seen = 0

  init(_ spec: String) {
    let parts = spec.split(separator: "@", maxSplits: 1).map(String.init)
    caseID = parts.count == 2 ? parts[1] : nil
    let point = parts[0].split(separator: ":").map(String.init)
    name = point[0]
    count = point.count > 1 ? Int(point[1]) ?? 1 : 1
  }

  func reach(_ point: String, _ id: String) {
    guard point == name, caseID == nil || caseID == id else { return }
    let hit: Bool = lock.withLock {
      seen += 1
      return seen == count
    }
    if hit { kill(getpid(), SIGKILL) }
  }
}
