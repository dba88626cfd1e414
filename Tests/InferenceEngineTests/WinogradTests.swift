@_spi(Benchmarks) @testable import InferenceEngine
import Testing
import _TestSupport

/// The Winograd F(2x2x2, 3x3x3) convolution (issue 20; WinogradConvolution.swift,
/// Kernels/Winograd+Unsafe.swift): single layers against a float64 loop and against oneDNN's
/// direct convolution (odd extents, edge tiles, several chunks, padded channels, accumulation,
/// depth-window padding, thread counts), and whole networks against the PyTorch goldens with
/// Winograd on every eligible layer.
@Suite("Winograd F(2x2x2, 3x3x3) convolution")
struct WinogradTests {
  struct Layer: CustomStringConvertible {
    var cin: Int
    var cout: Int
    /// Input `[D, H, W]`.
    var spatial: [Int]
    /// Leading zero padding; nil = `[1, 1, 1]` (output = input extent).
    var padding: [Int]? = nil
    var accumulate = false
    var bias = true

    var output: [Int] {
      let p = padding ?? [1, 1, 1]
      return (0..<3).map { spatial[$0] + 2 * p[$0] - 2 }
    }
    var description: String {
      "\(cin)->\(cout) \(spatial) pad \(padding ?? [1, 1, 1])\(accumulate ? " accumulate" : "")\(bias ? "" : " no bias")"
    }
  }

  /// Deterministic values in [-1, 1).
  static func values(_ count: Int, seed: UInt32) -> [Float] {
    var state = seed | 1
    return (0..<count).map { _ in
      state = state &* 1_664_525 &+ 1_013_904_223
      return Float(state >> 8) / Float(1 << 24) * 2 - 1
    }
  }

  struct LayerData {
    var input: [Float]  // plain [cin, D, H, W]
    var weights: [Float]  // [cout, cin, 3, 3, 3]
    var bias: [Float]
    var initial: [Float]  // plain [cout, output], what dst holds before an accumulating layer
  }

  static func data(_ l: Layer) -> LayerData {
    let voxels = l.spatial.reduce(1, *)
    let scale = Float(1 / (Double(l.cin) * 27).squareRoot())
    return LayerData(
      input: values(l.cin * voxels, seed: 11),
      weights: values(l.cout * l.cin * 27, seed: 12).map { $0 * scale },
      bias: l.bias ? values(l.cout, seed: 13).map { $0 * 0.1 } : [],
      initial: values(l.cout * l.output.reduce(1, *), seed: 14))
  }

