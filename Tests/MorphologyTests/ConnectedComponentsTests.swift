import Foundation
import Morphology
import Testing
import VolumeCore
import _TestSupport

/// Goldens of `scripts/fixtures/make_morphology_goldens.py` (run-length encoded, i fastest).
enum MorphologyGolden {
  static func json(_ name: String) throws -> [String: Any] {
    let data = try Data(contentsOf: Fixtures.committed("morphology/\(name)"))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  }

  static func decode(_ runs: Any?) -> [Int] {
    var out = [Int]()
    for case let pair as [Int] in (runs as? [Any]) ?? [] {
      out.append(contentsOf: repeatElement(pair[0], count: pair[1]))
    }
    return out
  }

  static func bytes(_ runs: Any?) -> [UInt8] { decode(runs).map { UInt8($0) } }
}

/// Deterministic pseudo-random bytes in 0..<`values` with the given density of non-zeros.
func pseudoRandomLabels(count: Int, density: Double, values: Int = 1, seed: UInt64) -> [UInt8] {
  var state = seed
  func next() -> Double {
    state = state &* 6364136223846793005 &+ 1442695040888963407
    return Double(state >> 11) / Double(1 << 53)
  }
  return (0..<count).map { _ in next() < density ? UInt8(1 + Int(next() * Double(values)) % values) : 0 }
}

/// A breadth-first reference labelling (numbering by first voxel in file order).
func referenceLabels(_ values: [UInt8], shape: [Int], connectivity: Connectivity) -> [Int32] {
  let ni = shape[0], nj = shape[1], nk = shape[2]
  var out = [Int32](repeating: 0, count: values.count)
  var next: Int32 = 0
  for start in values.indices where values[start] != 0 && out[start] == 0 {
    next += 1
    out[start] = next
    var queue = [start], head = 0
    while head < queue.count {
      let p = queue[head]
      head += 1
      let i = p % ni, j = (p / ni) % nj, k = p / (ni * nj)
      for dk in -1...1 {
        for dj in -1...1 {
          for di in -1...1 where connectivity.connects(di, dj, dk) {
            let a = i + di, b = j + dj, c = k + dk
            guard a >= 0, a < ni, b >= 0, b < nj, c >= 0, c < nk else { continue }
            let q = a + ni * (b + nj * c)
            if out[q] == 0 && values[q] == values[start] {
              out[q] = next
              queue.append(q)
            }
          }
        }
      }
    }
  }
  return out
}

@Suite("Connected components")
struct ConnectedComponentsTests {
  // MARK: Goldens

  @Test("binary masks: labels, count and sizes equal scipy.ndimage.label (i fastest) for 6/18/26")
  func scipyGoldens() throws {
    let cases = try #require(try MorphologyGolden.json("components.json")["binary"] as? [[String: Any]])
    #expect(cases.count >= 7)
    for item in cases {
      let shape = try #require(item["shape"] as? [Int])
      let mask = MorphologyGolden.bytes(item["mask"])
      let byConnectivity = try #require(item["connectivity"] as? [String: [String: Any]])
      for connectivity in Connectivity.allCases {
        let golden = try #require(byConnectivity[String(connectivity.rawValue)])
        let components = ConnectedComponents(mask: mask, shape: shape, connectivity: connectivity)
        #expect(components.count == golden["count"] as? Int, "\(shape) \(connectivity)")
        #expect(components.sizes == golden["sizes"] as? [Int], "\(shape) \(connectivity)")
        #expect(components.componentIndex.map(Int.init) == MorphologyGolden.decode(golden["labels"]), "\(shape) \(connectivity)")
      }
    }
  }

