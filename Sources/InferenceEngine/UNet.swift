/// An nnU-Net PlainConvUNet or ResidualEncoderUNet, ready to run on the CPU.
///
/// ```swift
/// let net = try UNet(spec: spec, weights: checkpoint)          // strict binding
/// let logits = try net.forward(input: tile, shape: [1, 128, 96, 128])   // [K, 128, 96, 128]
/// let labels = Tensor(shape: [net.spec.numClasses, 128, 96, 128], values: logits).argmaxOverChannels()
/// ```
///
/// The forward pass is PyTorch's eval-mode `network(x)` with `deep_supervision=False`
/// (nnunet-inference.md section 3) in float32: convolutions run in oneDNN with activations kept in
/// the blocked `nCdhw8c` layout from the first layer to the last (large stride-1 3x3x3 ones by the
/// engine's Winograd F(2x2x2, 3x3x3), `Options.convolutionAlgorithm`); instance norm, LeakyReLU, the
/// residual additions, average pooling and the transposed convolutions' voxel shuffle are the
/// engine's own fused passes.
///
/// Per tile shape, the first `forward` builds a plan (primitives, reordered weights, every
/// activation buffer); later calls with the same shape allocate nothing but the returned array.
/// The segmentation head writes the plain logits straight into that array, 16 classes at a time
/// (and, for large tiles, 4 depth slices at a time), so no blocked copy of the K-class output
/// exists; residual blocks run their second convolution in depth chunks in place, so a
/// full-resolution block holds two tensors (`plannedActivationBytes`).
/// Plans are cached per shape until `releasePlans()`.
///
/// Results are bit-identical across runs and thread counts (tested): oneDNN's direct and 1x1
/// forward convolutions reduce each output in a fixed order regardless of threads, and the
/// engine's kernels (the Winograd convolution included) split work into thread-count-independent
/// items.
///
/// Not thread-safe: one `UNet` runs one forward pass at a time (use one instance per thread).
public final class UNet {
  /// Execution settings.
  public struct Options: Hashable, Sendable {
    /// Threads for oneDNN (the OpenMP team of the calling thread) and for the engine's kernels.
    /// Default 2.
    public var threads: Int
    /// Stride-1 convolutions whose output has at least this many bytes run in depth chunks, in
    /// place over their input (the decoder's first one over the skip, upsampling per chunk), so
    /// that each large level holds one full-size tensor instead of two or three. Default 16 MiB;
    /// 0 chunks every layer that can be, `Int.max` none. The logits are the same either way
    /// (tested bit for bit); the activation memory and, slightly, the time are not.
    public var chunkingThreshold: Int
    /// Convolutions over a blocked activation whose channel count is not a multiple of 8 read it
    /// as its padded channel count with zero weights on the padding lanes, so that oneDNN runs
    /// its JIT kernels for every width (with fewer than 8 channels it otherwise falls back to
    /// `ref:any`, 5-10x slower). Default true; the logits are the same either way (tested against
    /// the PyTorch goldens both ways). False only to measure the old path.
    public var padsInputChannels: Bool
    /// How stride-1 3x3x3 convolutions run: `.auto` (default) by Winograd F(2x2x2, 3x3x3) on
    /// the layers where it measured faster (`WinogradConvolution.isWorthwhile`), `.direct` by
    /// oneDNN's direct convolution everywhere, `.winograd` by Winograd wherever possible. The
    /// logits agree to float32 rounding (relative L2 ~1e-7, tested against the PyTorch goldens
    /// every way); Winograd's transformed weights take 2.4x the direct layout's memory.
    public var convolutionAlgorithm: ConvolutionAlgorithm
    public init(
      threads: Int = 2, chunkingThreshold: Int = 16 << 20, padsInputChannels: Bool = true,
      convolutionAlgorithm: ConvolutionAlgorithm = .auto
    ) {
      self.threads = max(1, threads)
      self.chunkingThreshold = max(0, chunkingThreshold)
      self.padsInputChannels = padsInputChannels
      self.convolutionAlgorithm = convolutionAlgorithm
    }
  }

  public let spec: ArchitectureSpec
  public let options: Options
  let graph: NetworkGraph
  private var plainWeights: [String: [Float]]?
  private let runtime: DNNLRuntime
  private let prepared: PreparedWeights
  var plans: [[Int]: ForwardPlan] = [:]
  /// Scratch memory shared with other networks of the same architecture (nil: private).
  public let arena: ActivationArena?

