import CDNNL

/// A oneDNN forward-inference convolution descriptor, before binding memory.
///
/// Padding: PyTorch pads `k // 2` on both sides and drops what the stride does not reach; oneDNN
/// wants the right padding that makes `(n - k + left + right) / s + 1` equal the output size, so
/// `right = (out - 1)·s + k - n - left` (possibly smaller than `left`, never larger).
final class ConvolutionDescriptor {
  let pd: dnnl_primitive_desc_t
  private var owned = true

  /// - Parameters:
  ///   - src, dst: memory descriptors (a concrete layout, or `any` to let oneDNN choose).
  ///   - weightDims: `[Cout, Cin, kd, kh, kw]`; the weights layout is always `any`.
  ///   - hasBias: a 1-D `[Cout]` bias.
  ///   - accumulate: add the result to what `dst` holds (oneDNN's `sum` post-op, scale 1).
  ///   - padding: the leading zero padding per axis (default `kernel / 2`, PyTorch's `padding` for
  ///     odd kernels); the trailing padding follows from the shapes.
  init(
    _ runtime: DNNLRuntime, src: dnnl_memory_desc_t, dst: dnnl_memory_desc_t, weightDims: [Int], hasBias: Bool,
    inputSpatial: [Int], outputSpatial: [Int], kernel: [Int], stride: [Int], accumulate: Bool = false,
    padding: [Int]? = nil, name: String
  ) throws {
    var srcMD = src
    var dstMD = dst
    var weightsMD = try MemoryLayout5D.descriptor(weightDims, dnnl_format_tag_any)
    var biasMD = try MemoryLayout5D.descriptor([weightDims[0]], dnnl_a)
    let left = (padding ?? kernel.map { $0 / 2 }).map(Int64.init)
    var right = [Int64](repeating: 0, count: 3)
    for axis in 0..<3 {
      let reach = (outputSpatial[axis] - 1) * stride[axis] + kernel[axis] - inputSpatial[axis]
      right[axis] = Int64(reach) - left[axis]
    }
    let strides = stride.map(Int64.init)
    var desc = dnnl_convolution_desc_t()
    let status = withUnsafeMutablePointer(to: &biasMD) { bias in
      dnnl_convolution_forward_desc_init(
        &desc, dnnl_forward_inference, dnnl_convolution_direct, &srcMD, &weightsMD, hasBias ? bias : nil, &dstMD,
        strides, left, right)
    }
    try dnnlCheck(status, "convolution descriptor \(name)")
    var attr: dnnl_primitive_attr_t? = nil
    defer { if let attr { dnnl_primitive_attr_destroy(attr) } }
    if accumulate {
      try dnnlCheck(dnnl_primitive_attr_create(&attr), "convolution attributes \(name)")
      var ops: dnnl_post_ops_t? = nil
      try dnnlCheck(dnnl_post_ops_create(&ops), "post-ops \(name)")
      defer { dnnl_post_ops_destroy(ops) }
      try dnnlCheck(dnnl_post_ops_append_sum(ops, 1), "sum post-op \(name)")
      try dnnlCheck(dnnl_primitive_attr_set_post_ops(attr, ops), "post-ops \(name)")
    }
    var pd: dnnl_primitive_desc_t? = nil
    try withUnsafePointer(to: &desc) { d in
      try dnnlCheck(
        dnnl_primitive_desc_create(&pd, UnsafeRawPointer(d), attr, runtime.engine, nil), "convolution \(name)")
    }
    self.pd = pd!
  }

  func md(_ what: dnnl_query_t) -> dnnl_memory_desc_t {
    dnnl_primitive_desc_query_md(pd, what, 0)!.pointee
  }

  /// Hands the descriptor to a `BoundPrimitive`, which destroys it.
  func release() -> dnnl_primitive_desc_t {
    owned = false
    return pd
  }

  deinit { if owned { dnnl_primitive_desc_destroy(pd) } }
}

/// Weights and biases in the layouts the primitives asked for, reordered once and shared by every
/// tile shape whose primitive asks for the same layout.
final class PreparedWeights {
  private let runtime: DNNLRuntime
  private var weights: [String: [(md: dnnl_memory_desc_t, buffer: AlignedBuffer)]] = [:]
  private var biases: [String: AlignedBuffer] = [:]
  private var winograd: [String: AlignedBuffer] = [:]
  /// Plain keys (the part before any `#` variant suffix) with Winograd weights prepared: their
  /// plain values are kept (`UNet`), since no direct layout may exist to reorder from when a
  /// later plan runs the layer directly.
  private(set) var winogradSources: Set<String> = []

