import Foundation
import NiftiIO
import VolumeCore
import VolumeTransforms

/// `vibeseg resample-to` (training.md §2.4): a series and its label map onto the VIBE training
/// grid, as TPTBox 1.1.0's dataset builder prepares them.
///
/// - Target grid: `reference`'s grid, or the series reoriented to `orientation` and rescaled to
///   `spacing` with TPTBox's rule (`ResampleToGrid.seriesTarget`).
/// - Image: cubic B-spline (scipy order 3, prefiltered), boundary `imageMode`; series mode is
///   TPTBox `NII.reorient(o).rescale(z)` (`Volume.reoriented(to:)`, `Volume.rescaled`), reference
///   mode is `NII.resample_from_to(reference)` (`Volume.resampled(onto:)`). With `.constant` the
///   fill is the image minimum (TPTBox's `c_val` default). Stored type kept (TPTBox keeps the
///   dtype); images with scl_slope/scl_inter are resampled on their scaled values and written
///   as float32.
/// - Label map: `ResampleToGrid.resampleLabels` (nearest neighbour; outside voxels per
///   `outside`); a warning when voxels inside the label map already hold the ignore id.
///
/// Inputs are read through `ImageInput`; outputs (image, label map, report) are published
/// together by one `OutputTransaction` (all or none; existing files only with `overwrite`).
/// Not done here (training.md §2.4 items 4 and 7): one-hot linear label interpolation and the
/// alignment QC.
public struct ResampleToJob: Sendable {
  public var image: URL
  public var output: URL
  public var reference: URL?
  public var label: URL?
  public var labelOutput: URL?
  public var reportURL: URL?
  public var orientation: Orientation = .ras
  public var spacing: [Double] = ResampleToGrid.vibeSpacing
  public var imageMode: BoundaryMode = .nearest
  public var outside: OutsideLabelPolicy = .ignore
  public var labelInterpolation = LabelInterpolation.nearest
  /// `--qc-image`: an image on the label map's grid (the VIBE in-phase, say) for the alignment QC.
  public var qcImage: URL?
  /// `--qc-threshold`: body-mask Dice below this flags the case.
  public var qcThreshold = 0.95
  /// `--qc-png`: the QC preview.
  public var qcPNG: URL?
  /// The id written into outside voxels with `outside == .ignore`: by default TotalVibeSegmentator's
  /// ignore label (`StatisticsLabelRegistry.ignoreLabel`, max id + 1 = 73).
  public var ignoreLabel: Int = StatisticsLabelRegistry.totalVibe.ignoreLabel
  public var allowShear = false
  public var overwrite = false
  public var compressionLevel = 4

  public init(image: URL, output: URL) {
    self.image = image
    self.output = output
  }

  /// The report and the reader's warnings (each naming its file).
  public struct Outcome: Sendable {
    public var report: ResampleToReport
    public var readerWarnings: [String]
  }

