import Foundation
import NiftiIO
import Testing
import VolumeCore
import _TestSupport

@testable import VibeSegKit

/// `AugmentJob` replaying committed displacements against what TPTBox 1.1.0 `deformed_nii` +
/// elasticdeform 0.5.1 `deform_grid` returned for them (scripts/fixtures/make_augment_fixtures.py,
/// Tests/Fixtures/augment/).
@Suite("augment parity with TPTBox + elasticdeform")
struct AugmentParityTests {
  struct Case: Decodable {
    var inputs: [String]
    var normalize: String
  }

  static let names = ["p5_per_image", "p3_strong", "p12_int16_label", "p7_joint", "p4_none"]

  static func volume(_ url: URL) throws -> AnyVolume { try NiftiImage(contentsOf: url).volume }

  static func doubles(_ volume: AnyVolume) -> [Double] { volume.converted(to: Double.self).voxels }

  @Test("replayed copies: images within 1e-5 of the image's largest magnitude, labels exact", arguments: names)
  func replay(_ name: String) throws {
    let folder = Fixtures.committed("augment/\(name)")
    let inputs = Fixtures.committed("augment/inputs")
    let record = try JSONDecoder().decode(Case.self, from: Data(contentsOf: folder.appendingPathComponent("case.json")))
    let out = try Fixtures.temporaryDirectory("augment-parity")
    defer { try? FileManager.default.removeItem(at: out) }
    let images = record.inputs.filter { !$0.hasPrefix("seg") }
    let label = record.inputs.first { $0.hasPrefix("seg") }
    var job = AugmentJob(images: images.map { inputs.appendingPathComponent("\($0).nii.gz") }, outputFolder: out)
    job.label = label.map { inputs.appendingPathComponent("\($0).nii.gz") }
    job.replayParams = folder.appendingPathComponent("params.json")
    job.normalize = try #require(AugmentNormalization(rawValue: record.normalize))
    job.threads = 2
    let outcome = try job.run()
    let sidecar = try #require(outcome.sidecars.first)
    #expect(outcome.sidecars.count == 1 && sidecar.copyIndex == 1)

    for stem in images {
      let ours = try Self.volume(out.appendingPathComponent("\(stem)_d1.nii.gz"))
      let expected = try Self.volume(folder.appendingPathComponent("expected_\(stem).nii.gz"))
      #expect(ours.scalarType == .float32)
      let e = Self.doubles(expected)
      // elasticdeform accumulates in double and stores float32, as we do; the displacement is
      // evaluated in another order (~1e-16 voxel) and the scaling adds float32 rounding: 1e-5 of
      // the largest magnitude is the bound (observed: 0, bit-identical on every case).
      let scale = e.map(\.magnitude).max()!
      let o = Self.doubles(ours)
      expectClose(o, e, atol: 1e-5 * scale, "\(name)/\(stem)")
      let worst = zip(o, e).map { abs($0 - $1) }.max()! / scale
      print("augment parity \(name)/\(stem): max |ours - expected| / max |expected| = \(worst)")
    }
    if let label {
      let ours = try Self.volume(out.appendingPathComponent("\(label)_d1.nii.gz"))
      let source = try Self.volume(inputs.appendingPathComponent("\(label).nii.gz"))
      let expected = try Self.volume(folder.appendingPathComponent("expected_\(label).nii.gz"))
      // Our label map keeps the source type; TPTBox's NII turns int16 segmentations into uint16.
      #expect(ours.scalarType == source.scalarType)
      let mismatches = zip(Self.doubles(ours), Self.doubles(expected)).filter { $0 != $1 }.count
      #expect(mismatches == 0, "\(name)/\(label): \(mismatches) label voxels differ")
    }
    if name == "p3_strong" {
      // D[0] shifted by -14 voxels reaches past the 10-voxel padding: some voxels take cval.
      #expect((sidecar.outsideFraction ?? 0) > 0)
    }
  }
}
