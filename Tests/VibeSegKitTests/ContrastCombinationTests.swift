import Testing
import VibeSegKit
import VolumeCore
import _TestSupport

/// Upstream's combination written the slow, literal way (for every group, map and label: extract
/// the mask, keep its largest 6-connected component where the rule says so, write it into voxels
/// still 0), with its own breadth-first labelling and C-order tie rule; the fast implementation
/// must agree voxel for voxel.
func literalCombination(_ maps: [(ContrastCombination.Contrast, [UInt8])], shape: [Int], female: Bool) -> [UInt8] {
  let ni = shape[0], nj = shape[1], nk = shape[2]
  var out = [UInt8](repeating: 0, count: ni * nj * nk)
  let waterGiven = maps.contains { $0.0 == .water }
  for group in TotalVibeLabel.Group.combinationOrder {
    let sources = waterGiven && (group == .muscle || group == .proneToOverSegmentation) ? maps.filter { $0.0 == .water } : maps
    for (_, map) in sources {
      for label in TotalVibeLabel.labels(in: group) {
        if female && label.id == 22 { continue }
        var mask = map.map { $0 == label.id }
        if label.expectedComponents.upperBound == 1 && group != .vessel {
          // Components by flood fill; keep the largest, ties to the smallest C-order (i, j, k).
          var component = [Int](repeating: 0, count: mask.count)
          var best = (size: 0, key: Int.max, id: 0)
          var next = 0
          for start in mask.indices where mask[start] && component[start] == 0 {
            next += 1
            component[start] = next
            var stack = [start], size = 0, key = Int.max
            while let p = stack.popLast() {
              size += 1
              let i = p % ni, j = (p / ni) % nj, k = p / (ni * nj)
              key = min(key, k + nk * (j + nj * i))
              for (a, b, c) in [(i - 1, j, k), (i + 1, j, k), (i, j - 1, k), (i, j + 1, k), (i, j, k - 1), (i, j, k + 1)]
              where a >= 0 && a < ni && b >= 0 && b < nj && c >= 0 && c < nk {
                let q = a + ni * (b + nj * c)
                if mask[q] && component[q] == 0 {
                  component[q] = next
                  stack.append(q)
                }
              }
            }
            if size > best.size || (size == best.size && key < best.key) { best = (size, key, next) }
          }
          mask = component.map { $0 == best.id && best.id != 0 }
        }
        for p in out.indices where out[p] == 0 && mask[p] { out[p] = label.id }
      }
    }
  }
  return out
}

@Suite("TotalVibe contrast combination")
struct ContrastCombinationTests {
  static let shape = [12, 10, 8]

  /// A map of `shape` with the given (label, lower, upper) boxes painted in order.
  static func map(_ boxes: [(UInt8, [Int], [Int])], shape: [Int] = shape, affine: Affine = .identity) -> Volume<UInt8> {
    var map = emptyMap(shape, affine: affine)
    for (label, lower, upper) in boxes { paint(&map, label, lower, upper) }
    return map
  }

  static let region = ([2, 2, 2], [5, 5, 5])  // 27 voxels, centre (3, 3, 3)

  /// Table: (description, water, in-phase, opposed-phase boxes of the same region, expected label at its centre).
  static let priorityTable: [(String, UInt8?, UInt8?, UInt8?, UInt8)] = [
    ("vessel beats organ, even from a later map", 5, 25, nil, 25),
    ("vessel beats lung", 10, 25, nil, 25),
    ("lung beats cns", 52, 16, nil, 16),
    ("cns beats prone_to_over_seg", 64, 52, nil, 52),
    ("prone_to_over_seg beats bone", 64, 23, nil, 64),
    ("bone beats digestion", 6, 23, nil, 23),
    ("digestion beats muscle", 53, 6, nil, 6),
    ("muscle beats organ", 53, 5, nil, 53),
    ("organ beats rest", 66, 5, nil, 5),
    ("same group: water before in-phase", 5, 1, nil, 5),
    ("same group: in-phase before opposed-phase", nil, 2, 3, 2),
    ("same group: water before opposed-phase", 24, nil, 21, 24),
    ("rest from the first map", 65, 66, 67, 65),
    ("water-only group not taken from in-phase when water exists", 0, 53, nil, 0),
    ("water-only group not taken from opposed-phase when water exists", 0, nil, 64, 0),
    ("water-only group from in-phase without water", nil, 53, 54, 53),
    ("water-only group from water beats a later organ", 60, nil, 5, 60),
    ("a lower group of in-phase fills where water has only water-only-excluded labels", 0, 53, 5, 5),
  ]

