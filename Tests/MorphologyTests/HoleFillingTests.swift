import Morphology
import Testing
import VolumeCore
import _TestSupport

@Suite("Hole filling")
struct HoleFillingTests {
  /// A 7³ volume with a hollow 5³ cube (shell 1 voxel thick) of `label` around a 3³ cavity.
  static func hollowCube(label: UInt8 = 1) -> Volume<UInt8> {
    var map = Synthetic.box(shape: [7, 7, 7], lower: [1, 1, 1], upper: [6, 6, 6], label: label)
    for k in 2..<5 { for j in 2..<5 { for i in 2..<5 { map[i, j, k] = 0 } } }
    return map
  }

  @Test("binary masks equal scipy.ndimage.binary_fill_holes for structures 6/18/26")
  func scipyGoldens() throws {
    let cases = try #require(try MorphologyGolden.json("fill.json")["binary"] as? [[String: Any]])
    #expect(cases.count >= 4)
    var changed = 0
    for item in cases {
      let shape = try #require(item["shape"] as? [Int])
      let mask = MorphologyGolden.bytes(item["mask"])
      let goldens = try #require(item["filled"] as? [String: Any])
      for connectivity in Connectivity.allCases {
        let expected = MorphologyGolden.bytes(goldens[String(connectivity.rawValue)])
        let filled = HoleFilling.filled(mask, shape: shape, connectivity: connectivity)
        #expect(filled == expected, "\(shape) \(connectivity)")
        if expected != mask { changed += 1 }
      }
    }
    #expect(changed >= 4, "the goldens must contain holes")
  }

  @Test("label maps equal TPTBox's per-label filling (scipy fills, labels ascending, only into 0)")
  func labelMapGoldens() throws {
    let cases = try #require(try MorphologyGolden.json("fill.json")["labelmaps"] as? [[String: Any]])
    #expect(!cases.isEmpty)
    var changed = 0
    for item in cases {
      let shape = try #require(item["shape"] as? [Int])
      let map = Volume<UInt8>(grid: ImageGrid(shape: shape, affine: .identity), voxels: MorphologyGolden.bytes(item["map"]))
      let expected = MorphologyGolden.bytes(item["filled"])
      if expected != map.voxels { changed += 1 }
      #expect(HoleFilling.filledHoles(map).voxels == expected, "\(shape)")
    }
    #expect(changed >= 3, "the goldens must contain holes")
  }

  /// Per-label filling written with the binary entry point (whole-mask bounding box).
  static func referenceFill(_ map: Volume<UInt8>, connectivity: Connectivity) -> [UInt8] {
    var out = map.voxels
    for label in Set(map.voxels).subtracting([0]).sorted() {
      let filled = HoleFilling.filled(out.map { $0 == label ? 1 : 0 }, shape: map.shape, connectivity: connectivity)
      for p in out.indices where out[p] == 0 && filled[p] != 0 { out[p] = label }
    }
    return out
  }

  @Test("per-component boxes give the same result as whole-label filling", arguments: [
    ([16, 14, 12], 0.1, UInt64(1)), ([25, 9, 18], 0.08, UInt64(2)), ([11, 11, 11], 0.15, UInt64(3)),
    ([30, 20, 6], 0.05, UInt64(4)), ([14, 14, 14], 0.2, UInt64(5)),
  ])
  func perComponentBoxes(shape: [Int], background: Double, seed: UInt64) {
    // A dominant label 1 with background specks (holes) and specks of 2 and 3 scattered
    // everywhere (whole-volume bounding boxes, components of every size).
    var state = seed
    let voxels = (0..<shape.reduce(1, *)).map { _ -> UInt8 in
      state = state &* 6364136223846793005 &+ 1442695040888963407
      let r = Double(state >> 11) / Double(1 << 53)
      return r < background ? 0 : r < 0.75 ? 1 : r < 0.9 ? 2 : 3
    }
    let map = Volume<UInt8>(grid: ImageGrid(shape: shape, affine: .identity), voxels: voxels)
    var changed = false
    for connectivity in Connectivity.allCases {
      let expected = Self.referenceFill(map, connectivity: connectivity)
      #expect(HoleFilling.filledHoles(map, connectivity: connectivity).voxels == expected, "\(connectivity)")
      changed = changed || expected != voxels
    }
    #expect(changed)
  }

