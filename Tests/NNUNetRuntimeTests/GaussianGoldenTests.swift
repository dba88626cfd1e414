import Foundation
import Testing
import _TestSupport

@testable import NNUNetRuntime

/// The importance maps against TPTBox 1.1.0's and nnU-Net 2.8.1's own `compute_gaussian`
/// (scripts/fixtures/make_gaussian_goldens.py): every float16 value of a small patch, and the
/// floor value, its count, the sum and the peak for two real patch sizes.
@Suite("Gaussian importance maps against upstream")
struct GaussianGoldenTests {
  struct Map: Decodable {
    var patch: [Int]
    var kind: String
    var floor: Double
    var floorCount: Int
    var sum: Double
    var max: Double
    var values: [Double]?
  }

  struct Golden: Decodable { var maps: [Map] }

  @Test("TPTBox's x1000 map (float16 before normalising) and nnU-Net's x10 map equal upstream's")
  func maps() throws {
    let golden = try JSONDecoder().decode(
      Golden.self, from: Data(contentsOf: Fixtures.committed("gaussian/gaussians.json")))
    #expect(golden.maps.count == 6)
    for map in golden.maps {
      let kind: ImportanceMap = map.kind == "tptbox" ? .tptbox : .nnUNet
      let g = SlidingWindow.gaussian(patch: map.patch, importance: kind).map(Double.init)
      let label = "\(map.kind) \(map.patch)"
      if let values = map.values {
        let differing = zip(g, values).filter { $0 != $1 }.count
        #expect(g.count == values.count && differing == 0, "\(label): \(differing) values differ")
      }
      let floor = g.min()!
      #expect(floor == map.floor, "\(label): floor \(floor)")
      #expect(g.filter { $0 == floor }.count == map.floorCount, "\(label): floor count")
      #expect(g.max()! == map.max, "\(label): peak")
      #expect(abs(g.reduce(0, +) - map.sum) <= 1e-9 * map.sum, "\(label): sum \(g.reduce(0, +)) vs \(map.sum)")
    }
  }
}
