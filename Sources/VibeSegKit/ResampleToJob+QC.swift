import Foundation
import NiftiIO
import VolumeCore
import VolumeTransforms

/// `resample-to --qc-image VIBE` (training.md §2.2, §2.4 item 7): the resampling goes through the
/// headers only, so a subject who moved between the series is caught here instead: the body
/// mask (`BodyMask`) of the VIBE image (e.g. in-phase, on the label map's grid) resampled onto the
/// target grid by nearest neighbour, against the body mask of the resampled series, Dice over
/// the target voxels inside the VIBE image's grid; flagged below `qcThreshold` (0.95). With
/// `qcPNG`, a preview of the resampled series with both masks: 1 both, 2 VIBE only, 3 series only.
extension ResampleToJob {
  struct QCOutcome {
    var report: ResampleToReport.QCReport
    var png: Preview?
  }

  func alignmentQC(resampled: NiftiImage, target: ImageGrid, qcImage: URL) throws -> QCOutcome {
    let read = try ImageInput.read(qcImage)
    guard read.image.volume.channelCount == 1 else {
      throw VibeSegKitError(.invalidInput, "the QC image must be 3-D", path: qcImage.path, option: "--qc-image")
    }
    let reference = read.image.scaledVolume(as: Double.self)
    guard reference.voxels.allSatisfy(\.isFinite) else {
      throw VibeSegKitError(.invalidInput, "the QC image holds NaN or infinite voxels", path: qcImage.path, option: "--qc-image")
    }
    guard let referenceMask = BodyMask.mask(reference), let seriesMask = BodyMask.mask(resampled.scaledVolume(as: Double.self)),
      let outside = ResampleToGrid.outsideMask(target: target, source: reference.grid)
    else {
      throw VibeSegKitError(.invalidInput, "no body mask: the QC image or the series is empty, or an affine is singular", path: qcImage.path)
    }
    let onTarget = Volume<UInt8>(grid: reference.grid, voxels: referenceMask.mask)
      .resampled(onto: target, order: .nearest, mode: .nearest).voxels
    let inside = outside.map { !$0 }
    let dice = BodyMask.dice(onTarget, seriesMask.mask, inside: inside)
    let report = ResampleToReport.QCReport(
      image: qcImage.path, dice: dice, threshold: qcThreshold, flagged: (dice ?? 0) < qcThreshold,
      referenceOtsu: referenceMask.threshold, seriesOtsu: seriesMask.threshold,
      insideVoxels: inside.filter { $0 }.count, png: qcPNG?.path)
    var preview: Preview?
    if qcPNG != nil {
      let overlay = zip(onTarget, seriesMask.mask).map { a, b in UInt8(a != 0 && b != 0 ? 1 : a != 0 ? 2 : b != 0 ? 3 : 0) }
      preview = try Preview(
        segmentation: NiftiImage(Volume<UInt8>(grid: target, voxels: overlay)), image: resampled,
        segmentationPath: "alignment QC masks", imagePath: output.path)
    }
    return QCOutcome(report: report, png: preview)
  }
}