  @Test("priorities between groups, maps and water-only groups", arguments: priorityTable)
  func priorities(rule: String, water: UInt8?, inPhase: UInt8?, opposed: UInt8?, expected: UInt8) throws {
    func make(_ label: UInt8?) -> Volume<UInt8>? {
      label.map { $0 == 0 ? ContrastCombinationTests.map([]) : ContrastCombinationTests.map([($0, Self.region.0, Self.region.1)]) }
    }
    let out = try ContrastCombination().combine(water: make(water), inPhase: make(inPhase), opposedPhase: make(opposed))
    #expect(out[3, 3, 3] == expected, "\(rule)")
    #expect(out.grid == ImageGrid(shape: Self.shape, affine: .identity))
  }

  @Test("first writer wins voxel by voxel: a later map fills only what is still 0")
  func firstWriterWins() throws {
    let water = Self.map([(5, [0, 0, 0], [6, 10, 8])])  // liver on the left half
    let inPhase = Self.map([(1, [4, 0, 0], [12, 10, 8])])  // spleen overlapping columns 4, 5
    let out = try ContrastCombination().combine(water: water, inPhase: inPhase, opposedPhase: nil)
    #expect(out[5, 0, 0] == 5 && out[4, 9, 7] == 5)
    #expect(out[6, 0, 0] == 1 && out[11, 9, 7] == 1)
    #expect(voxelCount(out, 5) == 6 * 80 && voxelCount(out, 1) == 6 * 80)
  }

  @Test("largest 6-connected component only for labels with max 1 that are not vessels")
  func largestComponent() throws {
    // Liver: a 3x3x3 block and a 2x2x2 block touching it along an edge only (two 6-components).
    // Aorta (vessel): two blocks, both kept. Thyroid (max 2) and costal cartilages (max 30): kept.
    let water = Self.map([
      (5, [0, 0, 0], [3, 3, 3]), (5, [3, 3, 0], [5, 5, 2]),
      (25, [7, 0, 0], [9, 2, 2]), (25, [7, 5, 5], [8, 6, 6]),
      (17, [0, 7, 0], [1, 8, 1]), (17, [0, 9, 7], [2, 10, 8]),
      (64, [11, 0, 0], [12, 1, 1]), (64, [11, 9, 7], [12, 10, 8]),
    ])
    let out = try ContrastCombination().combine(water: water, inPhase: nil, opposedPhase: nil)
    #expect(voxelCount(out, 5) == 27)
    #expect(out[3, 3, 0] == 0)
    #expect(voxelCount(out, 25) == 8 + 1)
    #expect(voxelCount(out, 17) == 1 + 2)
    #expect(voxelCount(out, 64) == 2)
  }

  @Test("a component dropped from the water map leaves its voxels to the next map")
  func droppedComponentFreesVoxels() throws {
    let water = Self.map([(5, [0, 0, 0], [4, 4, 4]), (5, [8, 8, 6], [10, 10, 8])])
    let inPhase = Self.map([(1, [8, 8, 6], [10, 10, 8])])
    let out = try ContrastCombination().combine(water: water, inPhase: inPhase, opposedPhase: nil)
    #expect(out[9, 9, 7] == 1 && out[0, 0, 0] == 5)
  }

