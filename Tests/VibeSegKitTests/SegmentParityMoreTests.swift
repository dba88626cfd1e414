import Foundation
import NiftiIO
import Testing
import VolumeCore
import VolumeTransforms
import _TestSupport

@testable import VibeSegKit

/// `segment` against upstream's own pipeline on more models and inputs (issue 16): label maps made
/// by TPTBox 1.1.0's `run_inference_on_file` (CPU) with scripts/fixtures/make_segment_upstream_more.py
/// → Tests/Fixtures/segment_upstream_more/. Models made by nnU-Net's real planner: a random-weight
/// cascade (ROI model as channel 1, 2 folds, an ignore label), a random-weight model whose plans
/// transpose the axes ([2, 0, 1]), both with seg heads scaled so |logit| <= ~3 (float16 resolves the
/// margins, upstream's float16 sums cannot overflow), and a model trained here with nnU-Net on the
/// real MR. Inputs: LPS int16, RAS scaled float32 (squashed), an oblique affine, and a CT large
/// enough for several tiles per axis. Padding 0 and 5, model grid (keep_size) and input grid.
/// `compare_segment_upstream_more.py` measures the same with the CLI.
@Suite("Segment parity with upstream, more models and inputs", .serialized)
struct SegmentParityMoreTests {
  static let root = "segment_upstream_more"

  /// Minimum voxel agreement per fixture on the model grid (`keep_size`) and the input grid.
  /// Measured 2026-12-07 (table: Tests/Fixtures/segment_upstream_more/README.md); the issue asks
  /// for 0.999 / 0.995.
  struct Minimum {
    var model: Double
    var input: Double
  }

  static let minimum: [String: Minimum] = [
    // Measured: 100 % (padd 0), 1 and 2 voxels (padd 5): float16 ties of the random-weight model.
    "roi/mr_oblique_int16": Minimum(model: 0.9999, input: 0.9999),
    // Measured: 3 / 1 voxels (padd 0), 4 / 2 voxels (padd 5); upstream's own float16 logits there
    // are tied or 1 float16 ulp apart (explain_segment_upstream_more.py).
    "seg/mr_lps_int16": Minimum(model: 0.9999, input: 0.9999),
    // Measured 99.919 / 99.923 % (padd 0: our ROI map differs from upstream's on 1 voxel, a float16
    // tie, and channel 1 spreads it over 375 model-grid voxels), 100.000 % (padd 5).
    "seg/mr_ras_float": Minimum(model: 0.999, input: 0.999),
    // NOT the issue's 99.9 % on the model grid at padd 0: measured 99.822 / 99.816 % (padd 0: our
    // ROI map differs from upstream's on 5 input-grid voxels, float16 ties of the random-weight ROI
    // model, and channel 1 spreads them over 1687 model-grid voxels; fed upstream's ROI map the
    // main model agrees to >= 99.99 %), 99.999 % (padd 5, 7 / 4 voxels).
    "seg/ct_ras_int16": Minimum(model: 0.998, input: 0.998),
    // `segment` hands the main model the ROI map on the input affine rounded to 7 decimals, as
    // upstream's chain does (see `cascade`): measured 99.9995 / 99.9995 % (padd 0), 99.854 /
    // 99.845 % (padd 5: our ROI map differs from upstream's on 2 voxels, float16 ties of the ROI
    // model, and channel 1 spreads them). Before that rounding: 97.39 / 96.37 %.
    "seg/mr_oblique_int16": Minimum(model: 0.998, input: 0.998),
    // Measured 99.998 % (7 voxels, padd 0), 99.999 % (3-4 voxels, padd 5).
    "transposed/ct_ras_int16": Minimum(model: 0.9999, input: 0.9999),
    // Measured 100.000 % (padd 0), 1 voxel each grid (padd 5).
    "transposed/mr_oblique_int16": Minimum(model: 0.9999, input: 0.9999),
    // The trained model (liver, stomach, left kidney on this scan): measured 100.000 % everywhere.
    "trained/mr_lps_int16": Minimum(model: 0.9999, input: 0.9999),
    "trained/mr_ras_float": Minimum(model: 0.9999, input: 0.9999),
    "trained/mr_oblique_int16": Minimum(model: 0.9999, input: 0.9999),
  ]

