import DICOMCore
@testable import DICOMInput
import Foundation
import Testing
import _TestSupport

/// Multi-frame (enhanced) images (issue 19): highdicom's Legacy Converted Enhanced MR copy of the
/// 5-slice series fixture (scripts/fixtures/make_dicom_enhanced.py) is indexed frame by frame
/// from its functional groups and stacks to exactly the classic series' volume.
@Suite("DICOM multi-frame (enhanced) images")
struct EnhancedFrameTests {
  static func fixture(_ path: String) -> URL { Fixtures.committed("dicom/volume/\(path)") }

  @Test("one record per frame: geometry, rescale and frame type from the functional groups; the same stack as the classic slices")
  func framesAsSlices() throws {
    let enhanced = try DICOMIndex(scanning: Self.fixture("cases/enhanced_native"))
    let classic = try DICOMIndex(scanning: Self.fixture("series"))
    #expect(enhanced.verdict == .accepted)
    #expect(enhanced.problems.isEmpty, "\(enhanced.problems.map(\.message))")
    let group = try #require(enhanced.groups.first)
    let reference = try #require(classic.groups.first)
    #expect(enhanced.groups.count == 1 && group.files.count == 5)
    #expect(Set(group.files.map(\.path)).count == 1)
    #expect(group.files.map { $0.frame != nil && $0.frameCount == 5 } == Array(repeating: true, count: 5))
    for (frame, slice) in zip(group.files, reference.files) {
      #expect(zip(frame.imagePosition, slice.imagePosition).allSatisfy { abs($0 - $1) < 1e-9 })
      #expect(frame.imageOrientation == slice.imageOrientation)
      #expect(frame.pixelSpacing == slice.pixelSpacing)
      #expect(frame.rescaleSlope == 2 && frame.rescaleIntercept == -100)
    }
    #expect(group.files[0].imageType.starts(with: ["ORIGINAL", "PRIMARY"]))

    let a = try DICOMVolume(group: group)
    let b = try DICOMVolume(group: reference)
    #expect(a.shape == b.shape)
    #expect(a.values == b.values)
    #expect(a.scaling?.slope == b.scaling?.slope && a.scaling?.intercept == b.scaling?.intercept)
    for r in 0..<4 { #expect(zip(a.affine[r], b.affine[r]).allSatisfy { abs($0 - $1) < 1e-6 }, "row \(r)") }
  }

  @Test("a multi-frame file without per-frame functional groups is skipped with the reason")
  func noFunctionalGroups() throws {
    let index = try DICOMIndex(scanning: Self.fixture("cases/enhanced"))
    #expect(index.verdict == .noImages)
    #expect(index.skipped.count == 1 && index.skipped[0].reason.contains("without PerFrameFunctionalGroupsSequence"))
  }

  @Test("frames whose pixel data is shorter than frames x rows x columns are refused")
  func shortPixelData() throws {
    let index = try DICOMIndex(scanning: Self.fixture("cases/enhanced_native"))
    var group = try #require(index.groups.first)
    for k in group.files.indices { group.files[k].frameCount = 6 }
    let error = try #require(throws: DICOMError.self) { try DICOMVolume(group: group) }
    #expect(error.message.contains("6 frames x"), "\(error.message)")
  }
}