  /// - Throws: `VibeSegKitError.missingInput` (66: a file that does not exist),
  ///   `.invalidInput` (65: 4-D or non-finite input, a sheared affine without `allowShear`, a
  ///   singular affine), `.invalidOption` (64: an ignore id the label type cannot
  ///   hold, a label map without its output), `NiftiError`, `OrientationError`,
  ///   `ResamplingError`.
  public func run() throws -> Outcome {
    if label != nil && labelOutput == nil {
      throw VibeSegKitError(.invalidOption, "--label needs --label-output", option: "--label-output")
    }
    if qcPNG != nil && qcImage == nil {
      throw VibeSegKitError(.invalidOption, "--qc-png needs --qc-image", option: "--qc-png")
    }
    let inputs = [image] + [reference, label, qcImage].compactMap { $0 }
    let outputs = try OutputTransaction(
      outputs: [output] + [labelOutput, reportURL, qcPNG].compactMap { $0 }, inputs: inputs, overwrite: overwrite)
    var warnings = [String]()
    let series = try ImageInput.readVolume(image, warnIdentityAffine: false)
    warnings += series.warnings
    try checkShear(series.grid, image)

    let target: ImageGrid
    if let reference {
      let ref = try ImageInput.readVolume(reference, warnIdentityAffine: false)
      warnings += ref.warnings
      try checkShear(ref.grid, reference)
      target = ref.grid
    } else {
      target = try ResampleToGrid.seriesTarget(series.grid, orientation: orientation, spacing: spacing)
    }
    let resampledImage = try resampleImage(series, onto: target)

    var labelReport: ResampleToReport.LabelReport?
    var labelImage: NiftiImage?
    if let label, let labelOutput {
      let read = try ImageInput.readVolume(label, warnIdentityAffine: false)
      warnings += read.warnings
      try checkShear(read.grid, label)
      let fill = Double(outside == .ignore ? ignoreLabel : 0)
      if let range = read.values.scalarType.integerRange, outside != .nearest, !range.contains(fill) {
        throw VibeSegKitError(
          .invalidOption,
          "the ignore label \(Int(fill)) does not fit the label map's datatype \(read.image.volume.scalarType.rawValue)",
          path: label.path, option: "--ignore-label")
      }
      guard let result = ResampleToGrid.resampleLabels(
        read.values, onto: target, outside: outside, fill: fill, interpolation: labelInterpolation) else {
        throw VibeSegKitError(.invalidInput, "the affine is singular or not finite", path: label.path)
      }
      if outside == .ignore && result.insideFillCount > 0 {
        warnings.append(
          "\(label.path): \(result.insideFillCount) target voxels inside the label map already hold id \(Int(fill)), the ignore label; they will be left out of training like the voxels outside it")
      }
      labelImage = NiftiImage(volume: result.labels)
      labelReport = ResampleToReport.LabelReport(
        input: label.path, output: labelOutput.path, outside: outside,
        ignoreLabel: outside == .ignore ? ignoreLabel : nil, outsideVoxels: result.outsideCount,
        outsideFraction: Double(result.outsideCount) / Double(target.voxelCount), interpolation: labelInterpolation)
    }

    let qc = try qcImage.map { try alignmentQC(resampled: resampledImage, target: target, qcImage: $0) }
    var report = ResampleToReport(
      targetSource: reference == nil ? "series" : "reference",
      reference: reference?.path,
      target: .init(target),
      image: .init(input: image.path, output: output.path, order: 3, mode: imageMode.rawValue),
      label: labelReport)
    report.qc = qc?.report
    if let qc = qc?.report, qc.flagged {
      warnings.append(
        "\(image.path): alignment QC body-mask Dice \(qc.dice.map { String(format: "%.3f", $0) } ?? "undefined") is below \(qc.threshold): the series may not be aligned with \(qc.image) (moved between series?); check it before training on it")
    }
    if let preview = qc?.png, let qcPNG { try preview.writePNG(to: qcPNG, in: outputs) }
    var writeOptions = NiftiWriteOptions()
    writeOptions.compressionLevel = compressionLevel
    try resampledImage.write(to: output, options: writeOptions, in: outputs)
    if let labelImage, let labelOutput {
      try labelImage.write(to: labelOutput, options: writeOptions, in: outputs)
    }
    if let reportURL {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      try outputs.write(Array(try encoder.encode(report)) + [0x0A], to: reportURL)
    }
    try outputs.commit()
    return Outcome(report: report, readerWarnings: warnings)
  }

  /// The series on `target`, order 3 with `imageMode` (see the type's documentation).
  func resampleImage(_ series: InputImage, onto target: ImageGrid) throws -> NiftiImage {
    let volume: AnyVolume = series.image.scaling == nil ? series.image.volume : AnyVolume(series.image.scaledVolume(as: Float.self))
    let cval = imageMode == .constant ? (volume.valueRange?.min ?? 0) : 0
    let result: AnyVolume
    if reference == nil {
      result = try volume.reoriented(to: orientation).rescaled(toSpacing: spacing, order: .cubic, mode: imageMode, cval: cval)
    } else {
      result = volume.resampled(onto: target, order: .cubic, mode: imageMode, cval: cval)
    }
    return NiftiImage(volume: result)
  }

  /// Refuses a sheared direction matrix unless `allowShear` (training.md §2.4 item 5).
  func checkShear(_ grid: ImageGrid, _ url: URL) throws {
    let shear = ResampleToGrid.shear(grid.affine)
    guard allowShear || shear <= ResampleToGrid.shearTolerance else {
      throw VibeSegKitError(
        .invalidInput,
        "the affine's direction matrix is not orthonormal (deviation \(String(format: "%.2g", shear))); nnU-Net/SimpleITK reject sheared images; pass --allow-shear to resample anyway",
        path: url.path)
    }
  }
}