  static func model(_ name: String) throws -> TotalVibeModel {
    let parent = Fixtures.committed("\(root)/models/\(name)")
    let folders = try FileManager.default.contentsOfDirectory(at: parent, includingPropertiesForKeys: nil)
      .filter { $0.lastPathComponent.contains("__") }
    try #require(folders.count == 1, "one Trainer__Plans__config folder in \(parent.path)")
    return try TotalVibeModel(folder: folders[0])
  }

  // Reading, options and agreement as in SegmentParityTests (one copy of each).
  static func labels(_ url: URL) throws -> Volume<UInt8> { try SegmentParityTests.labels(url) }

  static func upstream(_ name: String, _ what: String, padding: Int, keepSize: Bool) throws -> Volume<UInt8> {
    try labels(Fixtures.committed("\(root)/\(name)/\(what)_padd\(padding)_\(keepSize ? "model" : "input").nii.gz"))
  }

  static func image(_ name: String) throws -> AnyVolume {
    try SegmentParityTests.image(at: Fixtures.committed("\(root)/\(name)/image.nii.gz"))
  }

  static func options(padding: Int, keepSize: Bool) -> SegmentationOptions {
    SegmentParityTests.options(padding: padding, keepSize: keepSize)
  }

  static func agreement(_ a: Volume<UInt8>, _ b: Volume<UInt8>) -> Double { SegmentParityTests.agreement(a, b) }

  @Test("the fixture models carry what the planner and the script chose")
  func modelKeys() throws {
    let main = try Self.model("main")
    #expect(main.orientation?.code == "LPS")
    #expect(main.roiModelID == 978)
    #expect(main.targetSpacing == [1.875, 1.875, 3.0])
    #expect(main.labelNames.count == 5)
    let roi = try Self.model("roi")
    #expect(roi.orientation?.code == "RAS")
    #expect(roi.targetSpacing == [4, 4, 4])
    let transposed = try Self.model("transposed")
    #expect(transposed.bundle.plans.transposeForward == [2, 0, 1])
    // plans spacing [4, 3, 2.5] in transposed order (x, z, y) → (x, y, z) = (4, 2.5, 3).
    #expect(transposed.targetSpacing == [4, 2.5, 3])
    let trained = try Self.model("trained")
    #expect(trained.orientation?.code == "LPS")
    #expect(trained.targetSpacing == [2.5, 2.5, 3])
  }

  /// Paddings checked: upstream's default 5 always; 0 too with VIBESEG_PARITY_FULL=1 (the whole
  /// matrix takes several minutes in a debug build on 2 cores; the default run stays near a minute).
  /// `compare_segment_upstream_more.py` measures every fixture with both paddings through the CLI.
  static let full = ProcessInfo.processInfo.environment["VIBESEG_PARITY_FULL"] == "1"
  static let paddings = full ? [0, 5] : [5]

