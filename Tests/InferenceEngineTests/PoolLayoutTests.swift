import Testing
import _TestSupport
@_spi(Benchmarks) @testable import InferenceEngine

/// Activation buffers are packed by lifetime into one block (`PoolLayout`).
@Suite("Activation pool layout")
struct PoolLayoutTests {
  typealias Lifetime = BufferPool.Lifetime

  static func conflicts(_ a: Lifetime, _ b: Lifetime) -> Bool {
    a.start <= (b.end ?? .max) && b.start <= (a.end ?? .max)
  }

  @Test("buffers alive at the same time never share bytes (random lifetimes)", arguments: [1, 2, 3, 4, 5])
  func noOverlap(seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    var lifetimes: [Lifetime] = []
    var clock = 0
    var open: [Int] = []
    for _ in 0..<60 {
      if !open.isEmpty && rng.next() % 3 == 0 {
        let k = Int(rng.next() % UInt64(open.count))
        lifetimes[open[k]].end = clock
        open.remove(at: k)
      } else {
        lifetimes.append(Lifetime(bytes: Int(rng.next() % 5000) + 1, start: clock, end: nil))
        open.append(lifetimes.count - 1)
      }
      clock += 1
    }
    let layout = PoolLayout(lifetimes)
    for i in lifetimes.indices {
      #expect(layout.offsets[i] % 64 == 0)
      #expect(layout.offsets[i] + lifetimes[i].bytes <= layout.byteCount)
      for j in lifetimes.indices where j > i && Self.conflicts(lifetimes[i], lifetimes[j]) {
        let (a, b) = (layout.offsets[i], layout.offsets[j])
        #expect(a + lifetimes[i].bytes <= b || b + lifetimes[j].bytes <= a, "buffers \(i) and \(j) overlap")
      }
    }
    // Never more than keeping every buffer apart; at least the largest moment's live bytes.
    #expect(layout.byteCount <= lifetimes.reduce(0) { $0 + ($1.bytes + 63) / 64 * 64 })
    let peakLive = (0..<clock).map { t in
      lifetimes.filter { $0.start <= t && t <= ($0.end ?? .max) }.reduce(0) { $0 + $1.bytes }
    }.max() ?? 0
    #expect(layout.byteCount >= peakLive)
  }

  @Test("buffers one after another share the same bytes")
  func sequentialReuse() {
    let lifetimes = [Lifetime(bytes: 1000, start: 0, end: 1), Lifetime(bytes: 640, start: 2, end: 3),
      Lifetime(bytes: 1024, start: 4, end: nil)]
    let layout = PoolLayout(lifetimes)
    #expect(layout.offsets == [0, 0, 0])
    #expect(layout.byteCount == 1024)
  }

  @Test("a U-Net plan holds less than the sum of its activations, and its logits are unchanged")
  func unetPacksActivations() throws {
    let spec = ArchitectureSpec(
      network: .plainConvUNet, inputChannels: 1, numClasses: 5, featuresPerStage: [8, 16, 32],
      kernelSizes: [[3, 3, 3], [3, 3, 3], [3, 3, 3]], strides: [[1, 1, 1], [2, 2, 2], [2, 2, 2]],
      encoderDepthPerStage: [2, 2, 2], decoderConvsPerStage: [2, 2])
    let weights = try SyntheticWeights.make(for: spec, seed: 7)
    let net = try UNet(spec: spec, weights: weights)
    let input = Tensor(shape: [1, 8, 12, 16], values: (0..<(8 * 12 * 16)).map { Float(($0 * 29) % 31) / 9 - 1.7 })
    let logits = try net.forward(input)
    let reference = try ReferenceNetwork(spec: spec, weights: weights).forward(input)
    let d = Discrepancy(logits, reference, nearTie: 1e-4)
    #expect(d.relativeL2 <= 1e-5 && d.maxAbsolute <= 1e-4, "\(d)")
    // Level-0 tensors are 8 channels x 1536 voxels x 4 B = 48 KiB; the two concatenation buffers
    // alone (16 and 32 channels at levels 0 and 1) plus every conv output kept apart would be
    // far more than the largest moment's working set.
    let bytes = try #require(net.activationBytes(shape: input.shape))
    let level0 = 8 * 8 * 12 * 16 * 4
    #expect(bytes <= 5 * level0, "activation bytes \(bytes)")
    #expect(try net.forward(input).values == logits.values)
  }
}
