@_spi(Benchmarks) import InferenceEngine
import Testing

/// The segmentation head runs in slices of 16 output channels, each unblocked straight into the
/// caller's plain logits array (or handed to a callback slice by slice). Class counts that are not multiples of 8 (13: one partial slice;
/// 21 and 37: full slices then a partial one) must give the reference network's logits.
@Suite("Sliced segmentation head")
struct SegmentationHeadTests {
  static func spec(classes: Int, network: ArchitectureSpec.Network = .plainConvUNet) -> ArchitectureSpec {
    ArchitectureSpec(
      network: network, inputChannels: 1, numClasses: classes, featuresPerStage: [8, 16],
      kernelSizes: [[3, 3, 3], [3, 3, 3]], strides: [[1, 1, 1], [2, 2, 2]], encoderDepthPerStage: [1, 1],
      decoderConvsPerStage: [1])
  }

  static let input = Tensor(shape: [1, 4, 6, 8], values: (0..<192).map { Float(($0 * 37) % 23) / 7 - 1.5 })

  @Test("sliced head matches the reference network", arguments: [13, 21, 37])
  func matchesReference(classes: Int) throws {
    let spec = Self.spec(classes: classes)
    let weights = try SyntheticWeights.make(for: spec, seed: UInt64(classes))
    let net = try UNet(spec: spec, weights: weights)
    let logits = try net.forward(Self.input)
    #expect(logits.shape == [classes, 4, 6, 8])
    let reference = try ReferenceNetwork(spec: spec, weights: weights).forward(Self.input)
    let d = Discrepancy(logits, reference, nearTie: 1e-4)
    print("head K=\(classes): \(d)")
    #expect(d.relativeL2 <= 1e-5 && d.maxAbsolute <= 1e-4, "K=\(classes): \(d)")
    #expect(d.argmaxMismatches == d.argmaxMismatchesAtNearTies, "K=\(classes): \(d)")
    // Every class channel was written (the output starts zeroed): no slice was skipped.
    let voxels = 4 * 6 * 8
    for k in 0..<classes {
      #expect(logits.values[(k * voxels)..<((k + 1) * voxels)].contains { $0 != 0 }, "class \(k) all zero")
    }
    // Repeated and `into:` forwards reuse the plan and give identical values.
    var output = [Float](repeating: .nan, count: 7)
    try net.forward(input: Self.input.values, shape: Self.input.shape, into: &output)
    #expect(output == logits.values)
    // Sliced delivery (what the sliding window accumulates from): slices in class order covering
    // 0 ..< K, every value bit-identical to the plain array, read through LogitSlice.copy.
    var sliced = [Float](repeating: .nan, count: logits.values.count)
    var ranges: [Range<Int>] = []
    try net.forward(input: Self.input.values, shape: Self.input.shape) { slice in
      ranges.append(slice.classes)
      #expect(slice.voxels == voxels)
      for c in slice.classes {
        sliced.withUnsafeMutableBufferPointer { out in
          // Two pieces, so an offset start is exercised.
          slice.copy(class: c, from: 0, count: 100, into: out.baseAddress! + c * voxels)
          slice.copy(class: c, from: 100, count: voxels - 100, into: out.baseAddress! + c * voxels + 100)
        }
      }
    }
    #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == classes)
    #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
    #expect(sliced == logits.values)
  }

  @Test("activation memory does not grow with the class count")
  func activationMemoryIndependentOfClasses() throws {
    let bytes = try [13, 73].map { classes -> Int in
      let spec = Self.spec(classes: classes)
      let net = try UNet(spec: spec, weights: try SyntheticWeights.make(for: spec))
      try net.prepare(shape: Self.input.shape)
      return net.activationBytes(shape: Self.input.shape)!
    }
    #expect(bytes[0] == bytes[1], "\(bytes)")
  }
}
