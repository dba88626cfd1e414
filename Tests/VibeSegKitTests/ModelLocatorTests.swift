import Foundation
import Testing
import VibeSegKit
import _TestSupport

/// `ModelLocator.cascade`: a cascaded model brings its ROI model (by the id its dataset.json
/// names, or `--roi-model`); a missing one is named as the cascade's.
@Suite("model resolver: cascades")
struct ModelLocatorTests {
  static let main = Fixtures.committed("segment/main/nnUNetTrainerNoMirroring__nnUNetPlans__3d_fullres")
  static let roi = Fixtures.committed("segment/roi/nnUNetTrainer__nnUNetPlans__3d_fullres")

  @Test("ROI by the id dataset.json names, by --roi-model, and a cascade without its ROI model")
  func cascade() throws {
    let byID = try ModelLocator.table { $0 == 978 ? Self.roi : nil }.cascade(for: Self.main.path, roi: nil)
    #expect(byID.folder == Self.main && byID.roiFolder == Self.roi && byID.roiID == 978)
    // The dataset folder form, and --roi-model as a folder, with no ids known at all.
    let byFolder = try ModelLocator(zoo: nil).cascade(for: Self.main.deletingLastPathComponent().path, roi: Self.roi.path)
    #expect(byFolder.folder.standardizedFileURL == Self.main.standardizedFileURL && byFolder.roiFolder == Self.roi)
    // A plain model has no ROI model.
    let plain = try ModelLocator(zoo: nil).cascade(for: Self.roi.path, roi: nil)
    #expect(plain.roiFolder == nil && plain.roiID == nil)
    let missing = #expect(throws: VibeSegKitError.self) { try ModelLocator.table { _ in nil }.cascade(for: Self.main.path, roi: nil) }
    #expect(missing?.message.contains("ROI model 978") == true && missing?.message.contains("--roi-model") == true, "\(String(describing: missing))")
  }
}
