import Morphology
import Testing
import _TestSupport

/// `BinaryOpening` against the definition (scipy `binary_erosion`/`binary_dilation` with a cube,
/// border 0, structure centre `e/2`), evaluated by brute force over every offset.
@Suite("BinaryOpening")
struct BinaryOpeningTests {
  static func bruteForce(_ mask: [UInt8], shape: [Int], e: Int, erode: Bool) -> [UInt8] {
    let c = e / 2
    let offsets = Array(-c...(e - 1 - c))
    func at(_ i: Int, _ j: Int, _ k: Int) -> Bool {
      guard i >= 0, j >= 0, k >= 0, i < shape[0], j < shape[1], k < shape[2] else { return false }
      return mask[i + shape[0] * (j + shape[1] * k)] != 0
    }
    var out = [UInt8](repeating: 0, count: mask.count)
    for k in 0..<shape[2] {
      for j in 0..<shape[1] {
        for i in 0..<shape[0] {
          var all = true
          var any = false
          for a in offsets {
            for b in offsets {
              for d in offsets {
                if erode { all = all && at(i + a, j + b, k + d) } else { any = any || at(i - a, j - b, k - d) }
              }
            }
          }
          out[i + shape[0] * (j + shape[1] * k)] = (erode ? all : any) ? 1 : 0
        }
      }
    }
    return out
  }

  @Test("erosion, dilation and opening equal the brute-force definition", arguments: [1, 2, 3, 4, 5])
  func matchesDefinition(_ e: Int) {
    var rng = SeededGenerator(seed: UInt64(40 + e))
    let shape = [9, 8, 7]
    // Blobs: a few random boxes, so openings keep something for small cubes and lose it for large.
    var mask = [UInt8](repeating: 0, count: shape.reduce(1, *))
    for _ in 0..<4 {
      let lo = (0..<3).map { Int.random(in: 0..<shape[$0], using: &rng) }
      let size = (0..<3).map { _ in Int.random(in: 1...6, using: &rng) }
      for k in lo[2]..<min(lo[2] + size[2], shape[2]) {
        for j in lo[1]..<min(lo[1] + size[1], shape[1]) {
          for i in lo[0]..<min(lo[0] + size[0], shape[0]) { mask[i + shape[0] * (j + shape[1] * k)] = 1 }
        }
      }
    }
    let eroded = Self.bruteForce(mask, shape: shape, e: e, erode: true)
    #expect(BinaryOpening.erosion(mask, shape: shape, cube: e) == eroded)
    #expect(
      BinaryOpening.dilation(mask, shape: shape, cube: e) == Self.bruteForce(mask, shape: shape, e: e, erode: false))
    let opened = BinaryOpening.opening(mask, shape: shape, cube: e)
    #expect(opened == Self.bruteForce(eroded, shape: shape, e: e, erode: false))
    #expect(zip(opened, mask).allSatisfy { $0 <= $1 }, "an opening is inside the mask")
  }
}