  /// One single model (no cascade) against upstream on both grids: the model-grid map from the
  /// pipeline (keepSize), the input-grid map from it by the pipeline's export step.
  func single(_ what: String, _ name: String, model: TotalVibeModel, minimum: Minimum, checkExport: Bool = false) throws {
    let volume = try Self.image(name)
    for padding in Self.paddings {
      let label = "\(what) \(name) padd \(padding)"
      let onModelGrid = try SegmentationPipeline(model: model, options: Self.options(padding: padding, keepSize: true)).segment(volume)
      let expectedModel = try Self.upstream(name, what, padding: padding, keepSize: true)
      let expectedInput = try Self.upstream(name, what, padding: padding, keepSize: false)
      try #require(onModelGrid.grid.shape == expectedModel.grid.shape, "\(label)")
      let onInput = Self.onInputGrid(onModelGrid, volume.grid)
      if checkExport {
        let direct = try SegmentationPipeline(model: model, options: Self.options(padding: padding, keepSize: false)).segment(volume)
        #expect(direct.voxels == onInput.voxels, "\(label): the export step differs from segment without keepSize")
      }
      let modelAgreement = Self.agreement(onModelGrid, expectedModel)
      let inputAgreement = Self.agreement(onInput, expectedInput)
      #expect(modelAgreement >= minimum.model, "\(label) model grid: \(modelAgreement)")
      #expect(inputAgreement >= minimum.input, "\(label) input grid: \(inputAgreement)")
      #expect(Set(expectedModel.voxels).count >= 3, "\(label): upstream's map must hold several structures")
      print("segment parity more \(label): model grid \(modelAgreement), input grid \(inputAgreement)")
    }
  }

  @Test("transposed plans ([2, 0, 1]) equal upstream's", arguments: ["ct_ras_int16", "mr_oblique_int16"])
  func transposed(name: String) throws {
    try single("transposed", name, model: try Self.model("transposed"), minimum: Self.minimum["transposed/\(name)"]!)
  }

  @Test("the model trained with nnU-Net equals upstream's", arguments: ["mr_lps_int16", "mr_ras_float", "mr_oblique_int16"])
  func trained(name: String) throws {
    try single("trained", name, model: try Self.model("trained"), minimum: Self.minimum["trained/\(name)"]!)
  }

  @Test("the ROI model alone equals upstream's", arguments: ["mr_oblique_int16"])
  func roi(name: String) throws {
    try single("roi", name, model: try Self.model("roi"), minimum: Self.minimum["roi/\(name)"]!, checkExport: true)
  }

  /// The cascade with the TRAINED model as ROI model (realistic margins, no float16 ties in the ROI
  /// map): models/main_troi has models/main's weights and `roi` 981 (make_segment_upstream_cascade_trained.py).
  /// Measured with the CLI 99.998-100.000 % on both grids, padd 0 and 5 (README); the differing
  /// voxels are upstream float16 ties or <= 2 ulp of the random main model.
  @Test("the cascade with the trained ROI model equals upstream's", arguments: ["mr_lps_int16", "mr_oblique_int16"])
  func cascadeTrainedROI(name: String) throws {
    let (main, roi) = (try Self.model("main_troi"), try Self.model("trained"))
    #expect(main.roiModelID == 981)
    let volume = try Self.image(name)
    for padding in Self.paddings {
      let label = "cascade_trained \(name) padd \(padding)"
      let expectedModel = try Self.upstream(name, "cascade_trained", padding: padding, keepSize: true)
      let expectedInput = try Self.upstream(name, "cascade_trained", padding: padding, keepSize: false)
      let onModelGrid = try SegmentationPipeline(model: main, roiModel: roi, options: Self.options(padding: padding, keepSize: true))
        .segment(volume)
      try #require(onModelGrid.grid.shape == expectedModel.grid.shape, "\(label)")
      let model = Self.agreement(onModelGrid, expectedModel)
      let input = Self.agreement(Self.onInputGrid(onModelGrid, volume.grid), expectedInput)
      #expect(model >= 0.9999, "\(label) model grid: \(model)")
      #expect(input >= 0.9999, "\(label) input grid: \(input)")
      print("segment parity more \(label): model grid \(model), input grid \(input)")
    }
  }

  /// The model-grid map brought onto the input grid by the pipeline's own export step
  /// (`SegmentationPipeline.run` without keepSize: nearest neighbour onto the input grid whose
  /// affine is rounded to 7 decimals). Halves the run time; `roi` checks that it equals
  /// `segment` without keepSize.
  static func onInputGrid(_ labels: Volume<UInt8>, _ input: ImageGrid) -> Volume<UInt8> {
    let target = ImageGrid(shape: input.shape, affine: SegmentationPipeline.roundedToSevenDecimals(input.affine))
    return Volume(grid: input, voxels: labels.resampled(onto: target, order: .nearest, mode: .nearest).voxels)
  }