  /// The layer run by the engine (`convPrimitive`, as a plan runs it) with `algorithm`; plain
  /// `[cout, output]` result, and the implementation that ran.
  static func run(_ l: Layer, _ d: LayerData, algorithm: ConvolutionAlgorithm, threads: Int = 2) throws
    -> (values: [Float], implementation: String)
  {
    let runtime = try DNNLRuntime()
    OpenMPThreads.set(threads)
    defer { OpenMPThreads.set(2) }
    let spec = ArchitectureSpec(
      network: .plainConvUNet, inputChannels: l.cin, numClasses: 1, featuresPerStage: [l.cout, l.cout],
      kernelSizes: [[3, 3, 3], [3, 3, 3]], strides: [[1, 1, 1], [2, 2, 2]], encoderDepthPerStage: [1, 1],
      decoderConvsPerStage: [1])
    let plan = ForwardPlan(
      separateBuffersFor: l.spatial, inputChannels: l.cin, threads: threads, convolutionAlgorithm: algorithm,
      runtime: runtime, scratch: ScratchAllocator(arena: nil, spec: spec, shape: [l.cin] + l.spatial))
    let layer = ConvLayer(
      module: "test.conv", inputChannels: l.cin, outputChannels: l.cout, kernel: [3, 3, 3], stride: [1, 1, 1],
      hasBias: l.bias)
    var weights = [layer.weightKey: d.weights]
    if l.bias { weights[layer.biasKey] = d.bias }
    let builder = PlanBuilder(
      graph: NetworkGraph(spec: spec), plan: plan, prepared: PreparedWeights(runtime), weights: weights)
    let src = builder.acquire(channels: l.cin, spatial: l.spatial).tensor
    let dst = builder.acquire(channels: l.cout, spatial: l.output).tensor
    block(d.input, into: src)
    if l.accumulate { block(d.initial, into: dst) }
    let op = try #require(
      try builder.convPrimitive(
        layer, from: .blocked(src), to: dst, inputSpatial: l.spatial, accumulate: l.accumulate, padding: l.padding))
    try op.execute(runtime)
    // Padding lanes of the output must stay zero (the blocked layout's invariant).
    for c in l.cout..<dst.paddedChannels {
      for v in 0..<dst.voxels where dst.base[((c / 8) * dst.voxels + v) * 8 + c % 8] != 0 {
        Issue.record("\(l): padding lane \(c) voxel \(v) is not zero")
        break
      }
    }
    return (unblock(dst), op.implementation)
  }

  static func block(_ plain: [Float], into t: BlockedTensor) {
    for c in 0..<t.channels {
      for v in 0..<t.voxels { t.base[((c / 8) * t.voxels + v) * 8 + c % 8] = plain[c * t.voxels + v] }
    }
  }

  static func unblock(_ t: BlockedTensor) -> [Float] {
    var out = [Float](repeating: 0, count: t.channels * t.voxels)
    for c in 0..<t.channels {
      for v in 0..<t.voxels { out[c * t.voxels + v] = t.base[((c / 8) * t.voxels + v) * 8 + c % 8] }
    }
    return out
  }

  /// `out[o, z, y, x] = initial? + bias[o] + Σ_{i,k} w[o, i, k]·in[i, (z, y, x) - padding + k]`
  /// in float64 (zeros outside the input).
  static func reference(_ l: Layer, _ d: LayerData) -> [Float] {
    let (D, H, W) = (l.spatial[0], l.spatial[1], l.spatial[2])
    let out = l.output
    let p = l.padding ?? [1, 1, 1]
    var result = [Float](repeating: 0, count: l.cout * out.reduce(1, *))
    var index = 0
    for o in 0..<l.cout {
      for z in 0..<out[0] {
        for y in 0..<out[1] {
          for x in 0..<out[2] {
            var s = l.bias ? Double(d.bias[o]) : 0
            for i in 0..<l.cin {
              for kz in 0..<3 {
                let iz = z - p[0] + kz
                guard iz >= 0 && iz < D else { continue }
                for ky in 0..<3 {
                  let iy = y - p[1] + ky
                  guard iy >= 0 && iy < H else { continue }
                  for kx in 0..<3 {
                    let ix = x - p[2] + kx
                    guard ix >= 0 && ix < W else { continue }
                    s += Double(d.weights[(o * l.cin + i) * 27 + (kz * 3 + ky) * 3 + kx])
                      * Double(d.input[((i * D + iz) * H + iy) * W + ix])
                  }
                }
              }
            }
            if l.accumulate { s += Double(d.initial[index]) }
            result[index] = Float(s)
            index += 1
          }
        }
      }
    }
    return result
  }

  static func relativeL2(_ a: [Float], _ b: [Float]) -> Double {
    var (num, den) = (0.0, 0.0)
    for (x, y) in zip(a, b) {
      num += Double(x - y) * Double(x - y)
      den += Double(y) * Double(y)
    }
    return (num / max(den, 1e-30)).squareRoot()
  }

  static func maxAbsolute(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
  }

  /// Small layers: odd and even extents (edge tiles on every axis), extents of 1 and 2,
  /// channel counts 8/16/32/64 and padded ones (12, 20), no bias, accumulation, and the depth
  /// windows of chunked convolutions (`padding [0, 1, 1]`, input depth = output depth + 2).
  static let small: [Layer] = [
    Layer(cin: 8, cout: 8, spatial: [4, 4, 4]),
    Layer(cin: 8, cout: 16, spatial: [5, 7, 9]),
    Layer(cin: 16, cout: 8, spatial: [1, 1, 1]),
    Layer(cin: 16, cout: 16, spatial: [2, 3, 1], bias: false),
    Layer(cin: 32, cout: 32, spatial: [3, 6, 5]),
    Layer(cin: 12, cout: 20, spatial: [6, 5, 3]),
    Layer(cin: 64, cout: 32, spatial: [3, 4, 5], accumulate: true),
    Layer(cin: 32, cout: 64, spatial: [6, 4, 7], padding: [0, 1, 1]),
    Layer(cin: 8, cout: 12, spatial: [5, 6, 6], padding: [0, 1, 1], accumulate: true),
  ]

  @Test("small layers match a float64 loop and the direct convolution", arguments: small)
  func smallLayers(layer: Layer) throws {
    let d = Self.data(layer)
    let expected = Self.reference(layer, d)
    let winograd = try Self.run(layer, d, algorithm: .winograd)
    let direct = try Self.run(layer, d, algorithm: .direct)
    #expect(winograd.implementation.hasPrefix("winograd"), "\(layer): \(winograd.implementation)")
    #expect(direct.implementation.hasPrefix("jit"), "\(layer): \(direct.implementation)")
    let (wl2, dl2) = (Self.relativeL2(winograd.values, expected), Self.relativeL2(direct.values, expected))
    let (wmax, dmax) = (Self.maxAbsolute(winograd.values, expected), Self.maxAbsolute(direct.values, expected))
    print("\(layer): winograd rel L2 \(wl2) max \(wmax); direct rel L2 \(dl2) max \(dmax)")
    #expect(wl2 <= 1e-6, "\(layer)")
    #expect(wmax <= 1e-5, "\(layer)")
  }

  /// Larger layers: several chunks of tiles per worker (8 channels: 256 tiles per chunk,
  /// 810 tiles; 64: 64 per chunk, 150 tiles), against oneDNN's direct convolution.
  static let multiChunk: [Layer] = [
    Layer(cin: 8, cout: 8, spatial: [17, 18, 19]),
    Layer(cin: 64, cout: 64, spatial: [9, 10, 11]),
    Layer(cin: 32, cout: 16, spatial: [10, 9, 33], padding: [0, 1, 1], accumulate: true),
  ]

  @Test("layers of several tile chunks match the direct convolution", arguments: multiChunk)
  func multiChunkLayers(layer: Layer) throws {
    let d = Self.data(layer)
    let winograd = try Self.run(layer, d, algorithm: .winograd)
    let direct = try Self.run(layer, d, algorithm: .direct)
    let l2 = Self.relativeL2(winograd.values, direct.values)
    let m = Self.maxAbsolute(winograd.values, direct.values)
    print("\(layer): winograd vs direct rel L2 \(l2) max \(m)")
    #expect(l2 <= 1e-6, "\(layer)")
    #expect(m <= 1e-5, "\(layer)")
  }

  @Test("bit-identical at 1, 2 and 3 threads")
  func threadCounts() throws {
    let layer = Layer(cin: 16, cout: 24, spatial: [13, 11, 20])
    let d = Self.data(layer)
    let results = try [1, 2, 3].map { try Self.run(layer, d, algorithm: .winograd, threads: $0).values }
    #expect(results[0] == results[1])
    #expect(results[0] == results[2])
  }

  @Test("the weight transform: U at point (0,0,0) is the corner tap, the centre point sums taps / 8")
  func weightTransform() {
    // One output and input channel, taps 1...27: U[p] for p = (a, b, c) is Π_axis (G g) which
    // for a = b = c = 0 is g[0,0,0] = 1, and for a = b = c = 1 is Σ g / 8 = 378 / 8.
    let w = (1...27).map(Float.init)
    var u = [Float](repeating: -1, count: 64 * 8 * 8)
    w.withUnsafeBufferPointer { wp in
      WinogradKernel.transformWeights(wp.baseAddress!, cout: 1, cin: 1, into: &u, cinPadded: 8, coutPadded: 8)
    }
    let (centre, corner): (Int, Int) = (21 * 64, 63 * 64)  // p = (1,1,1) and (3,3,3), row 0, column 0
    let expectedCentre: Float = 378.0 / 8.0
    #expect(u[0] == 1)
    #expect(u[centre] == expectedCentre)
    #expect(u[corner] == 27)  // the far corner tap
    // Padding rows and columns are zero.
    #expect(u[1] == 0 && u[8] == 0)
  }

  @Test("the .auto rule: Winograd only at >= 32 channels and >= 16^3 output voxels, 3x3x3 stride 1")
  func rule() {
    let cube = [3, 3, 3]
    let one = [1, 1, 1]
    #expect(WinogradConvolution.chosen(.auto, kernel: cube, stride: one, inputChannels: 32, outputChannels: 32, outputSpatial: [16, 16, 16]))
    #expect(!WinogradConvolution.chosen(.auto, kernel: cube, stride: one, inputChannels: 24, outputChannels: 32, outputSpatial: [64, 64, 64]))
    #expect(!WinogradConvolution.chosen(.auto, kernel: cube, stride: one, inputChannels: 320, outputChannels: 320, outputSpatial: [8, 8, 8]))
    #expect(!WinogradConvolution.chosen(.auto, kernel: cube, stride: [2, 2, 2], inputChannels: 32, outputChannels: 64, outputSpatial: [32, 32, 32]))
    #expect(!WinogradConvolution.chosen(.auto, kernel: [1, 3, 3], stride: one, inputChannels: 32, outputChannels: 32, outputSpatial: [32, 32, 32]))
    #expect(!WinogradConvolution.chosen(.direct, kernel: cube, stride: one, inputChannels: 64, outputChannels: 64, outputSpatial: [32, 32, 32]))
    #expect(WinogradConvolution.chosen(.winograd, kernel: cube, stride: one, inputChannels: 8, outputChannels: 8, outputSpatial: [1, 1, 1]))
  }

  @Test("VIBESEG_CONV values: unset or empty is auto, the three names, anything else a clear error")
  func environmentValues() throws {
    #expect(try ConvolutionAlgorithm.parse(environmentValue: nil) == .auto)
    #expect(try ConvolutionAlgorithm.parse(environmentValue: "") == .auto)
    for algorithm in ConvolutionAlgorithm.allCases {
      #expect(try ConvolutionAlgorithm.parse(environmentValue: algorithm.rawValue) == algorithm)
    }
    do {
      _ = try ConvolutionAlgorithm.parse(environmentValue: "Direct")
      Issue.record("an unknown value was accepted")
    } catch let error as EngineError {
      #expect(error.code == .invalidInput)
      #expect(error.message.contains("VIBESEG_CONV=Direct") && error.message.contains("auto, direct, winograd"))
    }
  }

  /// The brief's tolerances against the PyTorch goldens (relative L2 <= 1e-5, max |.| <= 1e-4),
  /// with Winograd on every eligible layer, whole tensors and depth chunks; the printed
  /// direct-path discrepancy beside it.
  @Test("engine goldens with Winograd on every 3x3x3 stride-1 layer", arguments: EngineGolden.names)
  func goldens(name: String) throws {
    let golden = try EngineGolden(name)
    for chunking in [0, Int.max] {
      var results: [ConvolutionAlgorithm: Discrepancy] = [:]
      for algorithm in [ConvolutionAlgorithm.winograd, .direct] {
        let net = try UNet(
          spec: golden.spec, weights: golden.weights,
          options: .init(threads: 2, chunkingThreshold: chunking, convolutionAlgorithm: algorithm))
        let implementations = try net.implementations(shape: golden.input.shape)
        let used = implementations.contains { $0.implementation.hasPrefix("winograd") }
        #expect(used == (algorithm == .winograd), "\(name) \(algorithm): \(implementations)")
        results[algorithm] = Discrepancy(try net.forward(golden.input), golden.logits, nearTie: 1e-3)
      }
      let d = results[.winograd]!
      print("\(name) chunking \(chunking): winograd \(d); direct \(results[.direct]!)")
      #expect(d.relativeL2 <= 1e-5, "\(name): \(d)")
      #expect(d.maxAbsolute <= 1e-4, "\(name): \(d)")
      #expect(d.argmaxMismatches == d.argmaxMismatchesAtNearTies, "\(name): \(d)")
    }
  }

  /// A second tile shape after the plain weights were released, with `.auto` switching a layer
  /// between the algorithms: Winograd then direct (the plain weights of Winograd layers are
  /// kept) and direct then Winograd (transformed from the direct layout reordered back).
  @Test("a second tile shape switching a layer between direct and Winograd")
  func secondShape() throws {
    // 36 channels: the direct path stores the padded `#cin40` variant, which Winograd then
    // reorders back from.
    for width in [32, 36] {
    let spec = ArchitectureSpec(
      network: .plainConvUNet, inputChannels: 1, numClasses: 3, featuresPerStage: [width, 32],
      kernelSizes: [[3, 3, 3], [3, 3, 3]], strides: [[1, 1, 1], [2, 2, 2]], encoderDepthPerStage: [2, 1],
      decoderConvsPerStage: [1])
    let weights = try SyntheticWeights.make(for: spec, seed: 5)
    let (large, small) = ([1, 16, 16, 16], [1, 8, 8, 8])
    for order in [[large, small], [small, large]] {
      let net = try UNet(spec: spec, weights: weights)
      for shape in order {
        let x = OddChannelTests.input(shape)
        let reference = try ReferenceNetwork(spec: spec, weights: weights).forward(x)
        let d = Discrepancy(try net.forward(x), reference, nearTie: 1e-3)
        let winograd = try net.implementations(shape: shape).filter { $0.implementation.hasPrefix("winograd") }
        #expect(winograd.isEmpty == (shape == small), "\(shape): \(winograd)")
        #expect(d.relativeL2 <= 1e-5 && d.maxAbsolute <= 1e-4, "\(width) \(order) \(shape): \(d)")
      }
    }
    }
  }
}