  /// Binds `weights` to the architecture of `spec`.
  ///
  /// Strict: every parameter of the PyTorch module must be present under its `state_dict` key
  /// with exactly the expected shape, and the source may hold nothing else except the aliases
  /// PyTorch stores twice (`*.all_modules.*`, `decoder.encoder.*`) and the unused deep-supervision
  /// heads `decoder.seg_layers.{0..<n_stages-2}` (shape-checked when present).
  ///
  /// - Throws: `EngineError` `.invalidArchitecture` from `spec.validate()`, `.missingParameter`,
  ///   `.shapeMismatch` (`<key>: expected [..], found [..]`), `.invalidWeightData`,
  ///   `.unexpectedParameters`, or `.backendFailure` when oneDNN cannot be initialised.
  ///
  /// `arena`: give the folds of one model the same `ActivationArena` to hold one set of
  /// activation buffers between them (they must then run one at a time).
  public init(
    spec: ArchitectureSpec, weights: some WeightSource, options: Options = .init(), arena: ActivationArena? = nil
  ) throws {
    try spec.validate()
    self.spec = spec
    self.options = options
    self.arena = arena
    graph = NetworkGraph(spec: spec)
    plainWeights = try graph.bind(weights)
    runtime = try DNNLRuntime()
    prepared = PreparedWeights(runtime)
  }

  /// Checks a `[C, D, H, W]` input shape against the network.
  ///
  /// - Throws: `EngineError(.invalidInput)` when the channel count differs from
  ///   `spec.inputChannels`, an extent is not positive, or a spatial extent is not a multiple of
  ///   `spec.requiredTileDivisor` (nnU-Net pads tiles to the patch size, which always is).
  public func validateInputShape(_ shape: [Int]) throws {
    guard shape.count == 4 else {
      throw EngineError(.invalidInput, "input shape \(describeShape(shape)) must be [C, D, H, W]")
    }
    guard shape[0] == spec.inputChannels else {
      throw EngineError(
        .invalidInput,
        "input shape \(describeShape(shape)) has \(shape[0]) channels; the network takes \(spec.inputChannels)")
    }
    let divisor = spec.requiredTileDivisor
    for axis in 0..<3 where shape[axis + 1] <= 0 || shape[axis + 1] % divisor[axis] != 0 {
      throw EngineError(
        .invalidInput,
        "input shape \(describeShape(shape)): spatial extent \(shape[axis + 1]) on axis \(axis) is not a positive multiple of \(divisor[axis]), the product of the network's strides on that axis; pad the tile"
      )
    }
  }

  /// Builds (or finds) the plan for a `[C, D, H, W]` tile shape without running it.
  public func prepare(shape: [Int]) throws {
    _ = try plan(for: shape)
  }

  /// The network's logits for one tile.
  ///
  /// - Parameters:
  ///   - input: `C·D·H·W` values in the plain layout `[C, D, H, W]` (see `Tensor`).
  ///   - shape: `[C, D, H, W]`, validated by `validateInputShape`.
  /// - Returns: `K·D·H·W` logits, plain `[K, D, H, W]`, `K = spec.numClasses`.
  public func forward(input: [Float], shape: [Int]) throws -> [Float] {
    var output: [Float] = []
    try forward(input: input, shape: shape, into: &output)
    return output
  }

  /// `forward(input:shape:)` writing into `output`, which is resized to `K·D·H·W` only when its
  /// count differs (so a caller looping over tiles reuses one array).
  public func forward(input: [Float], shape: [Int], into output: inout [Float]) throws {
    let plan = try readyPlan(input: input, shape: shape)
    let count = spec.numClasses * shape.dropFirst().reduce(1, *)
    if output.count != count {
      output = []  // free the old array before allocating the new one: one logits-sized array at a time
      output = [Float](repeating: 0, count: count)
    }
    try input.withUnsafeBufferPointer { x in
      try output.withUnsafeMutableBufferPointer { y in try plan.run(input: x, output: y.baseAddress!) }
    }
  }

  /// The network's logits for one tile, handed to `consume` one slice of classes at a time
  /// (`LogitSlice`, in class order, each valid only during its call) straight from the head's
  /// buffer: no `K·D·H·W` array is allocated. Same values as `forward(input:shape:)`.
  public func forward(input: [Float], shape: [Int], slices consume: (LogitSlice) throws -> Void) throws {
    let plan = try readyPlan(input: input, shape: shape)
    try withoutActuallyEscaping(consume) { consumer in
      try input.withUnsafeBufferPointer { x in try plan.run(input: x, slices: consumer) }
    }
  }

  /// The plan for `shape` after checking `input` against it, with this network's OpenMP threads set.
  private func readyPlan(input: [Float], shape: [Int]) throws -> ForwardPlan {
    try validateInputShape(shape)
    guard input.count == shape.reduce(1, *) else {
      throw EngineError(
        .invalidInput, "input has \(input.count) values; shape \(describeShape(shape)) needs \(shape.reduce(1, *))")
    }
    let plan = try plan(for: shape)
    OpenMPThreads.set(options.threads)
    return plan
  }