  /// The whole cascade: our ROI map is the main model's channel 1 (2 folds, an ignore label).
  ///
  /// Upstream's chain (run_TotalVibeSegmentator.py: `to_nii(roi, True)` of the in-memory ROI result)
  /// hands the main model a ROI map whose affine is the INPUT AFFINE ROUNDED TO 7 DECIMALS (TPTBox's
  /// `resample_from_to_` returns the target `Grid`'s rounded affine, and `to_nii` of an NII is a plain
  /// copy), while the image channel keeps the file's float32 affine. `segment` gives the ROI map the
  /// image's own grid. On axis-aligned inputs that changes nothing; on the oblique input the ROI
  /// channel's nearest-neighbour rescale onto the main model's grid then differs on 1349 voxels
  /// (measured with TPTBox's own rescale_), which moves 2.6 % of the random-weight main model's
  /// labels. `segment` now carries the ROI map on the rounded grid, as upstream does.
  @Test("the cascade equals upstream's", arguments: ["mr_lps_int16", "mr_oblique_int16", "mr_ras_float", "ct_ras_int16"])
  func cascade(name: String) throws {
    let (main, roi) = (try Self.model("main"), try Self.model("roi"))
    let volume = try Self.image(name)
    let minimum = Self.minimum["seg/\(name)"]!
    let roundedGrid = ImageGrid(shape: volume.grid.shape, affine: SegmentationPipeline.roundedToSevenDecimals(volume.grid.affine))
    for padding in Self.paddings {
      let label = "seg \(name) padd \(padding)"
      let expectedModel = try Self.upstream(name, "seg", padding: padding, keepSize: true)
      let expectedInput = try Self.upstream(name, "seg", padding: padding, keepSize: false)
      #expect(Set(expectedModel.voxels).count >= 3, "\(label): upstream's map must hold several structures")
      // `segment` itself (the ROI model, its map on the rounded input grid as channel 1, the main
      // model), on the model grid and on the input grid.
      let onModelGrid = try SegmentationPipeline(model: main, roiModel: roi, options: Self.options(padding: padding, keepSize: true))
        .segment(volume)
      try #require(onModelGrid.grid.shape == expectedModel.grid.shape, "\(label)")
      let onInput = try SegmentationPipeline(model: main, roiModel: roi, options: Self.options(padding: padding, keepSize: false))
        .segment(volume)
      let model = Self.agreement(onModelGrid, expectedModel)
      let input = Self.agreement(onInput, expectedInput)
      #expect(model >= minimum.model, "\(label) model grid: \(model)")
      #expect(input >= minimum.input, "\(label) input grid: \(input)")
      var line = "segment parity more \(label): model grid \(model), input grid \(input)"
      let pipeline = try SegmentationPipeline(model: main, roiModel: roi, options: Self.options(padding: padding, keepSize: true))
      // The main model alone: upstream's own ROI map, on the rounded grid as upstream passes it
      // (isolates the main model from the ROI model's float16 ties). Default run: oblique only.
      guard Self.full || name == "mr_oblique_int16" else {
        print(line)
        continue
      }
      let theirs = try Self.upstream(name, "roi", padding: padding, keepSize: false)
      let isolated = try pipeline.run(main, channels: [(volume, false), (AnyVolume(Volume(grid: roundedGrid, voxels: theirs.voxels)), true)], keepSize: true)
      let modelI = Self.agreement(isolated, expectedModel)
      #expect(modelI >= 0.9999, "\(label) main model on upstream's ROI map: \(modelI)")
      line += "; main model on upstream's ROI map: model grid \(modelI)"
      print(line)
    }
  }
}
