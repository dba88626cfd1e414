import Testing
import VolumeCore
import VolumeTransforms
import _TestSupport

@Suite("Rescale geometry (TPTBox NII.rescale)")
struct ResamplingShapeTests {
  struct ShapeCase: Sendable, CustomTestStringConvertible {
    var shape: [Int], spacing: [Double], newSpacing: [Double], expected: [Int], why: String
    var testDescription: String { why }
  }

  static let shapeCases: [ShapeCase] = [
    .init(shape: [5, 5, 5], spacing: [1, 1, 1], newSpacing: [2, 2, 2], expected: [2, 2, 2],
      why: "half-way 2.5 rounds to even (2), not up"),
    .init(shape: [7, 9, 3], spacing: [1, 1, 1], newSpacing: [2, 2, 2], expected: [4, 4, 2],
      why: "3.5 -> 4, 4.5 -> 4, 1.5 -> 2 (half to even both ways)"),
    .init(shape: [100, 512, 512], spacing: [2.5, 0.7, 0.7], newSpacing: [1.0, 0.8, 0.8], expected: [250, 448, 448],
      why: "nnU-Net doc example"),
    .init(shape: [320, 260, 300], spacing: [1, 1, 1], newSpacing: [1.5, 1.5, 1.5], expected: [213, 173, 200],
      why: "whole-body MRI to 1.5 mm"),
    .init(shape: [12, 10, 6], spacing: [0.8, 1.2, 2.5], newSpacing: [1.5, 1.5, 1.5], expected: [6, 8, 10],
      why: "anisotropic to isotropic"),
    .init(shape: [3, 3, 3], spacing: [1, 1, 1], newSpacing: [10, 10, 10], expected: [1, 1, 1],
      why: "a size that rounds to 0 becomes 1"),
  ]

  @Test("new shape = rint(n * old / new), half to even", arguments: shapeCases)
  func newShape(_ c: ShapeCase) throws {
    #expect(try RescaleGeometry.newShape(shape: c.shape, spacing: c.spacing, newSpacing: c.newSpacing) == c.expected)
  }

  @Test("the operation order is (n * old) / new, as NumPy evaluates it")
  func operationOrder() throws {
    // (3 · 0.7) / 0.6 = 3.4999999999999996 -> 3, whereas 3 · (0.7 / 0.6) = 3.5 -> 4;
    // (3 · 0.9) / 0.6 = 4.500000000000001 -> 5, whereas 3 · (0.9 / 0.6) = 4.5 -> 4;
    // 5 · 0.3 / 0.6 = 2.5 exactly -> 2 (half to even).
    #expect(try RescaleGeometry.newShape(shape: [3, 3, 5], spacing: [0.7, 0.9, 0.3], newSpacing: [0.6, 0.6, 0.6]) == [3, 5, 2])
  }

  @Test("spacing is rounded to 7 decimals like TPTBox's NII.zoom")
  func roundedSpacing() {
    #expect(RescaleGeometry.roundedSpacing([0.8984375, 1.00000000049, 2.99999996]) == [0.8984375, 1.0, 3.0])
  }

  @Test("new affine keeps the origin and rescales each column to the new spacing")
  func newAffine() {
    let affine = Affine(rows: [[0, 0, -2.5, 10], [0.8, 0, 0, -20], [0, 1.2, 0, 30], [0, 0, 0, 1]])
    let result = RescaleGeometry.newAffine(affine, newSpacing: [1.6, 0.6, 5])
    #expect(result.origin == [10, -20, 30])
    // (0.8 · 1.6) / 0.8 = 1.6000000000000003: TPTBox's (A · new) / s rounds twice, so only
    // agreement to an ulp or two is expected here (the goldens check the exact bits).
    expectClose(result.columnNorms, [1.6, 0.6, 5], rtol: 1e-15)
    expectClose([result[1, 0], result[2, 1], result[0, 2]], [1.6, 0.6, -5], rtol: 1e-15)
  }

  @Test("skip rule: np.isclose(new, round(old, 7), atol=1e-3)")
  func skipRule() {
    #expect(RescaleGeometry.isAlreadyAt([1.5, 1.5, 1.5], newSpacing: [1.5, 1.5, 1.5]))
    #expect(RescaleGeometry.isAlreadyAt([1.5005, 1.5, 1.5], newSpacing: [1.5, 1.5, 1.5]))
    #expect(!RescaleGeometry.isAlreadyAt([1.502, 1.5, 1.5], newSpacing: [1.5, 1.5, 1.5]))
    #expect(!RescaleGeometry.isAlreadyAt([1.5005, 1.5, 1.5], newSpacing: [1.5, 1.5, 1.5], atol: 0))
  }

  @Test("rescaling to the current spacing returns the volume unchanged")
  func skipReturnsSelf() throws {
    let volume = Synthetic.ramp(Float.self, shape: [4, 5, 6], affine: .scaling([1.5, 1.5, 2]))
    let result = try volume.rescaled(toSpacing: [1.5, 1.5, 2], order: .cubic)
    #expect(result.grid == volume.grid)
    #expect(result.voxels == volume.voxels)
  }

  @Test("align-corners emulation: for an aligned grid, x = (z_to'/z_from')(o + 0.5) - 0.5 with z' = z n/(n+1)")
  func alignCornersFormula() throws {
    let grid = ImageGrid(shape: [10, 4, 4], affine: .scaling([1, 1, 1], origin: [3, 4, 5]))
    let target = try RescaleGeometry.grid(grid, newSpacing: [2, 1, 1])  // 10 -> 5 voxels along i
    let to = RescaleGeometry.alignCornersAffine(target.affine, shape: target.shape, zoom: [2, 1, 1])
    let from = RescaleGeometry.alignCornersAffine(grid.affine, shape: grid.shape, zoom: [1, 1, 1])
    let mapping = try #require(VoxelMapping(sampling: from, at: to))
    let zTo = 2.0 * 5 / 6
    let zFrom = 1.0 * 10 / 11
    for o in 0..<5 {
      let x = mapping.inputCoordinate(of: [o, 0, 0])[0]
      #expect(abs(x - ((zTo / zFrom) * (Double(o) + 0.5) - 0.5)) < 1e-12)
    }
  }
}