  @Test("equally large components: the first in C order of the (i, j, k) array is kept, as upstream")
  func tieRule() throws {
    // Two single-voxel kidneys: (6, 0, 0) comes first in file order, (0, 5, 0) first in C order.
    let water = Self.map([(2, [6, 0, 0], [7, 1, 1]), (2, [0, 5, 0], [1, 6, 1])])
    let out = try ContrastCombination().combine(water: water, inPhase: nil, opposedPhase: nil)
    #expect(out[0, 5, 0] == 2 && out[6, 0, 0] == 0)
  }

  @Test("female: prostate is skipped; otherwise kept", arguments: [true, false])
  func female(isFemale: Bool) throws {
    let water = Self.map([(22, [2, 2, 2], [4, 4, 4]), (21, [6, 6, 6], [8, 8, 8])])
    let out = try ContrastCombination(.init(female: isFemale)).combine(water: water, inPhase: water, opposedPhase: nil)
    #expect(voxelCount(out, 22) == (isFemale ? 0 : 8))
    #expect(voxelCount(out, 21) == 8)
  }

  @Test("values above 72 are never written")
  func unknownValuesDropped() throws {
    let out = try ContrastCombination().combine(water: Self.map([(90, [0, 0, 0], [2, 2, 2])]), inPhase: nil, opposedPhase: nil)
    #expect(out.voxels.allSatisfy { $0 == 0 })
  }

  @Test("another shape is resampled onto the first map's grid with nearest neighbour, world aligned")
  func resampling() throws {
    let water = Self.map([(5, [8, 0, 0], [12, 10, 8])])
    // In-phase on a 2 mm grid (6 x 5 x 4) covering the same world box; spleen at voxel (1, 1, 1).
    let coarse = Affine.scaling([2, 2, 2])
    let inPhase = Self.map([(1, [1, 1, 1], [2, 2, 2])], shape: [6, 5, 4], affine: coarse)
    let out = try ContrastCombination().combine(water: water, inPhase: inPhase, opposedPhase: nil)
    // Output voxel x samples input voxel floor(x / 2 + 0.5): x in {1, 2} -> 1.
    var expected = Self.map([(5, [8, 0, 0], [12, 10, 8])])
    paint(&expected, 1, [1, 1, 1], [3, 3, 3])
    #expect(out.voxels == expected.voxels)
    #expect(out.grid == water.grid)
    let run = try ContrastCombination().run(water: water, inPhase: inPhase, opposedPhase: nil)
    #expect(run.resampled == [.inPhase])
    #expect(run.validatedInputs[.inPhase]?.grid == inPhase.grid)
  }

