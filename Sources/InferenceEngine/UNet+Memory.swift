#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension UNet {
  /// Activation memory of a plan for `shape` (`[C, D, H, W]`), worked out without weights or
  /// primitives: the plan is built in recording mode (every buffer's size and lifetime, see
  /// `BufferPool`) and laid out as `forward` would lay it out.
  ///
  /// `packedBytes`: the one block holding every activation (`PoolLayout`), what a plan holds;
  /// `peakLiveBytes`: the largest sum of buffers alive at one moment (the packing's lower bound).
  /// Neither counts the input staging buffer (`C·D·H·W` floats) nor Winograd's per-worker scratch.
  public static func plannedActivationBytes(spec: ArchitectureSpec, shape: [Int], options: Options = .init()) throws
    -> (packedBytes: Int, peakLiveBytes: Int)
  {
    try spec.validate()
    let runtime = try DNNLRuntime()
    let lifetimes = try recordLifetimes(
      graph: NetworkGraph(spec: spec), shape: shape, options: options, runtime: runtime,
      prepared: PreparedWeights(runtime), weights: nil)
    let events = lifetimes.reduce(0) { max($0, ($1.end ?? $1.start) + 1) }
    var live = [Int](repeating: 0, count: events + 1)
    for l in lifetimes {
      for t in l.start...(l.end ?? events) { live[t] += l.bytes }
    }
    return (PoolLayout(lifetimes).byteCount, live.max() ?? 0)
  }
}

extension UNet {
  /// Bytes of activation memory held by the cached plans (every tile shape run so far): the
  /// packed block, input staging and Winograd scratch. Folds sharing an `ActivationArena` share
  /// these buffers: count them once per model.
  public var heldActivationBytes: Int { plans.values.reduce(0) { $0 + $1.activationBytes } }
}

/// The process's resident-memory high-water mark (`getrusage`'s `ru_maxrss`), in bytes.
public enum PeakMemory {
  public static var residentBytes: Int {
    var usage = rusage()
    #if os(Linux)
    let who = __rusage_who_t(RUSAGE_SELF.rawValue)
    #else
    let who = RUSAGE_SELF
    #endif
    guard getrusage(who, &usage) == 0 else { return 0 }
    #if os(Linux)
    return Int(usage.ru_maxrss) * 1024  // kilobytes on Linux
    #else
    return Int(usage.ru_maxrss)  // bytes on Darwin
    #endif
  }
}
