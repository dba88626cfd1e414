import Foundation

/// Reading ahead: the prefetch thread reads case i+1 while case i computes.
extension BatchRun {
  /// A case read by the prefetch thread.
  struct Prefetched<L: Sendable>: Sendable {
    var loaded: Result<L, any Error>
    var identity: (sha256: String, stat: String)?
    var seconds: Double
  }

  func prefetch<T: CohortTask>(_ task: T, _ item: CohortCase, _ record: ManifestRecord) -> Pending<
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
