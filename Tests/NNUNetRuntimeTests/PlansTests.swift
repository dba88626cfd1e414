import Foundation
import NNUNetRuntime
import Testing
import _TestSupport

@Suite("plans.json and dataset.json as nnU-Net reads them")
struct PlansTests {
  @Test("model folders decode to what PlansManager/ConfigurationManager/LabelManager report", arguments: ModelFixtures.names)
  func matchesNNUNet(name: String) throws {
    let expected = ModelFixtures.expected(name)
    let bundle = try ModelBundle(directory: ModelFixtures.folder(name))
    let c = bundle.configuration
    #expect(bundle.configurationName == expected.configuration)
    #expect(bundle.trainerName == expected.trainer)
    #expect(bundle.plans.plansName == expected.plans)
    #expect(c.patchSize == expected.patchSize)
    #expect(c.spacing == expected.spacing)
    #expect(bundle.plans.transposeForward == expected.transposeForward)
    #expect(bundle.plans.transposeBackward == expected.transposeBackward)
    #expect(c.normalizationSchemes.map(\.rawValue) == expected.normalizationSchemes)
    #expect(c.useMaskForNorm == expected.useMaskForNorm)
    #expect(bundle.dataset.channelNames.count == expected.inputChannels)
    #expect(bundle.labels.segmentationHeadCount == expected.segmentationHeads)
    #expect(bundle.labels.allLabels == expected.allLabels)
    #expect(bundle.labels.hasRegions == expected.hasRegions)
    #expect(bundle.labels.ignoreLabel == expected.ignoreLabel)
    #expect(c.architecture.className == expected.networkClass)
    #expect(c.architecture.stageCount == expected.architecture.n_stages)
    #expect(c.architecture.featuresPerStage == expected.architecture.features_per_stage)
    #expect(c.architecture.kernelSizes == expected.architecture.kernel_sizes)
    #expect(c.architecture.strides == expected.architecture.strides)
    // Every fold the script wrote is used, or left out with a warning when it lacks
    // checkpoint_final.pth (nnU-Net's auto-detection; `foldRules`).
    #expect(Set(bundle.folds.map(\.fold)).isSubset(of: expected.folds.map(String.init)))
    #expect(bundle.folds.count + bundle.warnings.count == expected.folds.count, "\(bundle.warnings)")
  }

  @Test("folds: nnU-Net leaves out a fold without the checkpoint; TPTBox uses checkpoint_best for every fold")
  func foldRules() throws {
    // resenc_2ch_fp16: fold_0 has checkpoint_final.pth, fold_1 only checkpoint_best.pth.
    let nnunet = try ModelBundle(directory: ModelFixtures.folder("resenc_2ch_fp16"))
    #expect(nnunet.folds.map(\.fold) == ["0"] && nnunet.folds.map(\.name) == [.final])
    #expect(nnunet.warnings.count == 1 && nnunet.warnings[0].contains("fold_1"), "\(nnunet.warnings)")
    #expect(throws: PlansError.self) { try ModelBundle(directory: ModelFixtures.folder("resenc_2ch_fp16"), folds: ["0", "1"]) }
    // TPTBox never mixes: final for every fold, else best for every fold, else an error.
    #expect(throws: PlansError.self) { try ModelBundle(directory: ModelFixtures.folder("resenc_2ch_fp16"), rule: .tptbox) }
    let dir = try copyOfFixture("plain_1ch")
    defer { try? FileManager.default.removeItem(at: dir) }
    for fold in ["fold_0", "fold_1"] {
      try FileManager.default.moveItem(
        at: dir.appendingPathComponent("\(fold)/checkpoint_final.pth"), to: dir.appendingPathComponent("\(fold)/checkpoint_best.pth"))
    }
    let best = try ModelBundle(directory: dir, rule: .tptbox)
    #expect(best.folds.map(\.fold) == ["0", "1"] && best.folds.allSatisfy { $0.name == .best })
    #expect(best.warnings.count == 1, "\(best.warnings)")
    #expect(throws: PlansError.self) { try ModelBundle(directory: dir) }
    let explicit = try ModelBundle(directory: ModelFixtures.folder("plain_1ch"), folds: ["1"])
    #expect(explicit.folds.map(\.fold) == ["1"])
    #expect(throws: PlansError.self) { try ModelBundle(directory: ModelFixtures.folder("plain_1ch"), folds: ["3"]) }
    #expect(throws: PlansError.self) { try ModelBundle(directory: ModelFixtures.folder("plain_1ch"), checkpoint: .best) }
  }

