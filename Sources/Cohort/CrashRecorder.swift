import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Tells a crash of a case from a kill from outside: while a batch runs, a handler for the fatal
/// signals a process raises on itself (SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE: faults and Swift
/// runtime traps; SIGABRT: `abort()`) writes one line naming the case being worked on to the
/// shard's crash note (`manifest-shard-I-of-N.crash` beside the manifest), fsyncs it, and lets the
/// signal go on to the handler that was there before (Swift's backtracer, or the default action).
/// The next run reads the note: that case is charged an attempt (`--retries`); a case left
/// `running` with no note died of an outside cause (SIGKILL, the OOM killer, power loss) and is
/// charged a death instead (`--max-deaths`, see `BatchRun`).
///
/// Which case: the handler compares the faulting thread with the threads registered for reading
/// (prefetch) and writing (commit); any other thread (the calling thread and the network's worker
/// threads) means the case being computed. A fatal signal sent by another process (`kill -SEGV`)
/// is not the case's doing: no note (si_code <= 0 with another sender's pid).
///
/// Linux only (elsewhere the note stays empty and every death counts as one of unseen cause).
/// The note line is `<signal>\t<stage>\t<case id>\n`. The handler only loads from memory prepared
/// beforehand and calls `write`, `fsync`, `sigaction` and `raise` (async-signal-safe).
public enum CrashRecorder {
  /// What a thread was doing with a case.
  public enum Stage: Int, Sendable, CaseIterable {
    case computing = 0
    case reading = 1
    case writing = 2

    var name: String { ["computing", "reading", "writing"][rawValue] }
  }

  /// A crash recorded by a process that died.
  public struct Note: Sendable, Equatable {
    public var signal: Int32
    /// `computing`, `reading` or `writing`.
    public var stage: String
    public var caseID: String
  }

  /// The crash note of the manifest at `manifest`.
  public static func noteURL(for manifest: URL) -> URL {
    manifest.deletingPathExtension().appendingPathExtension("crash")
  }

  /// The note a crashed process left, or nil (none, empty, unreadable).
  public static func read(_ url: URL) -> Note? {
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
    let fields = text.split(separator: "\n").first?.split(separator: "\t", maxSplits: 2).map(String.init) ?? []
    guard fields.count == 3, let signal = Int32(fields[0]), !fields[2].isEmpty else { return nil }
    return Note(signal: signal, stage: fields[1], caseID: fields[2])
  }

  /// The signals recorded: those a process raises on itself when it crashes.
  public static let signals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT]

  // Per stage a 512-byte slot: [0, 8) the registered thread (reading, writing), [8, 16) the id's
  // length (0: no case), [16, 512) the id's UTF-8 bytes.
  static let slotBytes = 512
  nonisolated(unsafe) static let slots: UnsafeMutableRawPointer = {
    let memory = UnsafeMutableRawPointer.allocate(byteCount: 3 * 512, alignment: 16)
    memory.initializeMemory(as: UInt8.self, repeating: 0, count: 3 * 512)
    return memory
  }()
  nonisolated(unsafe) static let line: UnsafeMutablePointer<UInt8> = .allocate(capacity: 600)
  nonisolated(unsafe) static let previous: UnsafeMutablePointer<sigaction> = {
    let actions = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)
    actions.initialize(repeating: sigaction(), count: 65)
    return actions
  }()
  nonisolated(unsafe) static var fd: Int32 = -1

  /// Creates (empties) the note at `url` and installs the handler for the process. Call once per
  /// process, after the previous note was read.
  ///
  /// - Throws: `BatchError.cannotCreateOutput` when the note cannot be created.
  public static func install(note url: URL) throws {
    _ = slots
    _ = line
    _ = previous
    let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw BatchError(
        .cannotCreateOutput, "cannot create the crash note: \(String(cString: strerror(errno)))", path: url.path)
    }
    if Self.fd >= 0 { close(Self.fd) }
    Self.fd = fd
    #if os(Linux)
      for signal in signals {
        var action = sigaction()
        action.__sigaction_handler.sa_sigaction = crashHandler
        action.sa_flags = SA_SIGINFO
        sigemptyset(&action.sa_mask)
        sigaction(signal, &action, previous + Int(signal))
      }
    #endif
  }

  /// Records that the calling thread now works on `caseID` in `stage` (nil: no case). Reading and
  /// writing register the calling thread; computing stands for every other thread.
  public static func set(_ stage: Stage, _ caseID: String?) {
    let slot = slots + stage.rawValue * slotBytes
    slot.storeBytes(of: 0, toByteOffset: 8, as: Int.self)
    guard let caseID else {
      slot.storeBytes(of: 0, as: UInt.self)
      return
    }
    let bytes = Array(caseID.utf8.prefix(slotBytes - 16))
    bytes.withUnsafeBytes { (slot + 16).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    if stage != .computing { slot.storeBytes(of: UInt(bitPattern: Int(bitPattern: pthread_self())), as: UInt.self) }
    slot.storeBytes(of: bytes.count, toByteOffset: 8, as: Int.self)
  }

  #if os(Linux)
    /// The handler body (async-signal-safe: no allocation, no locks).
    static func handle(_ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?) {
      let code = info?.pointee.si_code ?? 0
      let sender = info?.pointee._sifields._kill.si_pid ?? 0
      let fromOutside = code <= 0 && sender != getpid()
      if !fromOutside && fd >= 0 {
        let me = UInt(bitPattern: Int(bitPattern: pthread_self()))
        var stage = 0
        for s in 1..<3 where slots.load(fromByteOffset: s * slotBytes, as: UInt.self) == me { stage = s }
        let slot = slots + stage * slotBytes
        let length = slot.load(fromByteOffset: 8, as: Int.self)
        if length > 0 && length <= slotBytes - 16 {
          var n = 0
          func put(_ byte: UInt8) {
            line[n] = byte
            n += 1
          }
          var value = Int(signal)
          var divisor = 1
          while value / divisor >= 10 { divisor *= 10 }
          while divisor > 0 {
            put(UInt8(48 + value / divisor))
            value %= divisor
            divisor /= 10
          }
          put(9)
          let names: StaticString = stage == 0 ? "computing" : stage == 1 ? "reading" : "writing"
          for i in 0..<names.utf8CodeUnitCount { put(names.utf8Start[i]) }
          put(9)
          for i in 0..<length { put(slot.load(fromByteOffset: 16 + i, as: UInt8.self)) }
          put(10)
          _ = write(fd, line, n)
          _ = fsync(fd)
        }
      }
      sigaction(signal, previous + Int(signal), nil)
      // Sent by kill/raise/abort: deliver it again to the previous action. A fault re-executes the
      // faulting instruction on return and meets the previous action there.
      if code <= 0 { raise(signal) }
    }
  #endif
}

#if os(Linux)
  private let crashHandler: @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void =
    {
      signal, info, _ in
      CrashRecorder.handle(signal, info)
    }
#endif