  @Test("same shape but another affine is refused with gridMismatch; tiny float differences are not")
  func gridMismatch() throws {
    let water = Self.map([(5, [0, 0, 0], [2, 2, 2])])
    var shifted = Affine.identity
    shifted[0, 3] = 1.5
    let moved = Self.map([(1, [0, 0, 0], [2, 2, 2])], affine: shifted)
    let error = #expect(throws: VibeSegKitError.self) {
      try ContrastCombination().combine(water: water, inPhase: nil, opposedPhase: moved)
    }
    #expect(error?.code == .gridMismatch && error?.option == "--opposed-phase")
    var nearly = Affine.identity
    nearly[0, 3] = 1e-6
    let close = Self.map([(1, [4, 4, 4], [6, 6, 6])], affine: nearly)
    #expect(voxelCount(try ContrastCombination().combine(water: water, inPhase: close, opposedPhase: nil), 1) == 8)
  }

  @Test("no map given is refused")
  func noInputs() {
    let error = #expect(throws: VibeSegKitError.self) { try ContrastCombination().run(water: nil, inPhase: nil, opposedPhase: nil) }
    #expect(error?.code == .invalidOption)
  }

  @Test("run: validate each with aggressiveness 5, combine, validate with 15, then fill holes")
  func pipeline() throws {
    // Aorta (vessel, autofix 10, not reduced to its largest component) with a second component
    // of 100 voxels: kept by the input validation (limit 50), removed by the final one (150).
    var water = Self.map([(25, [0, 0, 0], [10, 10, 2]), (25, [0, 0, 4], [10, 10, 5])])
    // Esophagus (15, autofix 10) in in-phase, 60 voxels plus a 40-voxel extra piece: the piece is
    // removed by the input validation (limit 50).
    let inPhase = Self.map([(15, [0, 0, 6], [6, 5, 8]), (15, [11, 0, 0], [12, 10, 4])])
    // A hollow liver in the water map (filled only with fillHoles).
    paint(&water, 5, [6, 2, 5], [11, 7, 8])
    paint(&water, 0, [7, 3, 6], [10, 6, 7])
    let plain = try ContrastCombination().run(water: water, inPhase: inPhase, opposedPhase: nil)
    #expect(plain.inputReports[.water]?.findings.map(\.labelID) == [25])
    #expect(plain.inputReports[.water]?.removedVoxelCount == 0)
    #expect(plain.inputReports[.inPhase]?.findings.first?.removedComponentSizes == [40])
    #expect(voxelCount(plain.validatedInputs[.inPhase]!, 15) == 60)
    #expect(plain.resultReport.aggressiveness == 15)
    #expect(plain.resultReport.findings.first?.removedComponentSizes == [100])
    #expect(voxelCount(plain.labelMap, 25) == 200)
    #expect(plain.labelMap[8, 4, 6] == 0 && plain.filledVoxels.isEmpty)
    let filled = try ContrastCombination(.init(fillHoles: true)).run(water: water, inPhase: inPhase, opposedPhase: nil)
    #expect(filled.labelMap[8, 4, 6] == 5 && filled.filledVoxels[5] == 9)
  }

  @Test("agrees with the literal upstream loop on random multi-contrast maps", arguments: [
    (UInt64(1), false, true), (UInt64(2), true, true), (UInt64(3), false, false), (UInt64(4), false, true),
  ])
  func literalAgreement(seed: UInt64, female: Bool, withWater: Bool) throws {
    let shape = [14, 11, 9]
    let n = shape.reduce(1, *)
    // Labels from every group, blobs made of random voxels so that components and ties abound.
    let palette: [UInt8] = [5, 1, 22, 25, 26, 10, 16, 52, 64, 70, 23, 68, 6, 18, 53, 61, 17, 65, 66, 72]
    func randomMap(_ salt: UInt64) -> [UInt8] {
      pseudoRandomBytes(count: n, seed: seed &* 1000 &+ salt).map { $0 < 80 ? 0 : palette[Int($0) % palette.count] }
    }
    let maps: [(ContrastCombination.Contrast, [UInt8])] =
      (withWater ? [(.water, randomMap(1))] : []) + [(.inPhase, randomMap(2)), (.opposedPhase, randomMap(3))]
    let volume = { (c: ContrastCombination.Contrast) in
      maps.first { $0.0 == c }.map { Volume<UInt8>(grid: ImageGrid(shape: shape, affine: .identity), voxels: $0.1) }
    }
    let out = try ContrastCombination(.init(female: female))
      .combine(water: volume(.water), inPhase: volume(.inPhase), opposedPhase: volume(.opposedPhase))
    #expect(out.voxels == literalCombination(maps, shape: shape, female: female))
    #expect(Set(out.voxels).count > 10)
  }
}

/// Deterministic pseudo-random bytes (an LCG).
func pseudoRandomBytes(count: Int, seed: UInt64) -> [UInt8] {
  var state = seed &+ 0x9E37_79B9_7F4A_7C15
  return (0..<count).map { _ in
    state = state &* 6364136223846793005 &+ 1442695040888963407
    return UInt8(truncatingIfNeeded: state >> 56)
  }
}
