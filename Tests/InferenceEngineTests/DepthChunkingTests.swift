@_spi(Benchmarks) import InferenceEngine
import Testing
import _TestSupport

/// Convolutions in depth chunks (`UNet.Options.chunkingThreshold`; ForwardPlan+Chunks.swift):
/// in place over their input, the decoder's first one over the skip with the upsampled tensor made
/// per window. Threshold 0 chunks every layer that can be, `Int.max` none.
@Suite("Depth-chunked convolutions")
struct DepthChunkingTests {
  static let everything = UNet.Options(threads: 2, chunkingThreshold: 0)
  static let nothing = UNet.Options(threads: 2, chunkingThreshold: .max)

  @Test("chunked logits are bit for bit those of whole-tensor convolutions", arguments: EngineGolden.names)
  func sameLogits(name: String) throws {
    let golden = try EngineGolden(name)
    let chunked = try UNet(spec: golden.spec, weights: golden.weights, options: Self.everything).forward(golden.input)
    let whole = try UNet(spec: golden.spec, weights: golden.weights, options: Self.nothing).forward(golden.input)
    let differing = zip(chunked.values, whole.values).filter { $0 != $1 }.count
    #expect(differing == 0, "\(name): \(differing) of \(whole.values.count) logits differ")
    // And against PyTorch, with the fast path's tolerances.
    let d = Discrepancy(chunked, golden.logits, nearTie: UNetGoldenTests.nearTie)
    #expect(d.relativeL2 <= UNetGoldenTests.relativeL2Tolerance && d.maxAbsolute <= UNetGoldenTests.absoluteTolerance, "\(name): \(d)")
  }

  /// Depths that chunk with 2 slices (16, 8 at the level below), 1 slice (odd 5 and 7: every
  /// chunk one slice, halo one slice on each side), a decoder upsampling by 2 in depth and by 1,
  /// channel counts that are not multiples of 8, a residual encoder.
  @Test(
    "chunked and whole forward passes agree on synthetic networks",
    arguments: [
      (ArchitectureSpec.Network.plainConvUNet, [16, 24, 24], [[1, 1, 1], [2, 2, 2], [1, 2, 2]], [12, 20, 28]),
      (.plainConvUNet, [5, 16, 12], [[1, 1, 1], [1, 2, 2]], [6, 10]),
      (.residualEncoderUNet, [7, 8, 8], [[1, 1, 1], [1, 2, 2], [1, 2, 2]], [8, 16, 16]),
      (.residualEncoderUNet, [16, 16, 8], [[1, 1, 1], [2, 2, 2], [2, 2, 1]], [10, 18, 26]),
    ])
  func synthetic(network: ArchitectureSpec.Network, tile: [Int], strides: [[Int]], features: [Int]) throws {
    let n = strides.count
    let spec = ArchitectureSpec(
      network: network, inputChannels: 2, numClasses: 5, featuresPerStage: features,
      kernelSizes: Array(repeating: [3, 3, 3], count: n), strides: strides,
      encoderDepthPerStage: Array(repeating: network == .plainConvUNet ? 2 : 1, count: n),
      decoderConvsPerStage: Array(repeating: 2, count: n - 1),
      stemChannels: network == .residualEncoderUNet ? features[0] : nil)
    let weights = try SyntheticWeights.make(for: spec, seed: 7)
    var generator = SeededGenerator(seed: 11)
    let shape = [2] + tile
    let input = (0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &generator) }
    let chunkedNet = try UNet(spec: spec, weights: weights, options: Self.everything)
    let wholeNet = try UNet(spec: spec, weights: weights, options: Self.nothing)
    let chunked = try chunkedNet.forward(input: input, shape: shape)
    let whole = try wholeNet.forward(input: input, shape: shape)
    let differing = zip(chunked, whole).filter { $0 != $1 }.count
    #expect(differing == 0, "\(differing) of \(whole.count) logits differ")
    // A second pass: the head handed the block's other pages back to the system before it ran;
    // they come back as zero pages and every buffer is written before it is read.
    #expect(try chunkedNet.forward(input: input, shape: shape) == chunked)
    // Sliced output (as the sliding window takes it) equals the array.
    var sliced = [Float](repeating: .nan, count: chunked.count)
    let voxels = tile.reduce(1, *)
    try chunkedNet.forward(input: input, shape: shape) { slice in
      for c in slice.classes {
        sliced.withUnsafeMutableBufferPointer { out in
          slice.copy(class: c, from: slice.held.lowerBound, count: slice.held.count, into: out.baseAddress! + c * voxels + slice.held.lowerBound)
        }
      }
    }
    #expect(sliced == chunked)
  }

  @Test("chunking holds fewer activation bytes")
  func lessMemory() throws {
    // Features 16, tile 64 x 16 x 16: a level-0 tensor is 1 MiB; whole, the decoder's first
    // convolution holds the skip, the upsampled tensor and its output (three); chunked, the skip
    // (overwritten by the output), the level below (1/4) and windows of a few slices: under two.
    let spec = ArchitectureSpec(
      network: .plainConvUNet, inputChannels: 1, numClasses: 3, featuresPerStage: [16, 32],
      kernelSizes: [[3, 3, 3], [3, 3, 3]], strides: [[1, 1, 1], [2, 2, 2]], encoderDepthPerStage: [2, 2],
      decoderConvsPerStage: [2])
    let weights = try SyntheticWeights.make(for: spec)
    let shape = [1, 64, 16, 16]
    let level0 = 16 * 64 * 16 * 16 * 4
    var bytes: [Int] = []
    for options in [Self.nothing, Self.everything] {
      let net = try UNet(spec: spec, weights: weights, options: options)
      try net.prepare(shape: shape)
      bytes.append(try #require(net.activationBytes(shape: shape)))
    }
    print("activation bytes whole \(bytes[0]), chunked \(bytes[1]) (level-0 tensor \(level0))")
    #expect(bytes[0] >= 3 * level0)
    #expect(bytes[1] < 2 * level0)
  }
}
