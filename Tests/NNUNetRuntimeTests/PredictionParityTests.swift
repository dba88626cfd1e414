import Foundation
import NNUNetRuntime
import NiftiIO
import Testing
import VolumeCore
import _TestSupport

/// A case of scripts/fixtures/make_prediction_goldens.py: nnU-Net's own prediction.
struct PredictionCase: Decodable, CustomStringConvertible, Sendable {
  var name: String
  var model: String
  var channels: [String]
  var folds: [String]
  var mirroring: Bool
  var probabilities: Bool
  var description: String { name }

  static let all: [PredictionCase] = {
    let data = try! Data(contentsOf: Fixtures.committed("predictions/cases.json"))
    return try! JSONDecoder().decode([PredictionCase].self, from: data)
  }()
}

@Suite("Prediction parity with nnUNetPredictor (CPU)", .serialized)
struct PredictionParityTests {
  /// `chunked`: every convolution that can runs in depth chunks (threshold 0; the fixtures'
  /// tensors are below the default threshold, so the default runs them whole).
  @Test("label maps and probabilities match nnU-Net", arguments: PredictionCase.all, [false, true])
  func parity(_ c: PredictionCase, chunked: Bool) throws {
    let folder = Fixtures.committed("predictions/\(c.name)")
    let bundle = try ModelBundle(directory: ModelFixtures.folder(c.model), folds: c.folds)
    let model = chunked ? try LoadedModel(bundle: bundle, chunkingThreshold: 0) : try LoadedModel(bundle: bundle)
    var options = PredictionOptions()
    options.mirroring = c.mirroring
    options.saveProbabilities = c.probabilities
    let channels = try c.channels.map { try NiftiImage(contentsOf: folder.appendingPathComponent($0)).scaledVolume(as: Float.self) }
    let prediction = try model.predictor(options: options).predict(channels)
    let reference = try NiftiImage(contentsOf: folder.appendingPathComponent("nnunet.nii.gz"))
    #expect(reference.grid.shape == prediction.labels.grid.shape)
    let expected = reference.volume.converted(to: UInt16.self).voxels
    let agree = zip(expected, prediction.labels.voxels).filter { $0 == $1 }.count
    let agreement = Double(agree) / Double(expected.count)
    print("parity \(c.name)\(chunked ? " (chunked)" : ""): \(expected.count - agree) of \(expected.count) voxels differ (agreement \(agreement))")
    #expect(agreement >= 0.9999, "\(c.name): agreement \(agreement)")
    if c.probabilities {
      let ref = try NiftiImage(contentsOf: folder.appendingPathComponent("nnunet_probabilities.nii.gz")).scaledVolume(as: Float.self)
      let ours = try #require(prediction.probabilities)
      #expect(ref.voxels.count == ours.voxels.count)
      let differences = zip(ref.voxels, ours.voxels).map { abs($0 - $1) }
      let worst = differences.max() ?? 0
      let beyond = differences.filter { $0 > 1e-3 }.count
      print("parity \(c.name): max probability difference \(worst), \(beyond) of \(differences.count) entries beyond 1e-3")
      // nnU-Net rounds the logits to float16 after the network; where our float32 logits and
      // PyTorch's (equal to ~1e-6 relative) straddle a float16 rounding boundary, that logit moves by
      // one float16 step (1/32 at |logit| 32..64), which moves a softmax probability by up to
      // ~0.008. Such entries must stay as rare as the label flips they cause (<= 1e-4 of entries);
      // everything else is within the issue's 1e-3 (the reference is stored as uint16 with slope
      // 1/65535).
      #expect(Double(beyond) <= 1e-4 * Double(differences.count), "\(c.name): \(beyond) probabilities differ by more than 1e-3 (max \(worst))")
    }
  }
}