  /// `forward` on a `Tensor`: returns the logits as a `[K, D, H, W]` tensor.
  public func forward(_ input: Tensor) throws -> Tensor {
    let logits = try forward(input: input.values, shape: input.shape)
    return Tensor(shape: [spec.numClasses] + input.spatialShape, values: logits)
  }

  /// Drops every cached plan and its activation buffers (prepared weights stay).
  public func releasePlans() { plans = [:] }

  /// Drops the plain weights of convolutions still kept after the first plan (those prepared
  /// only for Winograd, kept in case a later tile shape runs them directly; the small norm
  /// parameters stay). Cached plans keep working; a plan for a new tile shape that needs the
  /// dropped weights throws `.backendFailure` ("weights were released before they were
  /// prepared"). For callers that run one tile shape, as the sliding window does.
  public func releasePlainWeights() {
    guard !plans.isEmpty else { return }
    plainWeights = plainWeights?.filter { Self.isNormParameter($0.key) }
    FreedMemory.release()
  }

  /// Bytes of activation buffers held by the plan for `shape` (nil when none is cached).
  public func activationBytes(shape: [Int]) -> Int? { plans[shape]?.activationBytes }

  /// Bytes of weights in oneDNN's layouts.
  public var preparedWeightBytes: Int { prepared.byteCount }

  /// `(layer, oneDNN implementation)` per primitive of the plan for `shape`, e.g.
  /// `("encoder.stages.0.0.convs.0.conv", "jit:avx2")`; for benchmarks and diagnostics.
  public func implementations(shape: [Int]) throws -> [(layer: String, implementation: String)] {
    try plan(for: shape).implementations.map { ($0.module, $0.implementation) }
  }

  fileprivate func plan(for shape: [Int]) throws -> ForwardPlan {
    try validateInputShape(shape)
    if let plan = plans[shape] { return plan }
    OpenMPThreads.set(options.threads)
    // Built twice: once recording every activation's size and lifetime, then for real with the
    // activations packed by lifetime into one block (BufferPool, PoolLayout).
    let lifetimes = try Self.recordLifetimes(
      graph: graph, shape: shape, options: options, runtime: runtime, prepared: prepared, weights: plainWeights)
    let plan = ForwardPlan(
      tile: Array(shape.dropFirst()), inputChannels: shape[0], threads: options.threads,
      chunkingThreshold: options.chunkingThreshold, padsInputChannels: options.padsInputChannels,
      convolutionAlgorithm: options.convolutionAlgorithm, runtime: runtime, scratch: ScratchAllocator(arena: arena, spec: spec, shape: shape), layout: PoolLayout(lifetimes))
    try PlanBuilder(graph: graph, plan: plan, prepared: prepared, weights: plainWeights).build()
    plans[shape] = plan
    // Every convolution weight and bias now exists in a prepared layout and later plans reorder
    // from those; only the (small) norm parameters stay in plain form, and the weights of layers
    // run by Winograd (a later plan may run them directly, with no direct layout to start from).
    let keep = prepared.winogradSources
    plainWeights = plainWeights?.filter { Self.isNormParameter($0.key) || keep.contains($0.key) }
    FreedMemory.release()
    return plan
  }

  /// The size and lifetime of every activation buffer of a plan for `shape`, from a recording
  /// build (no primitive created, no weight prepared; `BufferPool`).
  static func recordLifetimes(
    graph: NetworkGraph, shape: [Int], options: Options, runtime: DNNLRuntime, prepared: PreparedWeights,
    weights: [String: [Float]]?
  ) throws -> [BufferPool.Lifetime] {
    let recording = ForwardPlan(
      tile: Array(shape.dropFirst()), inputChannels: shape[0], threads: options.threads,
      chunkingThreshold: options.chunkingThreshold, padsInputChannels: options.padsInputChannels,
      convolutionAlgorithm: options.convolutionAlgorithm, runtime: runtime,
      scratch: ScratchAllocator(arena: nil, spec: graph.spec, shape: shape), layout: nil)
    try PlanBuilder(graph: graph, plan: recording, prepared: prepared, weights: weights).build()
    return recording.pool.lifetimes
  }

  /// Instance-norm parameters (`*.norm.weight`, `*.norm.bias`): small, kept in plain form for
  /// every later plan.
  static func isNormParameter(_ key: String) -> Bool { key.hasSuffix(".norm.weight") || key.hasSuffix(".norm.bias") }
}

extension UNet {
  /// The cached plan for `shape` (benchmark profiling).
  func planForProfiling(_ shape: [Int]) throws -> ForwardPlan { try plan(for: shape) }
}
