import Foundation
import Testing
import _TestSupport

@testable import VibeSegKit
import NiftiIO
import VolumeCore

/// The one label-name file reader (issues 17, 18): every accepted shape gives the same names, a
/// malformed file is refused naming the entry, and the sidecar beside a label map is found.
@Suite("LabelNameFile")
struct LabelNameFileTests {
  static let expected = [1: "spleen", 5: "liver"]

  @Test("sidecar, dataset.json, id→name and name→id give the same names", arguments: [
    #"{"schemaVersion": 1, "model": "100", "labels": {"1": "spleen", "5": "liver"}, "labelsPresent": [1, 5], "options": {"crop": false}}"#,
    #"{"channel_names": {"0": "MRI"}, "labels": {"background": 0, "spleen": 1, "liver": 5, "ignore": 6, "organs": [1, 5]}}"#,
    #"{"0": "background", "1": "spleen", "5": "liver"}"#,
    #"{"background": 0, "spleen": 1, "liver": 5}"#,
    // ITK-SNAP's label description export.
    """
    ################################################
    # ITK-SnAP Label Description File
    # File format:
    # IDX   -R-  -G-  -B-  -A--  VIS MSH  LABEL
    ################################################
        0     0    0    0        0  0  0    "Clear Label"
        1   255    0    0        1  1  1    "spleen"
        5     0  255    0     0.75  1  1    "liver"
    """,
  ])
  func shapes(json: String) throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("labels.json")
    try Data(json.utf8).write(to: url)
    #expect(try LabelNameFile.load(contentsOf: url) == Self.expected)
  }

  @Test("ITK-SNAP files: a malformed line or a repeated id is refused naming the line")
  func itkSnapRefusals() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    for (text, message) in [("1 255 0 0 1 1 1 spleen", "line 1"), ("1 255 0 0 1 1 1 \"a\"\n1 0 0 0 1 1 1 \"b\"", "named twice"), ("# only comments", "no labels")] {
      let url = dir.appendingPathComponent("labels.txt")
      try Data(text.utf8).write(to: url)
      let error = #expect(throws: VibeSegKitError.self) { try LabelNameFile.load(contentsOf: url) }
      #expect(error?.description.contains(message) == true, "\(text): \(String(describing: error))")
    }
  }

  @Test("a malformed file is refused naming the entry; the sidecar beside a map is found, a foreign JSON is not")
  func refusalsAndSidecar() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let bad = dir.appendingPathComponent("bad.json")
    try Data(#"{"1": "spleen", "liver": "five"}"#.utf8).write(to: bad)
    #expect {
      try LabelNameFile.load(contentsOf: bad)
    } throws: { error in
      (error as? VibeSegKitError)?.code == .invalidLabelFile && "\(error)".contains("liver")
    }
    let map = dir.appendingPathComponent("seg.nii.gz")
    #expect(LabelNameFile.sidecar(besides: map) == nil)
    try Data(#"{"1": "spleen"}"#.utf8).write(to: dir.appendingPathComponent("seg.json"))
    #expect(LabelNameFile.sidecar(besides: map) == nil, "a label file without schemaVersion is not a sidecar")
    try Data(#"{"schemaVersion": 1, "labels": {"1": "spleen", "5": "liver"}}"#.utf8).write(to: dir.appendingPathComponent("seg.json"))
    #expect(LabelNameFile.sidecar(besides: map)?.names == Self.expected)
    let (registry, source) = try StatisticsLabelRegistry.forLabelMap(map, labelNames: nil)
    #expect(registry.names == Self.expected && source.hasSuffix("seg.json"))
  }
}

/// Through `SegmentationStatistics.run` (what `vibeseg stats` calls): names follow the label map's
/// sidecar, and `--label-names` accepts the sidecar itself (it was refused with 65 before).
@Suite("statistics name labels from the sidecar")
struct StatisticsSidecarNamesTests {
  @Test("no --label-names: the sidecar's names; --label-names SIDECAR works too")
  func sidecarNames() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let map = dir.appendingPathComponent("seg.nii.gz")
    var voxels = [UInt8](repeating: 0, count: 4 * 4 * 4)
    voxels[0] = 13
    voxels[1] = 24
    try NiftiImage(Volume(grid: ImageGrid(shape: [4, 4, 4], affine: .identity), voxels: voxels)).write(to: map)
    let sidecar = dir.appendingPathComponent("seg.json")
    try Data(#"{"schemaVersion": 1, "model": "total_mr", "labels": {"13": "small_bowel", "24": "inferior_vena_cava"}, "labelsPresent": [13, 24]}"#.utf8)
      .write(to: sidecar)
    for labelNames in [nil, sidecar] {
      let report = try SegmentationStatistics.run(StatisticsRequest(segmentation: map, labelNames: labelNames))
      #expect(report.labels.map(\.name) == ["small_bowel", "inferior_vena_cava"], "\(String(describing: labelNames))")
    }
    try FileManager.default.removeItem(at: sidecar)
    let table = try SegmentationStatistics.run(StatisticsRequest(segmentation: map))
    #expect(table.labels.map(\.name) == ["lung_middle_lobe_right", "heart"], "without a sidecar: TotalVibeSegmentator's table")
  }
}
