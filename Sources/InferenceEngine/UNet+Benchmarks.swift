import Dispatch

/// The time one plan step took (benchmarks only; not a stable API).
@_spi(Benchmarks)
public struct StepTiming: Sendable {
  /// `convolution`, `transposed-conv 1x1x1 GEMM`, `voxel shuffle`, `norm statistics`, ...
  public var kind: String
  /// The PyTorch module the step belongs to.
  public var label: String
  /// Nominal FLOPs (0 for memory-bound steps).
  public var flops: Double
  /// Convolutions: `[Cin, Cout, kd, kh, kw, sd, sh, sw, D, H, W]` (input spatial shape).
  public var geometry: [Int]
  public var seconds: Double
}

extension UNet {
  /// Runs the plan for `shape` once, timing every step.
  @_spi(Benchmarks)
  public func profile(input: [Float], shape: [Int]) throws -> [StepTiming] {
    try prepare(shape: shape)
    let plan = try planForProfiling(shape)
    OpenMPThreads.set(options.threads)
    precondition(input.count * 4 == plan.input.byteCount)
    input.withUnsafeBytes { plan.input.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    // The head's steps write the plain logits here (as `forward` would).
    var logits = [Float](repeating: 0, count: spec.numClasses * shape.dropFirst().reduce(1, *))
    var timings: [StepTiming] = []
    try logits.withUnsafeMutableBufferPointer { out in
      plan.output.pointer = out.baseAddress
      defer { plan.output.pointer = nil }
    for step in plan.steps {
      let start = DispatchTime.now().uptimeNanoseconds
      try step.body()
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
      timings.append(
        .init(kind: step.kind.rawValue, label: step.label, flops: step.flops, geometry: step.geometry, seconds: seconds)
      )
    }
    }
    return timings
  }

  /// The oneDNN version the engine runs on.
  @_spi(Benchmarks)
  public static var backendVersion: String { DNNLRuntime.version }
}

/// Deterministic random weights for any spec (benchmarks and tests without a checkpoint):
/// convolution weights uniform with He variance `2 / fan_in`, biases uniform in ±0.05, norm
/// weights 1 and biases 0 (PyTorch's InstanceNorm initialisation).
@_spi(Benchmarks)
public enum SyntheticWeights {
  public static func make(for spec: ArchitectureSpec, seed: UInt64 = 1) throws -> InMemoryWeights {
    try spec.validate()
    var state = seed | 1
    func uniform() -> Float {
      state ^= state << 13
      state ^= state >> 7
      state ^= state << 17
      return Float(state >> 40) / Float(1 << 24) * 2 - 1
    }
    var entries: [(key: String, shape: [Int], values: [Float])] = []
    for p in NetworkGraph(spec: spec).parameters {
      let count = p.shape.reduce(1, *)
      let values: [Float]
      if p.key.hasSuffix(".norm.weight") {
        values = .init(repeating: 1, count: count)
      } else if p.key.hasSuffix(".norm.bias") {
        values = .init(repeating: 0, count: count)
      } else if p.shape.count == 1 {
        values = (0..<count).map { _ in 0.05 * uniform() }
      } else {
        let fanIn = p.key.contains(".transpconvs.") ? p.shape[0] : count / p.shape[0]
        let a = Float((6.0 / Double(fanIn)).squareRoot())
        values = (0..<count).map { _ in a * uniform() }
      }
      entries.append((p.key, p.shape, values))
    }
    return InMemoryWeights(entries)
  }
}

/// Single-layer timings of the engine's kernels, as the network runs them (benchmarks only).
@_spi(Benchmarks)
public enum LayerBenchmark {
  /// Median seconds of one `Conv3d(cin, cout, kernel, stride, padding k//2, bias)` on a
  /// `[1, cin, D, H, W]` input in the engine's layout (nCdhw8c in and out, or plain input when
  /// `cin < 8` and oneDNN takes it, as the first layer does), weights prepared once, `repeats`
  /// timed runs after one warm-up. With `transposed`, the layer is
  /// `ConvTranspose3d(cin, cout, kernel = stride)` as the engine runs it: 1x1x1 GEMM + voxel shuffle.
  /// `algorithm`: how a stride-1 3x3x3 layer runs (`UNet.Options.convolutionAlgorithm`).
  public static func convolution(
    inputChannels cin: Int, outputChannels cout: Int, kernel: [Int], stride: [Int], spatial: [Int],
    transposed: Bool = false, threads: Int = 2, repeats: Int = 5, algorithm: ConvolutionAlgorithm = .auto
  ) throws -> Double {
    // A two-stage PlainConvUNet shell whose plan holds exactly the layer wanted is overkill; build
    // the steps directly with the plan builder's own functions instead.
    let runtime = try DNNLRuntime()
    OpenMPThreads.set(threads)
    let spec = ArchitectureSpec(
      network: .plainConvUNet, inputChannels: cin, numClasses: 1, featuresPerStage: [cout, cout],
      kernelSizes: transposed ? [[1, 1, 1], [1, 1, 1]] : [kernel, kernel], strides: [[1, 1, 1], stride],
      encoderDepthPerStage: [1, 1],
      decoderConvsPerStage: [1])
    let graph = NetworkGraph(spec: spec)
    let plan = ForwardPlan(
      separateBuffersFor: spatial, inputChannels: cin, threads: threads, convolutionAlgorithm: algorithm, runtime: runtime,
      scratch: ScratchAllocator(arena: nil, spec: spec, shape: [cin] + spatial))
    plan.input = AlignedBuffer(byteCount: cin * spatial.reduce(1, *) * 4)
    let weights = try graph.bind(SyntheticWeights.make(for: spec))
    let builder = PlanBuilder(graph: graph, plan: plan, prepared: PreparedWeights(runtime), weights: weights)
    let source = builder.acquire(channels: cin, spatial: spatial)
    if transposed {
      let up = TransposedConvLayer(
        module: "bench", inputChannels: cin, outputChannels: cout, stride: stride, hasBias: true)
      let out = builder.acquire(channels: cout, spatial: (0..<3).map { spatial[$0] * stride[$0] })
      var w = weights
      w[up.weightKey] = [Float](repeating: 0.01, count: up.weightShape.reduce(1, *))
      w[up.biasKey] = [Float](repeating: 0, count: cout)
      let b2 = PlanBuilder(graph: graph, plan: plan, prepared: PreparedWeights(runtime), weights: w)
      try b2.upsample(up, from: source.tensor, to: out.tensor)
    } else {
      let layer = ConvLayer(
        module: "encoder.stages.1.0.convs.0.conv", inputChannels: cin, outputChannels: cout, kernel: kernel,
        stride: stride, hasBias: true)
      let out = builder.acquire(channels: cout, spatial: layer.outputSpatial(spatial))
      var w = weights
      w[layer.weightKey] = [Float](repeating: 0.01, count: layer.weightShape.reduce(1, *))
      let b2 = PlanBuilder(graph: graph, plan: plan, prepared: PreparedWeights(runtime), weights: w)
      try b2.conv(layer, from: cin < 8 ? .plainInput : .blocked(source.tensor), to: out.tensor, inputSpatial: spatial)
    }
    func once() throws -> Double {
      let start = DispatchTime.now().uptimeNanoseconds
      for step in plan.steps { try step.body() }
      return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    }
    _ = try once()
    let times = try (0..<repeats).map { _ in try once() }.sorted()
    return times[times.count / 2]
  }
}