  @Test("maxFolds keeps the first N folds in string order, before the checkpoint is chosen (TPTBox max_folds)")
  func maxFolds() throws {
    let dir = try copyOfFixture("plain_1ch")
    defer { try? FileManager.default.removeItem(at: dir) }
    // fold_10 sorts between fold_1 and fold_2 as a string, as Python's sorted() puts it.
    for name in ["fold_10", "fold_2"] {
      try FileManager.default.copyItem(at: dir.appendingPathComponent("fold_1"), to: dir.appendingPathComponent(name))
    }
    #expect(try ModelBundle(directory: dir, rule: .tptbox).folds.map(\.fold) == ["0", "1", "10", "2"])
    #expect(try ModelBundle(directory: dir, rule: .tptbox, maxFolds: 3).folds.map(\.fold) == ["0", "1", "10"])
    #expect(try ModelBundle(directory: dir, rule: .tptbox, maxFolds: 9).folds.count == 4)
    // A fold past N without checkpoint_final.pth no longer forces checkpoint_best for every fold.
    try FileManager.default.moveItem(
      at: dir.appendingPathComponent("fold_2/checkpoint_final.pth"), to: dir.appendingPathComponent("fold_2/checkpoint_best.pth"))
    let three = try ModelBundle(directory: dir, rule: .tptbox, maxFolds: 3)
    #expect(three.folds.allSatisfy { $0.name == .final } && three.warnings.isEmpty, "\(three.warnings)")
    #expect(throws: PlansError.self) { try ModelBundle(directory: dir, rule: .tptbox) }
    // Named folds win over maxFolds.
    #expect(try ModelBundle(directory: dir, folds: ["1"], rule: .tptbox, maxFolds: 3).folds.map(\.fold) == ["1"])
  }

  @Test("old-style plans (before v2.3) give the same network as new-style ones")
  func oldStylePlans() throws {
    let dir = try copyOfFixture("plain_1ch")
    defer { try? FileManager.default.removeItem(at: dir) }
    let plansURL = dir.appendingPathComponent("plans.json")
    var plans = try JSONSerialization.jsonObject(with: Data(contentsOf: plansURL)) as! [String: Any]
    var configurations = plans["configurations"] as! [String: Any]
    var c = configurations["3d_fullres"] as! [String: Any]
    let arch = c.removeValue(forKey: "architecture") as! [String: Any]
    let kw = arch["arch_kwargs"] as! [String: Any]
    c["UNet_class_name"] = "PlainConvUNet"
    c["UNet_base_num_features"] = 8
    c["unet_max_num_features"] = 16
    c["n_conv_per_stage_encoder"] = kw["n_conv_per_stage"]
    c["n_conv_per_stage_decoder"] = kw["n_conv_per_stage_decoder"]
    c["conv_kernel_sizes"] = kw["kernel_sizes"]
    c["pool_op_kernel_sizes"] = kw["strides"]
    configurations["3d_fullres"] = c
    plans["configurations"] = configurations
    try JSONSerialization.data(withJSONObject: plans).write(to: plansURL)
    let old = try ModelBundle(directory: dir)
    let new = try ModelBundle(directory: ModelFixtures.folder("plain_1ch"))
    var a = old.configuration.architecture, b = new.configuration.architecture
    #expect(a.kind == b.kind && a.featuresPerStage == b.featuresPerStage && a.kernelSizes == b.kernelSizes && a.strides == b.strides)
    #expect(a.encoderDepthPerStage == b.encoderDepthPerStage && a.convsPerDecoderStage == b.convsPerDecoderStage)
    a.className = ""; b.className = ""
    #expect(a == b)
  }