  @Test("largest(1) keeps the component TPTBox's get_largest_k_segmentation_connected_components(1) keeps (cc3d, C order)")
  func upstreamLargestGoldens() throws {
    let cases = try #require(try MorphologyGolden.json("components.json")["binary"] as? [[String: Any]])
    var tiesSeen = 0
    for item in cases {
      let shape = try #require(item["shape"] as? [Int])
      let mask = MorphologyGolden.bytes(item["mask"])
      let byConnectivity = try #require(item["connectivity"] as? [String: [String: Any]])
      for connectivity in Connectivity.allCases {
        let golden = try #require(byConnectivity[String(connectivity.rawValue)])
        let components = ConnectedComponents(mask: mask, shape: shape, connectivity: connectivity)
        let kept = components.mask(keeping: components.largest(1))
        #expect(kept == MorphologyGolden.bytes(golden["largest"]), "\(shape) \(connectivity)")
        // The per-value entry point agrees.
        let perValue = components.largestComponentPerValue()
        #expect(perValue.isEmpty ? components.count == 0 : components.largest(1) == [perValue[1]!])
        if let top = components.sizes.max(), components.sizes.filter({ $0 == top }).count > 1 { tiesSeen += 1 }
      }
    }
    #expect(tiesSeen >= 3, "the goldens must contain equally large largest components to pin the tie rule")
  }

