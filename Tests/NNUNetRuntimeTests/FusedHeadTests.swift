import Testing
@_spi(Benchmarks) import InferenceEngine
@testable import NNUNetRuntime

/// Without mirroring, the sliding window accumulates the engine's logits straight from the
/// segmentation head's buffer, slice by slice; it must give exactly what accumulating a plain
/// K-class array gives.
@Suite("Sliding window fed by the head's slices")
struct FusedHeadTests {
  /// The same network seen only through the plain-array requirement (one plain slice per tile).
  struct PlainOnly: TileNetwork {
    let net: UNet
    var inputChannelCount: Int { net.inputChannelCount }
    var outputChannelCount: Int { net.outputChannelCount }
    func logits(forTile tile: [Float], shape: [Int]) throws -> [Float] { try net.forward(input: tile, shape: shape) }
  }

  static func network(classes: Int, options: UNet.Options = .init()) throws -> UNet {
    let spec = ArchitectureSpec(
      network: .plainConvUNet, inputChannels: 1, numClasses: classes, featuresPerStage: [8, 16],
      kernelSizes: [[3, 3, 3], [3, 3, 3]], strides: [[1, 1, 1], [2, 2, 2]], encoderDepthPerStage: [1, 1],
      decoderConvsPerStage: [1])
    return try UNet(spec: spec, weights: try SyntheticWeights.make(for: spec, seed: 11), options: options)
  }

  @Test("UNet hands its logits over in 16-class slices, equal to its plain logits")
  func unetSlices() throws {
    let net = try Self.network(classes: 37)
    let tile: [Float] = (0..<192).map { (n: Int) -> Float in Float((n * 13) % 17) / 5 - 1.6 }
    let plain = try net.logits(forTile: tile, shape: [1, 4, 6, 8])
    var ranges: [Range<Int>] = []
    var sliced = [Float](repeating: .nan, count: plain.count)
    try (net as TileNetwork).logits(forTile: tile, shape: [1, 4, 6, 8]) { slice in
      ranges.append(slice.classes)
      sliced.withUnsafeMutableBufferPointer { out in
        for c in slice.classes { slice.copy(class: c, from: 0, count: 192, into: out.baseAddress! + c * 192) }
      }
    }
    #expect(ranges == [0..<16, 16..<32, 32..<37])
    #expect(sliced == plain)
  }

  @Test("sliding window: head slices and a plain K-class array accumulate to identical logits", arguments: [1, 2])
  func slidingWindowIdentical(folds: Int) throws {
    let nets = try (0..<folds).map { _ in try Self.network(classes: 21) }
    let shape = [7, 9, 13]
    let values: [Float] = (0..<(7 * 9 * 13)).map { (n: Int) -> Float in Float((n * 31) % 23) / 6 - 1.9 }
    let data: [DenseArray<Float>] = [DenseArray(shape: shape, values: values)]
    let fused = try SlidingWindow.predict(data, patch: [4, 6, 8], networks: nets, mirrorAxes: [], stepSize: 0.5)
    let plain = try SlidingWindow.predict(
      data, patch: [4, 6, 8], networks: nets.map { PlainOnly(net: $0) }, mirrorAxes: [], stepSize: 0.5)
    #expect(fused.count == 21)
    for c in 0..<21 { #expect(fused[c].values == plain[c].values, "class \(c)") }
  }

  /// Chunking threshold 0: the head hands over 4 depth slices of the 8-slice tile at a time
  /// (`LogitSlice.held`); the accumulation and the mirrored sums read only those rows.
  @Test("sliding window: depth-chunked head slices accumulate like a plain array", arguments: [[Int](), [0, 1, 2]])
  func depthChunkedHead(mirrorAxes: [Int]) throws {
    let net = try Self.network(classes: 21, options: .init(threads: 2, chunkingThreshold: 0))
    var helds: Set<Range<Int>> = []
    let tile: [Float] = (0..<384).map { (n: Int) -> Float in Float((n * 7) % 19) / 4 - 2.1 }
    try net.logits(forTile: tile, shape: [1, 8, 6, 8]) { helds.insert($0.held) }
    #expect(helds == [0..<192, 192..<384])
    let shape = [11, 9, 13]
    let values: [Float] = (0..<(11 * 9 * 13)).map { (n: Int) -> Float in Float((n * 31) % 23) / 6 - 1.9 }
    let data: [DenseArray<Float>] = [DenseArray(shape: shape, values: values)]
    let fused = try SlidingWindow.predict(data, patch: [8, 6, 8], networks: [net], mirrorAxes: mirrorAxes, stepSize: 0.5)
    let plain = try SlidingWindow.predict(
      data, patch: [8, 6, 8], networks: [PlainOnly(net: net)], mirrorAxes: mirrorAxes, stepSize: 0.5)
    for c in 0..<21 { #expect(fused[c].values == plain[c].values, "class \(c)") }
  }
}
