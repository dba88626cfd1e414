import Foundation
import _TestSupport

/// What nnU-Net's PlansManager / ConfigurationManager / LabelManager report for a committed model
/// folder (scripts/fixtures/make_model_folders.py).
struct ModelExpectation: Decodable {
  struct Architecture: Decodable {
    var n_stages: Int
    var features_per_stage: [Int]
    var kernel_sizes: [[Int]]
    var strides: [[Int]]
  }
  var trainer: String
  var plans: String
  var configuration: String
  var networkClass: String
  var patchSize: [Int]
  var spacing: [Double]
  var transposeForward: [Int]
  var transposeBackward: [Int]
  var normalizationSchemes: [String]
  var useMaskForNorm: [Bool]
  var inputChannels: Int
  var segmentationHeads: Int
  var allLabels: [Int]
  var hasRegions: Bool
  var ignoreLabel: Int?
  var architecture: Architecture
  var parameterCount: Int
  var folds: [Int]
  var mirroringAxes: [Int]
  var checkpointDtype: String
}

enum ModelFixtures {
  static let names = ["plain_1ch", "resenc_2ch_fp16"]

  static func folder(_ name: String) -> URL { Fixtures.modelFolder(name) }

  static func expected(_ name: String) -> ModelExpectation {
    let data = try! Data(contentsOf: Fixtures.committed("models/\(name)/expected.json"))
    return try! JSONDecoder().decode(ModelExpectation.self, from: data)
  }
}
