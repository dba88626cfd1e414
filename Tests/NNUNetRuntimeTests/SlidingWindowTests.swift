import Testing
@testable import NNUNetRuntime

/// The worked examples of nnunet-inference.md sections 5.5 and 6, each verified there against
/// nnU-Net itself.
@Suite("nnU-Net's sliding window, Gaussian and shapes")
struct SlidingWindowTests {
  @Test("tile starts (compute_steps_for_sliding_window)", arguments: [
    (110, 64, [0, 23, 46]), (109, 64, [0, 22, 45]), (101, 64, [0, 18, 37]), (64, 64, [0]), (65, 64, [0, 1]),
    (300, 128, [0, 57, 115, 172]),
  ])
  func tileStarts(n: Int, p: Int, expected: [Int]) {
    #expect(SlidingWindow.tileStarts(size: n, patch: p, stepSize: 0.5) == expected)
  }

  @Test("padding to the patch: lower diff/2, upper the rest")
  func padding() {
    let (lower, padded) = SlidingWindow.padding(shape: [7, 20, 64], patch: [12, 16, 64])
    #expect(lower == [2, 0, 0] && padded == [12, 20, 64])
  }

  @Test("Gaussian importance map, 1-D profile for p = 8")
  func gaussian8() {
    let g = SlidingWindow.gaussian(patch: [8, 1, 1]).map(Float.init)
    let expected: [Float] = [0.003355, 0.1111, 1.354, 6.066, 10, 6.066, 1.354, 0.1111]
    // The doc quotes 4 significant digits; float16 holds about 3.3.
    for (a, b) in zip(g, expected) { #expect(abs(a - b) <= 2e-3 * b + 1e-5, "\(g)") }
  }

  @Test("Gaussian importance map for p = 64: centre, faces and the replaced corner")
  func gaussian64() {
    let p = 64
    let g = SlidingWindow.gaussian(patch: [p, p, p])
    func at(_ a: Int, _ b: Int, _ c: Int) -> Float { Float(g[(a * p + b) * p + c]) }
    #expect(at(32, 32, 32) == 10)
    #expect(abs(at(0, 32, 32) - 0.003355) < 2e-6)
    #expect(abs(at(63, 32, 32) - 0.00549) < 5e-6)
    #expect(at(0, 0, 0) == Float(Float16.leastNonzeroMagnitude))
    #expect(!g.contains(0))
  }

  @Test("mirroring combinations in itertools order")
  func combinations() {
    #expect(SlidingWindow.mirrorCombinations([0, 1, 2]) == [[0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]])
    #expect(SlidingWindow.mirrorCombinations([1, 2]) == [[1], [2], [1, 2]])
    #expect(SlidingWindow.mirrorCombinations([]) == [])
  }

  @Test("flipping twice is the identity; one flip reverses one axis")
  func flips() {
    let shape = [2, 3, 4]
    let tile = (0..<(2 * 24)).map(Float.init)
    for axes in SlidingWindow.mirrorCombinations([0, 1, 2]) {
      let once = SlidingWindow.flipped(tile, channels: 2, shape: shape, axes: axes)
      #expect(SlidingWindow.flipped(once, channels: 2, shape: shape, axes: axes) == tile)
    }
    let z = SlidingWindow.flipped(tile, channels: 2, shape: shape, axes: [2])
    #expect(Array(z[0..<4]) == [3, 2, 1, 0] && Array(z[24..<28]) == [27, 26, 25, 24])
  }

  @Test("new shape: Python round, half to even")
  func newShape() throws {
    #expect(try NNUNetResampling.newShape(shape: [100, 512, 512], spacing: [2.5, 0.7, 0.7], target: [1, 0.8, 0.8]) == [250, 448, 448])
    #expect(try NNUNetResampling.newShape(shape: [5, 5, 5], spacing: [1, 1, 1], target: [2, 2, 2]) == [2, 2, 2])
  }

  @Test("separate-z decision (ANISO_THRESHOLD 3, strict)")
  func separateZ() {
    #expect(NNUNetResampling.separateAxis(current: [3.1, 1, 1], new: [1, 1, 1], force: nil) == 0)
    #expect(NNUNetResampling.separateAxis(current: [3, 1, 1], new: [1, 1, 1], force: nil) == nil)
    #expect(NNUNetResampling.separateAxis(current: [1, 1, 1], new: [1, 4, 1], force: nil) == 1)
    #expect(NNUNetResampling.separateAxis(current: [0.24, 1.25, 1.25], new: [0.24, 1.25, 1.25], force: nil) == nil)
    #expect(NNUNetResampling.separateAxis(current: [5, 1, 1], new: [1, 1, 1], force: false) == nil)
  }

  @Test("non-zero mask fills enclosed holes; an empty mask crops nothing")
  func nonzeroCrop() {
    var values = [Float](repeating: 0, count: 7 * 7 * 7)
    for a in 1...5 { for b in 1...5 { for c in 1...5 where a == 1 || a == 5 || b == 1 || b == 5 || c == 1 || c == 5 { values[(a * 7 + b) * 7 + c] = 1 } } }
    let mask = NonzeroCrop.mask([DenseArray(shape: [7, 7, 7], values: values)])
    #expect(mask.values[(3 * 7 + 3) * 7 + 3])  // the enclosed centre is filled
    #expect(!mask.values[0])
    let box = NonzeroCrop.boundingBox(mask)
    #expect(box.lower == [1, 1, 1] && box.upper == [6, 6, 6])
    let empty = NonzeroCrop.boundingBox(DenseArray(shape: [2, 3, 4], repeating: false))
    #expect(empty.lower == [0, 0, 0] && empty.upper == [2, 3, 4])
  }

  @Test("NumPy's pairwise float32 mean/std, bit for bit (values from NumPy 2.4)")
  func pairwise() {
    let x = (0..<1000).map { Float($0) * 0.1 }
    let (mean, std) = IntensityNormalization.meanAndStd(x)
    #expect(mean.bitPattern == 1_112_001_741 && std.bitPattern == 1_105_653_924, "\(mean) \(std)")
    // np.arange(12345) % 97 as float32 * 0.37 - 5: mean/std bit patterns from NumPy.
    let y = (0..<12345).map { Float($0 % 97) * 0.37 - 5 }
    let (m2, s2) = IntensityNormalization.meanAndStd(y)
    #expect(m2.bitPattern == 1_095_481_254 && s2.bitPattern == 1_093_001_408, "\(m2) \(s2)")
    #expect(IntensityNormalization.pairwiseSum([1, 2, 3][...]) == 6)
  }
}
