import Foundation
import Testing
import _TestSupport

@testable import VibeSegKit

/// `vibeseg check-trained` (issue 21) on committed nnU-Net model fixtures: a NoMirroring model
/// renamed to the export's result folder passes; labels, spacing (axis order) and trainer /
/// mirroring mismatches each fail their own check.
@Suite("TrainedModelCheck")
struct TrainedModelCheckTests {
  static let models = Fixtures.committed("segment_upstream_more/models")

  /// A copy of `fixture` named `folderName` under `dir`.
  static func copyModel(_ fixture: String, to dir: URL, as folderName: String) throws -> URL {
    let source = try FileManager.default.contentsOfDirectory(
      at: models.appendingPathComponent(fixture), includingPropertiesForKeys: nil
    )
    .first { $0.lastPathComponent.contains("__") }!
    let target = dir.appendingPathComponent(folderName)
    try FileManager.default.copyItem(at: source, to: target)
    return target
  }

  /// An export's dataset.json with `labels` and `spacing` (NIfTI i j k).
  static func writeExport(to dir: URL, labels: [String: Int], spacing: [Double]) throws -> URL {
    let folder = dir.appendingPathComponent("Dataset042_Tiny")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let object: [String: Any] = ["labels": labels, "spacing": spacing, "channel_names": ["0": "MRI"]]
    try JSONSerialization.data(withJSONObject: object).write(to: folder.appendingPathComponent("dataset.json"))
    return folder
  }

  static let mainLabels = [
    "background": 0, "spleen": 1, "kidney_right": 2, "kidney_left": 3, "gallbladder": 4, "liver": 5, "ignore": 6,
  ]

  static func results(_ items: [TrainedModelCheck.Item]) -> [String: Bool] {
    Dictionary(uniqueKeysWithValues: items.map { ($0.name, $0.passed) })
  }

  @Test("a NoMirroring model in the export's result folder passes every check")
  func passes() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = try Self.copyModel("main", to: dir, as: NNUNetExportFiles.resultFolderName)
    // plans spacing [3.0, 1.875, 1.875] (z y x), transpose_forward identity -> NIfTI [1.875, 1.875, 3.0]
    let export = try Self.writeExport(to: dir, labels: Self.mainLabels, spacing: [1.875, 1.875, 3.0])
    let items = try TrainedModelCheck(model: model, dataset: export).run()
    #expect(items.map(\.name) == ["labels", "spacing", "trainer", "checkpoint", "weights"])
    #expect(items.allSatisfy { $0.passed }, "\(items)")
  }

  @Test("labels or spacing that differ from the export fail their check")
  func mismatches() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = try Self.copyModel("main", to: dir, as: NNUNetExportFiles.resultFolderName)
    var labels = Self.mainLabels
    labels["ignore"] = nil
    let noIgnore = try Self.writeExport(
      to: dir.appendingPathComponent("a"), labels: labels, spacing: [1.875, 1.875, 3.0])
    let r1 = Self.results(try TrainedModelCheck(model: model, dataset: noIgnore).run())
    #expect(r1["labels"] == false && r1["spacing"] == true)
    // the plans spacing read in the wrong axis order (not reversed) must fail
    let zFirst = try Self.writeExport(
      to: dir.appendingPathComponent("b"), labels: Self.mainLabels, spacing: [3.0, 1.875, 1.875])
    let r2 = Self.results(try TrainedModelCheck(model: model, dataset: zFirst).run())
    #expect(r2["labels"] == true && r2["spacing"] == false)
  }

  @Test("spacing is compared after reversing to z y x and applying transpose_forward [2, 0, 1]")
  func transposedSpacing() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    // plans: transpose_forward [2, 0, 1], spacing [4.0, 3.0, 2.5]: z y x = [3.0, 2.5, 4.0], NIfTI i j k = [4.0, 2.5, 3.0]
    let model = try Self.copyModel("transposed", to: dir, as: "nnUNetTrainer__nnUNetPlans__3d_fullres")
    var labels = Self.mainLabels
    labels["ignore"] = nil
    let right = try Self.writeExport(to: dir.appendingPathComponent("a"), labels: labels, spacing: [4.0, 2.5, 3.0])
    let items = try TrainedModelCheck(model: model, dataset: right).run()
    let r = Self.results(items)
    #expect(r["spacing"] == true && r["labels"] == true && r["weights"] == true)
    // a standard trainer with test-time mirroring in a differently named folder
    #expect(r["trainer"] == false && r["checkpoint"] == false)
    #expect(items.first { $0.name == "checkpoint" }!.detail.contains("inference_allowed_mirroring_axes is [0, 1, 2]"))
    for wrong in [[3.0, 2.5, 4.0], [2.5, 3.0, 4.0]] {
      let export = try Self.writeExport(to: dir.appendingPathComponent("w\(wrong[0])"), labels: labels, spacing: wrong)
      #expect(Self.results(try TrainedModelCheck(model: model, dataset: export).run())["spacing"] == false)
    }
  }

  @Test("a dataset folder without the export's dataset.json is refused")
  func missingExport() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = try Self.copyModel("main", to: dir, as: NNUNetExportFiles.resultFolderName)
    #expect(throws: VibeSegKitError.self) {
      try TrainedModelCheck(model: model, dataset: dir.appendingPathComponent("none")).run()
    }
  }
}
