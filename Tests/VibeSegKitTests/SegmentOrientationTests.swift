import Foundation
import NiftiIO
import Testing
import VolumeCore
import VolumeTransforms
import _TestSupport

@testable import VibeSegKit

/// Users of every peer tool report flipped or empty results from unusual orientations. The same
/// voxels given in other axis orders and directions must give the same labels once mapped back.
@Suite("Segment orientation robustness", .serialized)
struct SegmentOrientationTests {
  static let orientations = ["ASR", "RAS", "LPS", "PIR", "ILP", "SPL", "RIA", "PSR"]

  @Test("8 axis-code orientations of one scan give identical labels after mapping back")
  func sameLabels() throws {
    let (main, roi) = try SegmentParityTests.models()
    let pipeline = try SegmentationPipeline(model: main, roiModel: roi)
    let image = try NiftiImage(contentsOf: Fixtures.committed("segment/case_asr/image.nii.gz"))
    let original = try #require(Orientation(of: image.grid.affine))
    var reference: Volume<UInt8>? = nil
    for code in Self.orientations {
      let orientation = try #require(Orientation(code))
      let oriented = try image.volume.reoriented(to: orientation)
      #expect(Orientation(of: oriented.grid.affine) == orientation)
      let labels = try pipeline.segment(oriented)
      #expect(labels.grid == oriented.grid)
      let back = try labels.reoriented(to: original)
      #expect(back.grid.shape == image.grid.shape)
      if let reference {
        let differing = zip(reference.voxels, back.voxels).filter { $0 != $1 }.count
        #expect(differing == 0, "\(code): \(differing) voxels differ from \(Self.orientations[0])")
      } else {
        #expect(Set(back.voxels).count >= 3, "the labels must not be trivial")
        reference = back
      }
    }
  }
}
