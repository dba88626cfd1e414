@_spi(Benchmarks) import InferenceEngine
import Testing
import _TestSupport

/// Networks whose channel counts are not multiples of the 8-channel block (issue 20): every
/// oneDNN primitive must be a JIT one (`jit:avx2`, `jit_1x1:avx2`; `simple:any` is the input
/// reorder), never the `ref:any` fallback oneDNN 2.6 takes for a 3x3x3 or strided convolution
/// over 1-7 blocked channels, and the logits must still be PyTorch's.
/// `UNet.Options.padsInputChannels` (ForwardPlan+Building.swift, `paddingInputChannels`).
@Suite("Odd channel counts run on the JIT kernels")
struct OddChannelTests {
  /// The goldens with widths that are not multiples of 8: [4, 6, 12] with 2 input channels
  /// (PlainConvUNet) and [4, 6, 10] with 1 input channel and no conv bias (ResidualEncoderUNet).
  static let oddGoldens = ["plain_3stage_c2_oddchannels", "resenc_3stage_c1_nobias_oddchannels"]

  /// Synthetic architectures with the widths the issue names (6, 12, 20) and 1-3 input channels;
  /// checked against the float64 reference path, which matches PyTorch to 1e-5 on every golden.
  static let synthetic: [(name: String, spec: ArchitectureSpec, input: [Int])] = {
    let k = [[1, 3, 3], [3, 3, 3], [3, 3, 3]]
    let s = [[1, 1, 1], [1, 2, 2], [2, 2, 2]]
    return [
      ("plain 3ch 6-12-20", ArchitectureSpec(
        network: .plainConvUNet, inputChannels: 3, numClasses: 5, featuresPerStage: [6, 12, 20], kernelSizes: k,
        strides: s, encoderDepthPerStage: [2, 2, 2], decoderConvsPerStage: [2, 2]), [3, 8, 12, 16]),
      ("resenc 2ch 5-7-12", ArchitectureSpec(
        network: .residualEncoderUNet, inputChannels: 2, numClasses: 3, featuresPerStage: [5, 7, 12], kernelSizes: k,
        strides: s, encoderDepthPerStage: [1, 2, 2], decoderConvsPerStage: [1, 1]), [2, 8, 12, 16]),
      ("plain 1ch 3-6-20", ArchitectureSpec(
        network: .plainConvUNet, inputChannels: 1, numClasses: 20, featuresPerStage: [3, 6, 20], kernelSizes: k,
        strides: s, encoderDepthPerStage: [2, 2, 2], decoderConvsPerStage: [2, 2]), [1, 8, 12, 16]),
    ]
  }()

  static func fallbacks(_ net: UNet, shape: [Int]) throws -> [String] {
    let impls = try net.implementations(shape: shape)
    #expect(!impls.isEmpty)
    return impls.filter { !($0.implementation.hasPrefix("jit") || $0.implementation == "simple:any") }
      .map { "\($0.layer): \($0.implementation)" }
  }

  static func input(_ shape: [Int]) -> Tensor {
    var state: UInt32 = 7
    return Tensor(
      shape: shape,
      values: (0..<shape.reduce(1, *)).map { _ in
        state = state &* 1_664_525 &+ 1_013_904_223
        return Float(state >> 8) / Float(1 << 24) * 2 - 1
      })
  }

  @Test("every primitive of every engine golden is a JIT one", arguments: EngineGolden.names)
  func goldenImplementations(name: String) throws {
    let golden = try EngineGolden(name)
    for chunking in [0, Int.max] {
      let net = try UNet(
        spec: golden.spec, weights: golden.weights, options: .init(threads: 2, chunkingThreshold: chunking))
      let slow = try Self.fallbacks(net, shape: golden.input.shape)
      #expect(slow.isEmpty, "\(name) chunking \(chunking): \(slow)")
    }
  }

  @Test("without channel padding oneDNN falls back to ref:any (what the padding removes)", arguments: oddGoldens)
  func fallbackWithoutPadding(name: String) throws {
    let golden = try EngineGolden(name)
    let net = try UNet(spec: golden.spec, weights: golden.weights, options: .init(padsInputChannels: false))
    let slow = try Self.fallbacks(net, shape: golden.input.shape)
    #expect(slow.contains { $0.hasSuffix("ref:any") }, "\(name): \(slow)")
  }

  /// The brief's tolerance for these networks is the reference path's (relative L2 <= 1e-5),
  /// tighter than the fast path's general 1e-4.
  @Test("odd-width goldens: padded and unpadded logits both match PyTorch", arguments: oddGoldens)
  func oddGoldenLogits(name: String) throws {
    let golden = try EngineGolden(name)
    for pads in [true, false] {
      let net = try UNet(spec: golden.spec, weights: golden.weights, options: .init(padsInputChannels: pads))
      let d = Discrepancy(try net.forward(golden.input), golden.logits, nearTie: 1e-3)
      print("\(name) padsInputChannels=\(pads): \(d)")
      #expect(d.relativeL2 <= 1e-5, "\(name) pads \(pads): \(d)")
      #expect(d.maxAbsolute <= 1e-4, "\(name) pads \(pads): \(d)")
      #expect(d.argmaxMismatches == d.argmaxMismatchesAtNearTies, "\(name): \(d)")
    }
  }

  /// After the first plan the plain convolution weights are released; a second tile shape must
  /// find the zero-padded weights among the prepared ones (same key, same padded shape).
  @Test("a second tile shape after the plain weights are released", arguments: oddGoldens)
  func secondShape(name: String) throws {
    let golden = try EngineGolden(name)
    let net = try UNet(spec: golden.spec, weights: golden.weights)
    _ = try net.forward(golden.input)
    var shape = golden.input.shape
    shape[3] += 8
    let x = Self.input(shape)
    let reference = try ReferenceNetwork(spec: golden.spec, weights: golden.weights).forward(x)
    let d = Discrepancy(try net.forward(x), reference, nearTie: 1e-3)
    #expect(d.relativeL2 <= 1e-5 && d.maxAbsolute <= 1e-4, "\(name): \(d)")
    #expect(try Self.fallbacks(net, shape: shape).isEmpty)
  }

  @Test("synthetic widths 3-20 with 1-3 input channels: JIT only, reference logits")
  func synthetic() throws {
    for (name, spec, shape) in Self.synthetic {
      let weights = try SyntheticWeights.make(for: spec, seed: 3)
      let x = Self.input(shape)
      let reference = try ReferenceNetwork(spec: spec, weights: weights).forward(x)
      for chunking in [0, Int.max] {
        let net = try UNet(spec: spec, weights: weights, options: .init(threads: 2, chunkingThreshold: chunking))
        let slow = try Self.fallbacks(net, shape: shape)
        #expect(slow.isEmpty, "\(name) chunking \(chunking): \(slow)")
        let d = Discrepancy(try net.forward(x), reference, nearTie: 1e-3)
        print("\(name) chunking \(chunking): \(d)")
        #expect(d.relativeL2 <= 1e-5, "\(name): \(d)")
        #expect(d.maxAbsolute <= 1e-4, "\(name): \(d)")
      }
    }
  }
}
