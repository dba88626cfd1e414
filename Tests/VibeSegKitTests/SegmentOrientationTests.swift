import Foundation
import NiftiIO
import Testing
import VolumeCore
import VolumeTransforms
import _TestSupport

@testable import VibeSegKit

/// Users of every peer tool report flipped or empty results from unusual orientations. The same
/// voxels given in other axis orders and directions must give the same labels on the model grid.
///
/// On the input grid exact equality is not upstream's behaviour: TPTBox maps labels back onto a
/// grid whose affine is rounded to 7 decimals, which turns 4 mm → 2.5/3.2/2.8 mm into exact
/// half-voxel ties, and scipy's `floor(c + 0.5)` breaks a tie towards the higher index, which is
/// the other neighbour once an axis is flipped. Measured 2026-12-07 with TPTBox 1.1.0 itself: the
/// ROI model on case_asr stored as ASR and as LPS differs in 15,094 of 212,940 voxels after
/// reorienting back, and `vibeseg segment` reproduces each of the two maps exactly (0 voxels).
@Suite("Segment orientation robustness", .serialized)
struct SegmentOrientationTests {
  static let orientations = ["ASR", "RAS", "LPS", "PIR", "ILP", "SPL", "RIA", "PSR"]

  @Test("8 axis-code orientations of one scan give identical labels on the model grid (ROI model, main model)")
  func sameLabels() throws {
    let (main, roi) = try SegmentParityTests.models()
    var options = SegmentationOptions()
    options.keepSize = true
    let roiPipeline = try SegmentationPipeline(model: roi, options: options)
    let pipeline = try SegmentationPipeline(model: main, roiModel: roi, options: options)
    let image = try NiftiImage(contentsOf: Fixtures.committed("segment/case_asr/image.nii.gz"))
    // One ROI map for every orientation (upstream's, on the input grid), reoriented with the image.
    let roiMap = try SegmentParityTests.upstream("case_asr", "roi", padding: 5, keepSize: false)
    var reference: (roi: Volume<UInt8>, main: Volume<UInt8>)? = nil
    for code in Self.orientations {
      let orientation = try #require(Orientation(code))
      let oriented = try image.volume.reoriented(to: orientation)
      #expect(Orientation(of: oriented.grid.affine) == orientation)
      let roiLabels = try roiPipeline.segment(oriented)
      let mainLabels = try pipeline.run(
        main, channels: [(oriented, false), (AnyVolume(try roiMap.reoriented(to: orientation)), true)], keepSize: true)
      if let reference {
        #expect(roiLabels.grid == reference.roi.grid && mainLabels.grid == reference.main.grid, "\(code): model grids differ")
        let roiDiffering = zip(reference.roi.voxels, roiLabels.voxels).filter { $0 != $1 }.count
        let mainDiffering = zip(reference.main.voxels, mainLabels.voxels).filter { $0 != $1 }.count
        #expect(roiDiffering == 0 && mainDiffering == 0, "\(code): ROI \(roiDiffering), main \(mainDiffering) voxels differ from \(Self.orientations[0])")
      } else {
        #expect(Set(mainLabels.voxels).count >= 3, "the labels must not be trivial")
        reference = (roiLabels, mainLabels)
      }
    }
  }
}
