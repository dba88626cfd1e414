import Foundation
import Testing
import VolumeCore
import _TestSupport

/// `Tests/Fixtures/evaluation/surface.json` (made by scripts/fixtures/make_evaluation_goldens.py).
struct SurfaceGoldens: Decodable {
  struct Values: Decodable {
    var dice: Double?
    var iou: Double?
    var assd: Double?
    var hd95: Double?
    var nsd: Double?
  }
  struct Label: Decodable {
    var label: Int
    var predictionVoxels: Int
    var referenceVoxels: Int
    var intersectionVoxels: Int
    var reference: Values?
    var monai: Values?
    var analytic: Values?
  }
  struct Case: Decodable, CustomTestStringConvertible {
    var name: String
    var shape: [Int]
    var spacing: [Double]
    var reference: [[Int]]
    var prediction: [[Int]]
    var labels: [Label]
    var testDescription: String { name }

    func volume(_ runs: [[Int]]) -> Volume<UInt16> {
      var voxels = [UInt16]()
      for run in runs { voxels += [UInt16](repeating: UInt16(run[0]), count: run[1]) }
      return Volume(grid: ImageGrid(shape: shape, affine: .scaling(spacing, origin: [-10, 4, 2])), voxels: voxels)
    }
  }
  var toleranceMillimeters: Double
  var cases: [Case]

  static let loaded: SurfaceGoldens = {
    let data = try! Data(contentsOf: Fixtures.committed("evaluation/surface.json"))
    return try! JSONDecoder().decode(SurfaceGoldens.self, from: data)
  }()
}

/// `Tests/Fixtures/evaluation/statistics.json`.
struct StatisticsGoldens: Decodable {
  struct Result: Decodable {
    var statistic: Double
    var pvalue: Double
  }
  struct Sample: Decodable, CustomTestStringConvertible {
    var name: String
    var x: [Double]
    var y: [Double]
    var wilcoxon: Result
    var ranksums: Result
    var testDescription: String { name }
  }
  struct PercentileCase: Decodable {
    var values: [Double]
    var percentiles: [String: Double]
    var median: Double
  }
  var tests: [Sample]
  var percentiles: [PercentileCase]

  static let loaded: StatisticsGoldens = {
    let data = try! Data(contentsOf: Fixtures.committed("evaluation/statistics.json"))
    return try! JSONDecoder().decode(StatisticsGoldens.self, from: data)
  }()
}