  @Test("a hollow cube is filled; a face opening lets the background in for 6 but not a diagonal one")
  func hollowCube() {
    let cube = Self.hollowCube()
    var filled = cube
    let counts = HoleFilling.fillHoles(in: &filled)
    #expect(counts == [1: 27])
    #expect(filled.voxels == Synthetic.box(shape: [7, 7, 7], lower: [1, 1, 1], upper: [6, 6, 6]).voxels)
    // Binary entry point, foreground values kept.
    let binary = HoleFilling.filled(cube.voxels.map { $0 * 9 }, shape: [7, 7, 7])
    #expect(binary.filter { $0 == 1 }.count == 27 && binary.filter { $0 == 9 }.count == 125 - 27)

    // A hole through the face at (3, 3, 1): the cavity reaches the border for every connectivity.
    var open = cube
    open[3, 3, 1] = 0
    for connectivity in Connectivity.allCases {
      #expect(HoleFilling.filledHoles(open, connectivity: connectivity).voxels == open.voxels)
    }

    // A cavity voxel joined to the outside only through a corner: closed for 6 and 18, open for 26.
    var corner = Volume<UInt8>(grid: ImageGrid(shape: [5, 5, 5], affine: .identity), repeating: 1)
    corner[2, 2, 2] = 0  // cavity
    corner[1, 1, 1] = 0  // shares only a corner with (2, 2, 2) and with the border voxel (0, 0, 0)
    corner[0, 0, 0] = 0
    #expect(HoleFilling.filledHoles(corner, connectivity: .six)[2, 2, 2] == 1)
    #expect(HoleFilling.filledHoles(corner, connectivity: .eighteen)[2, 2, 2] == 1)
    #expect(HoleFilling.filledHoles(corner, connectivity: .twentySix)[2, 2, 2] == 0)
  }

  @Test("background on the volume border is never a hole; other labels inside a hole stay")
  func labelsInsideHoles() {
    var map = Self.hollowCube(label: 4)
    map[3, 3, 3] = 2  // another structure inside the cavity
    let filled = HoleFilling.filledHoles(map)
    #expect(filled[3, 3, 3] == 2)
    #expect(filled[2, 2, 2] == 4 && filled[4, 4, 4] == 4)
    #expect(filled[0, 0, 0] == 0)
    // Label 2's own mask has no hole, so selecting it changes nothing.
    #expect(HoleFilling.filledHoles(map, labels: [2]).voxels == map.voxels)
    // A shape touching the border: a cavity open to the border is not filled.
    var bowl = Synthetic.box(shape: [5, 5, 5], lower: [0, 0, 0], upper: [5, 5, 5], label: 1)
    for k in 1..<5 { for j in 1..<4 { for i in 1..<4 { bowl[i, j, k] = 0 } } }
    #expect(HoleFilling.filledHoles(bowl).voxels == bowl.voxels)
  }

  @Test("nested shells: the lower label fills the shared cavity first (TPTBox's order)")
  func nestedShells() {
    var map = Volume<UInt8>(grid: ImageGrid(shape: [9, 9, 9], affine: .identity), repeating: 0)
    for k in 1..<8 { for j in 1..<8 { for i in 1..<8 { map[i, j, k] = 1 } } }  // outer solid of 1
    for k in 2..<7 { for j in 2..<7 { for i in 2..<7 { map[i, j, k] = 0 } } }  // hollow it
    for k in 3..<6 { for j in 3..<6 { for i in 3..<6 { map[i, j, k] = 2 } } }  // shell of 2 inside
    map[4, 4, 4] = 0  // cavity of 2
    let filled = HoleFilling.filledHoles(map)
    // For label 1 everything inside its shell is a hole: the gap and the cavity of 2 become 1.
    #expect(filled[4, 4, 4] == 1)
    #expect(filled[2, 2, 2] == 1)
    #expect(filled[3, 3, 3] == 2)
    // Filling label 2 alone gives its cavity to 2.
    #expect(HoleFilling.filledHoles(map, labels: [2])[4, 4, 4] == 2)
  }
}
