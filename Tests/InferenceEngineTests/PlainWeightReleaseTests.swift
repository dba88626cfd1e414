import Testing
import _TestSupport
@_spi(Benchmarks) import InferenceEngine

/// `UNet.releasePlainWeights()`: the sliding window runs one tile shape, so the plain copies kept
/// for Winograd-only layers go once its plan exists.
@Suite("Releasing plain weights")
struct PlainWeightReleaseTests {
  // 32 channels at full resolution: with `.auto`, stride-1 3x3x3 layers with >= 16^3 output
  // voxels run by Winograd (a 16^3 tile), directly below that (an 8^3 tile).
  static let spec = ArchitectureSpec(
    network: .plainConvUNet, inputChannels: 1, numClasses: 3, featuresPerStage: [32, 32],
    kernelSizes: [[3, 3, 3], [3, 3, 3]], strides: [[1, 1, 1], [2, 2, 2]], encoderDepthPerStage: [2, 2],
    decoderConvsPerStage: [2])

  static func input(_ n: Int) -> [Float] { (0..<(n * n * n)).map { Float(($0 * 37) % 23) / 7 - 1.5 } }

  @Test("the cached plan gives the same logits; a new shape needing the dropped weights fails loudly")
  func release() throws {
    let weights = try SyntheticWeights.make(for: Self.spec, seed: 3)
    let net = try UNet(spec: Self.spec, weights: weights, options: .init(threads: 2, convolutionAlgorithm: .auto))
    let big = [1, 16, 16, 16]
    let before = try net.forward(input: Self.input(16), shape: big)
    net.releasePlainWeights()
    #expect(try net.forward(input: Self.input(16), shape: big) == before)
    // The 8^3 tile runs the full-resolution convolutions directly: no direct layout was ever
    // prepared for them and their plain weights are gone.
    #expect(throws: EngineError.self) { try net.forward(input: Self.input(8), shape: [1, 8, 8, 8]) }
    // Without the release, the same network builds that plan.
    let kept = try UNet(spec: Self.spec, weights: weights, options: .init(threads: 2, convolutionAlgorithm: .auto))
    _ = try kept.forward(input: Self.input(16), shape: big)
    let small = try kept.forward(input: Self.input(8), shape: [1, 8, 8, 8])
    #expect(small.count == 3 * 512)
  }
}
