import Foundation
import NiftiIO
import Testing
import VolumeCore
import _TestSupport

@testable import VibeSegKit

/// `segment` against upstream's pipeline run in Python on the same tiny cascaded models
/// (scripts/fixtures/make_segment_fixtures.py: reorient, TPTBox rescale, float16 squash and cast,
/// nnunetv2 `predict_single_npy_array`, nearest back onto the input grid).
@Suite("Segment parity with upstream", .serialized)
struct SegmentParityTests {
  static let cases = ["case_asr", "case_ilp_scaled"]

  static func models() throws -> (main: TotalVibeModel, roi: TotalVibeModel) {
    let main = try TotalVibeModel(folder: Fixtures.committed("segment/main/nnUNetTrainerNoMirroring__nnUNetPlans__3d_fullres"))
    let roi = try TotalVibeModel(folder: Fixtures.committed("segment/roi/nnUNetTrainer__nnUNetPlans__3d_fullres"))
    return (main, roi)
  }

  static func labels(_ url: URL) throws -> Volume<UInt8> {
    try NiftiImage(contentsOf: url).volume.converted(to: UInt8.self)
  }

  /// Fraction of voxels where the two label maps agree; the grids must be equal.
  static func agreement(_ a: Volume<UInt8>, _ b: Volume<UInt8>) -> Double {
    precondition(a.grid.shape == b.grid.shape)
    let same = zip(a.voxels, b.voxels).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
    return Double(same) / Double(a.voxels.count)
  }

  @Test("the fixture models carry upstream's dataset.json keys")
  func modelKeys() throws {
    let (main, roi) = try Self.models()
    #expect(main.orientation?.code == "LPS")
    #expect(main.roiModelID == 978)
    #expect(main.targetSpacing == [1.875, 1.875, 3.0])
    #expect(roi.orientation?.code == "RAS")
    #expect(roi.roiModelID == nil)
    #expect(roi.targetSpacing == [4, 4, 4])
  }

  @Test("ROI model and cascaded model equal upstream voxel for voxel", arguments: cases)
  func parity(name: String) throws {
    let (main, roi) = try Self.models()
    let image = try NiftiImage(contentsOf: Fixtures.committed("segment/\(name)/image.nii.gz"))
    let volume: AnyVolume = image.scaling == nil ? image.volume : AnyVolume(image.scaledVolume(as: Float.self))

    let roiPipeline = try SegmentationPipeline(model: roi)
    let roiLabels = try roiPipeline.segment(volume)
    let roiExpected = try Self.labels(Fixtures.committed("segment/\(name)/roi_upstream.nii.gz"))
    #expect(roiLabels.grid.shape == image.grid.shape)
    let roiAgreement = Self.agreement(roiLabels, roiExpected)
    #expect(roiAgreement >= 0.999, "ROI model agreement \(roiAgreement)")

    let pipeline = try SegmentationPipeline(model: main, roiModel: roi)
    let labels = try pipeline.segment(volume)
    let expected = try Self.labels(Fixtures.committed("segment/\(name)/seg_upstream.nii.gz"))
    #expect(labels.grid.shape == expected.grid.shape)
    let agreement = Self.agreement(labels, expected)
    // Upstream-equal everywhere except float16 ties in nnU-Net's accumulators (none expected).
    #expect(agreement >= 0.999, "cascade agreement \(agreement)")
    // The random-weight models must produce several structures, or parity would be vacuous.
    #expect(Set(expected.voxels).count >= 3)
    print("segment parity \(name): ROI \(roiAgreement), cascade \(agreement)")
  }
}
