import CDNNL

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Converts a oneDNN status into `EngineError(.backendFailure)`; every C call is checked here.
@inline(__always)
func dnnlCheck(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws {
  guard status == dnnl_success else {
    throw EngineError(.backendFailure, "oneDNN failed (status \(status.rawValue)) in \(what())")
  }
}

/// One oneDNN CPU engine and its in-order stream. Primitives run synchronously on the calling
/// thread's OpenMP team.
final class DNNLRuntime {
  let engine: dnnl_engine_t
  let stream: dnnl_stream_t

  init() throws {
    var e: dnnl_engine_t? = nil
    try dnnlCheck(dnnl_engine_create(&e, dnnl_cpu, 0), "dnnl_engine_create")
    var s: dnnl_stream_t? = nil
    let status = dnnl_stream_create(&s, e, dnnl_stream_default_flags.rawValue)
    guard status == dnnl_success, let e, let s else {
      if let e { dnnl_engine_destroy(e) }
      throw EngineError(.backendFailure, "oneDNN failed (status \(status.rawValue)) in dnnl_stream_create")
    }
    engine = e
    stream = s
  }

  deinit {
    dnnl_stream_destroy(stream)
    dnnl_engine_destroy(engine)
  }

  /// The oneDNN library version, e.g. `2.6.3`.
  static var version: String {
    guard let v = dnnl_version() else { return "unknown" }
    return "\(v.pointee.major).\(v.pointee.minor).\(v.pointee.patch)"
  }
}

/// The OpenMP thread count of the calling thread (oneDNN's libdnnl is built with libgomp).
///
/// `omp_set_num_threads` is looked up in the already-loaded OpenMP runtime with `dlsym` because
/// the CDNNL shim does not include `omp.h`; the setting is per calling thread (an OpenMP ICV), so
/// `UNet.forward` applies it at every call.
enum OpenMPThreads {
  private typealias SetFunction = @convention(c) (Int32) -> Void
  private typealias GetFunction = @convention(c) () -> Int32

  private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
    dlsym(UnsafeMutableRawPointer(bitPattern: 0), name)
  }

  /// Sets the team size for subsequent oneDNN primitives on this thread; false when no OpenMP
  /// runtime is loaded (then oneDNN uses its default).
  @discardableResult
  static func set(_ count: Int) -> Bool {
    guard let f = symbol("omp_set_num_threads") else { return false }
    unsafeBitCast(f, to: SetFunction.self)(Int32(count))
    return true
  }

  /// `omp_get_max_threads()` on this thread, nil without an OpenMP runtime.
  static var current: Int? {
    guard let f = symbol("omp_get_max_threads") else { return nil }
    return Int(unsafeBitCast(f, to: GetFunction.self)())
  }
}
