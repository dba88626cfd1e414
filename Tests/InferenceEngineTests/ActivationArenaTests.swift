@_spi(Benchmarks) import InferenceEngine
import Testing

/// The folds of a model share one set of activation buffers: outputs must be exactly what each
/// network gives alone, interleaved runs must not leak state, and the arena must hold one plan's
/// worth of scratch, not one per network.
@Suite("Shared activation arena")
struct ActivationArenaTests {
  static let spec = ArchitectureSpec(
    network: .residualEncoderUNet, inputChannels: 2, numClasses: 5, featuresPerStage: [8, 16, 16],
    kernelSizes: [[3, 3, 3], [3, 3, 3], [3, 3, 3]], strides: [[1, 1, 1], [2, 2, 2], [1, 2, 2]],
    encoderDepthPerStage: [1, 2, 2], decoderConvsPerStage: [1, 1])

  static func input(_ seed: Int) -> [Float] {
    (0..<(2 * 8 * 8 * 12)).map { Float((($0 + seed) * 37) % 23) / 7 - 1.5 }
  }

  @Test("three folds sharing an arena give bit-identical logits and one set of buffers")
  func sharedEqualsPrivate() throws {
    let shape = [2, 8, 8, 12]
    let weights = try (1...3).map { try SyntheticWeights.make(for: Self.spec, seed: UInt64($0)) }
    let arena = ActivationArena()
    let shared = try weights.map { try UNet(spec: Self.spec, weights: $0, arena: arena) }
    let alone = try weights.map { try UNet(spec: Self.spec, weights: $0) }
    // Interleave folds and inputs as the sliding window does (tile by tile, fold by fold).
    for seed in [0, 5, 11] {
      for (a, b) in zip(shared, alone) {
        let x = try a.forward(input: Self.input(seed), shape: shape)
        let y = try b.forward(input: Self.input(seed), shape: shape)
        #expect(x == y, "seed \(seed): a network sharing the arena differs from itself alone")
      }
    }
    let onePlan = try #require(alone[0].activationBytes(shape: shape))
    #expect(arena.byteCount == onePlan, "arena holds \(arena.byteCount) bytes; one plan needs \(onePlan)")
    // A second tile shape gets its own buffers; the first shape's stay valid.
    let other = [2, 8, 16, 12]
    _ = try shared[1].forward(input: (0..<(2 * 8 * 16 * 12)).map { Float($0 % 13) }, shape: other)
    #expect(try shared[2].forward(input: Self.input(3), shape: shape) == alone[2].forward(input: Self.input(3), shape: shape))
  }
}