  @Test("multi-label maps: labels equal cc3d's multi-label mode on the Fortran-ordered array")
  func cc3dMultiLabelGoldens() throws {
    let cases = try #require(try MorphologyGolden.json("components.json")["multilabel"] as? [[String: Any]])
    #expect(!cases.isEmpty)
    for item in cases {
      let shape = try #require(item["shape"] as? [Int])
      let values = MorphologyGolden.bytes(item["map"])
      let map = Volume<UInt8>(grid: ImageGrid(shape: shape, affine: .identity), voxels: values)
      let byConnectivity = try #require(item["connectivity"] as? [String: [String: Any]])
      for connectivity in Connectivity.allCases {
        let golden = try #require(byConnectivity[String(connectivity.rawValue)])
        let components = ConnectedComponents(labelMap: map, connectivity: connectivity)
        #expect(components.count == golden["count"] as? Int)
        #expect(components.componentIndex.map(Int.init) == MorphologyGolden.decode(golden["labels"]), "\(shape) \(connectivity)")
        for c in 1...components.count { #expect(components.values[c - 1] == values[components.firstVoxels[c - 1]]) }
      }
    }
  }

  @Test("agrees with a breadth-first reference on larger random maps", arguments: [
    ([23, 17, 19], 0.35, 1, UInt64(11)), ([40, 9, 13], 0.6, 3, UInt64(12)), ([7, 31, 29], 0.2, 2, UInt64(13)),
  ])
  func breadthFirstReference(shape: [Int], density: Double, values: Int, seed: UInt64) {
    let map = pseudoRandomLabels(count: shape.reduce(1, *), density: density, values: values, seed: seed)
    for connectivity in Connectivity.allCases {
      let components = ConnectedComponents(
        labelMap: Volume(grid: ImageGrid(shape: shape, affine: .identity), voxels: map), connectivity: connectivity)
      #expect(components.componentIndex == referenceLabels(map, shape: shape, connectivity: connectivity), "\(connectivity)")
      #expect(components.sizes.reduce(0, +) == map.filter { $0 != 0 }.count)
    }
  }

  // MARK: Analytic shapes

  @Test("boxes touching at a face, an edge, a corner: 6 / 18 / 26 neighbourhoods")
  func touchingBoxes() {
    let shape = [8, 8, 8]
    func count(_ upperCorner: [Int], _ connectivity: Connectivity) -> Int {
      var map = Synthetic.box(shape: shape, lower: [1, 1, 1], upper: [3, 3, 3])
      for k in upperCorner[2]..<(upperCorner[2] + 2) {
        for j in upperCorner[1]..<(upperCorner[1] + 2) { for i in upperCorner[0]..<(upperCorner[0] + 2) { map[i, j, k] = 1 } }
      }
      return ConnectedComponents(map, label: UInt8(1), connectivity: connectivity).count
    }
    // Second box starts right after the first along i only (shares a face).
    #expect(count([3, 1, 1], .six) == 1)
    // Shares an edge: offset along i and j.
    #expect(count([3, 3, 1], .six) == 2)
    #expect(count([3, 3, 1], .eighteen) == 1)
    #expect(count([3, 3, 1], .twentySix) == 1)
    // Shares a corner only.
    #expect(count([3, 3, 3], .six) == 2)
    #expect(count([3, 3, 3], .eighteen) == 2)
    #expect(count([3, 3, 3], .twentySix) == 1)
    // Apart.
    #expect(count([5, 5, 5], .twentySix) == 2)
  }

  @Test("empty, full and one-voxel masks")
  func edgeCases() {
    let shape = [4, 3, 5]
    let empty = ConnectedComponents(mask: [UInt8](repeating: 0, count: 60), shape: shape, connectivity: .twentySix)
    #expect(empty.count == 0 && empty.largest(1).isEmpty && empty.largestComponentPerValue().isEmpty)
    let full = ConnectedComponents(mask: [UInt8](repeating: 7, count: 60), shape: shape, connectivity: .six)
    #expect(full.count == 1 && full.sizes == [60] && full.values == [1] && full.firstVoxels == [0])
    var one = [UInt8](repeating: 0, count: 60)
    one[59] = 1
    let single = ConnectedComponents(mask: one, shape: shape, connectivity: .six)
    #expect(single.count == 1 && single.firstVoxels == [59] && single.componentIndex[59] == 1)
    let line = ConnectedComponents(mask: [1, 0, 1, 1, 0, 1], shape: [6, 1, 1], connectivity: .twentySix)
    #expect(line.sizes == [1, 2, 1])
  }

  @Test("numbering follows the first voxel with i fastest (file order)")
  func numberingOrder() {
    var map = Volume<UInt8>(grid: ImageGrid(shape: [6, 3, 2], affine: .identity), repeating: 0)
    map[0, 1, 0] = 1  // index 6
    map[5, 0, 0] = 1  // index 5: first in file order
    map[0, 0, 1] = 1  // index 18
    let components = ConnectedComponents(map, label: UInt8(1), connectivity: .six)
    #expect(components.firstVoxels == [5, 6, 18])
    #expect(components.componentIndex[5] == 1 && components.componentIndex[6] == 2 && components.componentIndex[18] == 3)
  }

  @Test("equally large components: the one first in C order of the (i, j, k) array wins, as upstream")
  func tieRule() {
    var map = Volume<UInt8>(grid: ImageGrid(shape: [6, 3, 2], affine: .identity), repeating: 0)
    map[5, 0, 0] = 1  // file index 5: component 1; C-order key k + 2·(j + 3·i) = 30
    map[0, 1, 0] = 1  // file index 6: component 2; C-order key 2 (first in C order)
    map[3, 0, 1] = 1  // file index 21: component 3 (size 2, with the next voxel)
    map[3, 1, 1] = 1
    map[0, 2, 1] = 1  // file index 30: component 4; C-order key 5
    let components = ConnectedComponents(map, label: UInt8(1), connectivity: .six)
    #expect(components.count == 4)
    #expect(components.sizes == [1, 1, 2, 1])
    #expect(components.rankedBySize() == [3, 2, 4, 1])
    #expect(components.largest(2) == [3, 2])
    #expect(components.rowMajorFirstVoxels(of: [1, 2, 4]) == [1: 30, 2: 2, 4: 5])
    map[3, 1, 1] = 0
    let tied = ConnectedComponents(map, label: UInt8(1), connectivity: .six)
    #expect(tied.largest(1) == [2])
    #expect(tied.largestComponentPerValue() == [1: 2])
  }

  @Test("per-value ranking in a label map")
  func perValue() {
    var map = Volume<UInt8>(grid: ImageGrid(shape: [10, 4, 4], affine: .identity), repeating: 0)
    for i in 0..<3 { map[i, 0, 0] = 2 }  // value 2: sizes 3 and 4
    for i in 5..<9 { map[i, 0, 0] = 2 }
    map[0, 2, 2] = 3  // value 3: two single voxels; C-order key 0·16 + 2·4 + 2 = 10 (wins)
    map[9, 0, 3] = 3  // C-order key 9·16 + 0·4 + 3 = 147
    let components = ConnectedComponents(labelMap: map, connectivity: .twentySix)
    let best = components.largestComponentPerValue()
    #expect(components.sizes[best[2]! - 1] == 4)
    #expect(components.firstVoxels[best[3]! - 1] == map.index(0, 2, 2))
    #expect(components.rankedBySize(value: 2).map { components.sizes[$0 - 1] } == [4, 3])
    #expect(components.mask(keeping: [best[2]!]).reduce(0) { $0 + Int($1) } == 4)
  }
}
