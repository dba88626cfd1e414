import CDNNL

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A zero-filled, 64-byte aligned allocation that lives as long as the object.
final class AlignedBuffer {
  let pointer: UnsafeMutableRawPointer
  let byteCount: Int

  /// - Precondition: `byteCount >= 0`.
  init(byteCount: Int) {
    precondition(byteCount >= 0)
    self.byteCount = byteCount
    pointer = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 64), alignment: 64)
    memset(pointer, 0, max(byteCount, 64))
  }

  var floats: UnsafeMutablePointer<Float> { pointer.assumingMemoryBound(to: Float.self) }

  deinit { pointer.deallocate() }
}

/// Memory descriptors for the layouts the engine uses.
enum MemoryLayout5D {
  /// `dims` with a format tag (`dnnl_aBcde8b` = nCdhw8c, `dnnl_abcde` = plain NCDHW/OIDHW,
  /// `dnnl_a` = 1-D, `dnnl_format_tag_any` = let the primitive choose).
  static func descriptor(_ dims: [Int], _ tag: dnnl_format_tag_t) throws -> dnnl_memory_desc_t {
    var md = dnnl_memory_desc_t()
    let d = dims.map(Int64.init)
    try dnnlCheck(dnnl_memory_desc_init_by_tag(&md, Int32(d.count), d, dnnl_f32, tag), "memory descriptor \(dims)")
    return md
  }

  static func equal(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
    withUnsafePointer(to: a) { pa in withUnsafePointer(to: b) { pb in dnnl_memory_desc_equal(pa, pb) != 0 } }
  }

  static func byteCount(_ md: dnnl_memory_desc_t) -> Int {
    withUnsafePointer(to: md) { Int(dnnl_memory_desc_get_size($0)) }
  }
}

/// A `dnnl_memory_t` over caller-owned storage (the handle is never owned).
final class DNNLMemory {
  let handle: dnnl_memory_t

  init(_ md: dnnl_memory_desc_t, _ runtime: DNNLRuntime, _ data: UnsafeMutableRawPointer) throws {
    var m: dnnl_memory_t? = nil
    try withUnsafePointer(to: md) {
      try dnnlCheck(dnnl_memory_create(&m, $0, runtime.engine, data), "dnnl_memory_create")
    }
    handle = m!
  }

  deinit { dnnl_memory_destroy(handle) }
}

/// A created primitive with its bound arguments; `execute` runs it and waits.
final class BoundPrimitive {
  let primitive: dnnl_primitive_t
  let name: String
  /// oneDNN's implementation name (`jit:avx2`, `jit_1x1:avx2`, `gemm:jit`, ...).
  let implementation: String
  private let memories: [DNNLMemory]
  private var args: [dnnl_exec_arg_t]

  /// Takes ownership of `descriptor` (destroyed here after creating the primitive).
  init(descriptor: dnnl_primitive_desc_t, name: String, arguments: [(Int32, DNNLMemory)]) throws {
    defer { dnnl_primitive_desc_destroy(descriptor) }
    var p: dnnl_primitive_t? = nil
    try dnnlCheck(dnnl_primitive_create(&p, descriptor), "dnnl_primitive_create \(name)")
    primitive = p!
    self.name = name
    implementation = BoundPrimitive.implementationName(descriptor)
    memories = arguments.map(\.1)
    args = arguments.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.handle) }
  }

  static func implementationName(_ pd: const_dnnl_primitive_desc_t) -> String {
    var info: UnsafePointer<CChar>? = nil
    guard dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &info) == dnnl_success, let info else {
      return "?"
    }
    return String(cString: info)
  }

  func execute(_ runtime: DNNLRuntime) throws {
    let count = Int32(args.count)
    let status = args.withUnsafeBufferPointer {
      dnnl_primitive_execute(primitive, runtime.stream, count, $0.baseAddress)
    }
    try dnnlCheck(status, "executing \(name)")
    try dnnlCheck(dnnl_stream_wait(runtime.stream), "waiting for \(name)")
  }

  deinit { dnnl_primitive_destroy(primitive) }
}

/// Runs a one-off reorder `src -> dst` (weights at load time).
func reorderOnce(
  _ runtime: DNNLRuntime, from srcMD: dnnl_memory_desc_t, _ src: UnsafeMutableRawPointer, to dstMD: dnnl_memory_desc_t,
  _ dst: UnsafeMutableRawPointer
) throws {
  let reorder = try makeReorder(runtime, from: srcMD, src, to: dstMD, dst, name: "weight reorder")
  try reorder.execute(runtime)
}

func makeReorder(
  _ runtime: DNNLRuntime, from srcMD: dnnl_memory_desc_t, _ src: UnsafeMutableRawPointer, to dstMD: dnnl_memory_desc_t,
  _ dst: UnsafeMutableRawPointer, name: String
) throws -> BoundPrimitive {
  var pd: dnnl_primitive_desc_t? = nil
  try withUnsafePointer(to: srcMD) { s in
    try withUnsafePointer(to: dstMD) { d in
      try dnnlCheck(
        dnnl_reorder_primitive_desc_create(&pd, s, runtime.engine, d, runtime.engine, nil), "reorder descriptor \(name)"
      )
    }
  }
  return try BoundPrimitive(
    descriptor: pd!, name: name,
    arguments: [
      (DNNL_ARG_FROM, try DNNLMemory(srcMD, runtime, src)), (DNNL_ARG_TO, try DNNLMemory(dstMD, runtime, dst)),
    ])
}