  @Test("inherits_from: shallow update of the parent; cycles and missing parents are errors")
  func inheritance() throws {
    let dir = try copyOfFixture("plain_1ch")
    defer { try? FileManager.default.removeItem(at: dir) }
    let plansURL = dir.appendingPathComponent("plans.json")
    var plans = try JSONSerialization.jsonObject(with: Data(contentsOf: plansURL)) as! [String: Any]
    var configurations = plans["configurations"] as! [String: Any]
    configurations["3d_lowres"] = ["inherits_from": "3d_fullres", "spacing": [6.0, 6.0, 6.0], "patch_size": [16, 48, 64]]
    configurations["3d_cascade_fullres"] = ["inherits_from": "3d_lowres", "previous_stage": "3d_lowres"]
    plans["configurations"] = configurations
    try JSONSerialization.data(withJSONObject: plans).write(to: plansURL)
    let parsed = try Plans(contentsOf: plansURL)
    let cascade = try parsed.configuration("3d_cascade_fullres")
    #expect(cascade.spacing == [6, 6, 6] && cascade.patchSize == [16, 48, 64])
    #expect(cascade.previousStage == "3d_lowres")
    #expect(cascade.architecture == (try parsed.configuration("3d_fullres")).architecture)

    configurations["3d_fullres"] = (configurations["3d_fullres"] as! [String: Any]).merging(["inherits_from": "3d_cascade_fullres"]) { $1 }
    plans["configurations"] = configurations
    try JSONSerialization.data(withJSONObject: plans).write(to: plansURL)
    let error = try #require(throws: PlansError.self) { try Plans(contentsOf: plansURL) }
    #expect(error.message.contains("circular"), "\(error)")
  }

  @Test("an unknown normalisation scheme is refused, naming the field")
  func unknownNormalization() throws {
    let dir = try copyOfFixture("plain_1ch")
    defer { try? FileManager.default.removeItem(at: dir) }
    let plansURL = dir.appendingPathComponent("plans.json")
    let text = try String(contentsOf: plansURL, encoding: .utf8).replacingOccurrences(of: "\"ZScoreNormalization\"", with: "\"FancyNormalization\"")
    try text.write(to: plansURL, atomically: true, encoding: .utf8)
    let error = try #require(throws: PlansError.self) { try ModelBundle(directory: dir) }
    #expect(error.code == .unsupported)
    #expect(error.description.contains("normalization_schemes") && error.description.contains("FancyNormalization"), "\(error)")
  }

  @Test("dataset.json: ignore label, regions and their checks")
  func labels() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    func parse(_ json: String) throws -> DatasetDescription {
      let url = dir.appendingPathComponent("dataset.json")
      try json.write(to: url, atomically: true, encoding: .utf8)
      return try DatasetDescription(contentsOf: url)
    }
    let ignore = try parse(#"{"channel_names": {"0": "T1"}, "labels": {"background": 0, "a": 1, "b": 2, "ignore": 3}, "file_ending": ".nii.gz"}"#)
    let layout = try ignore.labelLayout()
    #expect(layout.ignoreLabel == 3 && layout.segmentationHeadCount == 3 && layout.allLabels == [0, 1, 2])
    let regions = try parse(#"{"channel_names": {"0": "T1", "1": "T2"}, "labels": {"background": 0, "whole": [1, 2, 3], "core": [2, 3], "enhancing": 3}, "regions_class_order": [1, 2, 3], "file_ending": ".nii.gz"}"#)
    let r = try regions.labelLayout()
    #expect(r.hasRegions && r.segmentationHeadCount == 3 && r.regions! == [[1, 2, 3], [2, 3], [3]])
    #expect(regions.channelNames == ["T1", "T2"])
    #expect(throws: PlansError.self) { try parse(#"{"channel_names": {"0": "T1"}, "labels": {"background": 0, "a": 1, "ignore": 5}}"#) }
    #expect(throws: PlansError.self) { try parse(#"{"channel_names": {"0": "T1"}, "labels": {"a": 1}}"#) }
    #expect(throws: PlansError.self) { try parse(#"{"channel_names": {"0": "T1"}, "labels": {"background": 0, "r": [1, 2]}}"#) }
    #expect(throws: PlansError.self) { try parse(#"{"channel_names": {"0": "T1"}, "labels": {"background": 0, "a": 2}}"#) }
    #expect(throws: PlansError.self) { try parse(#"{"labels": {"background": 0}"#) }
    // Label maps are at most 16-bit: a region label beyond 65535 is refused with its value.
    let big = try #require(throws: PlansError.self) {
      try parse(#"{"channel_names": {"0": "T1"}, "labels": {"background": 0, "big": [70000]}, "regions_class_order": [70000], "file_ending": ".nii.gz"}"#).labelLayout()
    }
    #expect(big.description.contains("70000"), "\(big)")
  }

  func copyOfFixture(_ name: String) throws -> URL {
    let dir = try Fixtures.temporaryDirectory().appendingPathComponent("nnUNetTrainer__nnUNetPlans__3d_fullres")
    try FileManager.default.copyItem(at: ModelFixtures.folder(name), to: dir)
    return dir
  }
}