  init(_ runtime: DNNLRuntime) { self.runtime = runtime }

  /// The weights under `key` in layout `md`: reordered from an already prepared layout of the
  /// same key when there is one, else from the plain OIDHW `values` of `dims` (so the plain copy
  /// is needed only until the first plan exists).
  func weights(_ key: String, dims: [Int], values: () -> [Float]?, layout md: dnnl_memory_desc_t) throws
    -> UnsafeMutableRawPointer
  {
    let existing = weights[key] ?? []
    if let hit = existing.first(where: { MemoryLayout5D.equal($0.md, md) }) { return hit.buffer.pointer }
    let buffer = AlignedBuffer(byteCount: MemoryLayout5D.byteCount(md))
    if let source = existing.first {
      try reorderOnce(runtime, from: source.md, source.buffer.pointer, to: md, buffer.pointer)
    } else {
      guard var plain = values() else {
        throw EngineError(.backendFailure, "\(key): weights were released before they were prepared", key: key)
      }
      precondition(plain.count == dims.reduce(1, *))
      let plainMD = try MemoryLayout5D.descriptor(dims, dnnl_abcde)
      try plain.withUnsafeMutableBytes { src in
        try reorderOnce(runtime, from: plainMD, src.baseAddress!, to: md, buffer.pointer)
      }
    }
    weights[key, default: []].append((md, buffer))
    return buffer.pointer
  }

  /// The bias under `key` as an aligned float array.
  func bias(_ key: String, values: () -> [Float]?) throws -> UnsafeMutableRawPointer {
    if let hit = biases[key] { return hit.pointer }
    guard let v = values() else {
      throw EngineError(.backendFailure, "\(key): bias was released before it was prepared", key: key)
    }
    let buffer = AlignedBuffer(byteCount: v.count * 4)
    v.withUnsafeBytes { buffer.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    biases[key] = buffer
    return buffer.pointer
  }

  /// The weights under `key` (plain OIDHW `dims = [Cout, Cin, 3, 3, 3]`) transformed for
  /// Winograd F(2x2x2, 3x3x3) with `k >= Cin` input and `n >= Cout` output channels
  /// (`WinogradKernel.transformWeights`); from `values`, else reordered back to plain from an
  /// already prepared direct layout of `key` (or of its `#cin` padded variant).
  func winogradWeights(_ key: String, dims: [Int], values: () -> [Float]?, inputChannels k: Int, outputChannels n: Int)
    throws -> UnsafePointer<Float>
  {
    let id = key + "#winograd\(k)x\(n)"
    if let hit = winograd[id] { return UnsafePointer(hit.floats) }
    var plain = values()
    var plainDims = dims
    // A direct layout of `key`, or of its input-channel-padded variant (`key#cin<k>`, zero
    // weights on the padding channels, which the transform pads with zeros anyway).
    let direct = weights[key]?.first ?? weights.first { $0.key.hasPrefix(key + "#cin") }?.value.first
    if plain == nil, let source = direct {
      plainDims[1] = Int(source.md.dims.1)
      var restored = [Float](repeating: 0, count: plainDims.reduce(1, *))
      let plainMD = try MemoryLayout5D.descriptor(plainDims, dnnl_abcde)
      try restored.withUnsafeMutableBytes { out in
        try reorderOnce(runtime, from: source.md, source.buffer.pointer, to: plainMD, out.baseAddress!)
      }
      plain = restored
    }
    guard let plain, plain.count == plainDims.reduce(1, *), plainDims[1] <= k, Array(dims[2...]) == [3, 3, 3] else {
      throw EngineError(.backendFailure, "\(key): weights were released before they were prepared", key: key)
    }
    let buffer = AlignedBuffer(byteCount: 64 * k * n * 4)
    plain.withUnsafeBufferPointer {
      WinogradKernel.transformWeights(
        $0.baseAddress!, cout: plainDims[0], cin: plainDims[1], into: buffer.floats, cinPadded: k, coutPadded: n)
    }
    winograd[id] = buffer
    winogradSources.insert(String(key.prefix { $0 != "#" }))
    return UnsafePointer(buffer.floats)
  }

  /// Bytes held by the prepared tensors.
  var byteCount: Int {
    weights.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.buffer.byteCount } }
      + biases.values.reduce(0) { $0 + $1.byteCount } + winograd.values.reduce(0) { $0 + $1.byteCount }
  }
}
