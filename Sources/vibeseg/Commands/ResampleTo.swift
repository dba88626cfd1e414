import ArgumentParser
import Foundation
import VolumeCore
import VolumeTransforms
import VibeSegKit

extension OutsideLabelPolicy: ExpressibleByArgument {}
extension BoundaryMode: ExpressibleByArgument {}
extension LabelInterpolation: ExpressibleByArgument {}

extension VibeSegCommand {
  struct ResampleTo: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "resample-to",
      abstract: "Resample a series and its label map onto the VIBE training grid (TPTBox parity).",
      discussion: """
        The target grid is the series reoriented to --orientation (RAS) and rescaled to \
        --spacing (1.40625 1.40625 3.0 mm) as TPTBox 1.1.0's NII.reorient().rescale() does \
        (new size rint(n*z/z'), the world position of voxel (0,0,0) kept), or the grid of \
        --reference. The image is resampled with cubic B-splines (--mode nearest: edge \
        extension as TPTBox; constant: the image minimum outside). The label map is resampled \
        by nearest neighbour (floor(x+0.5), TPTBox's resample_from_to for segmentations); \
        target voxels outside the label map's grid get --outside: ignore (the --ignore-label \
        id, by default TotalVibeSegmentator's ignore label 73 = max id + 1), background (0) or nearest (TPTBox's edge replication). Sheared affines are \
        refused unless --allow-shear. All outputs are written together or not at all.

        Examples:
          vibeseg resample-to t2_sag.nii.gz -o t2_vibe.nii.gz --label seg_vibe.nii.gz \\
            --label-output seg_t2.nii.gz --report t2.json
          vibeseg resample-to water2.nii.gz -o water2_on_ref.nii.gz --reference water.nii.gz
        """)

    @Argument(help: "The series (.nii or .nii.gz) to resample.")
    var input: String

    @Option(name: .shortAndLong, help: "Output image (.nii or .nii.gz).")
    var output: String

    @Option(help: "Use this image's grid as the target instead of the rescaled series.")
    var reference: String?

    @Option(help: "A label map to resample onto the target grid (needs --label-output).")
    var label: String?

    @Option(help: "Output label map (.nii or .nii.gz).")
    var labelOutput: String?

    @Option(help: "Target axis codes for the series grid.")
    var orientation: String = "RAS"

    @Option(parsing: .upToNextOption, help: "Target voxel spacing in mm along i j k (default 1.40625 1.40625 3.0).")
    var spacing: [Double] = []

    @Option(help: "Image boundary mode: nearest (TPTBox) or constant.")
    var mode: BoundaryMode = .nearest

    @Option(help: "Label voxels outside the label map's grid: ignore, background or nearest (TPTBox).")
    var outside: OutsideLabelPolicy = .ignore

    @Option(help: "Label map interpolation: nearest (TPTBox) or onehot-linear (per-label trilinear weights, the largest wins: less staircase from thick slices).")
    var labelInterp: LabelInterpolation = .nearest

    @Option(help: "The ignore label's id for --outside ignore (default 73: TotalVibeSegmentator's max id + 1; other label sets: their max id + 1).")
    var ignoreLabel: Int?

    @Option(help: "Alignment QC: an image on the label map's grid (e.g. the VIBE in-phase); body-mask Dice with the resampled series goes into --report.")
    var qcImage: String?

    @Option(help: "Alignment QC: flag (and warn) below this Dice.")
    var qcThreshold: Double = 0.95

    @Option(help: "Alignment QC: a PNG of the resampled series with both body masks (1 both, 2 QC image only, 3 series only).")
    var qcPng: String?

    @Flag(help: "Resample images whose direction matrix is not orthonormal.")
    var allowShear = false

    @Option(help: "Write a JSON report (target grid, fraction outside the label map) to this file.")
    var report: String?

    @Option(help: "gzip level for .nii.gz outputs (libdeflate 1-12).")
    var compressionLevel: Int = 4

    @Flag(help: "Replace existing outputs (never an input).")
    var overwrite = false

    func validate() throws {
      if Orientation(orientation) == nil {
        throw ValidationError("--orientation '\(orientation)' is not three axis codes naming three different axes (e.g. RAS, LPS)")
      }
      if !spacing.isEmpty && (spacing.count != 3 || spacing.contains { !($0 > 0) || !$0.isFinite }) {
        throw ValidationError("--spacing needs three positive numbers (mm), got \(spacing)")
      }
      if reference != nil && (!spacing.isEmpty || orientation != "RAS") {
        throw ValidationError("--reference sets the grid; leave out --spacing and --orientation")
      }
      if qcPng != nil && qcImage == nil { throw ValidationError("--qc-png needs --qc-image") }
      if !(0...1).contains(qcThreshold) { throw ValidationError("--qc-threshold must be a Dice between 0 and 1") }
      if label == nil && labelInterp != .nearest {
        throw ValidationError("--label-interp applies to a --label map")
      }
      if (label == nil) != (labelOutput == nil) {
        throw ValidationError("--label and --label-output go together")
      }
      if let ignoreLabel, ignoreLabel < 0 {
        throw ValidationError("--ignore-label must be a non-negative id, got \(ignoreLabel)")
      }
      if !(1...12).contains(compressionLevel) {
        throw ValidationError("--compression-level must be 1...12")
      }
      try checkNiftiOutput(output)
      if let labelOutput { try checkNiftiOutput(labelOutput) }
    }

    func run() throws {
      try reportingErrors {
        var job = ResampleToJob(image: URL(fileURLWithPath: input), output: URL(fileURLWithPath: output))
        job.reference = reference.map { URL(fileURLWithPath: $0) }
        job.label = label.map { URL(fileURLWithPath: $0) }
        job.labelOutput = labelOutput.map { URL(fileURLWithPath: $0) }
        job.reportURL = report.map { URL(fileURLWithPath: $0) }
        job.orientation = Orientation(orientation)!
        if !spacing.isEmpty { job.spacing = spacing }
        job.imageMode = mode
        job.outside = outside
        job.labelInterpolation = labelInterp
        job.qcImage = qcImage.map { URL(fileURLWithPath: $0) }
        job.qcThreshold = qcThreshold
        job.qcPNG = qcPng.map { URL(fileURLWithPath: $0) }
        if let ignoreLabel { job.ignoreLabel = ignoreLabel }
        job.allowShear = allowShear
        job.overwrite = overwrite
        job.compressionLevel = compressionLevel
        let outcome = try job.run()
        printWarnings(outcome.readerWarnings)
        if let label = outcome.report.label, label.outsideVoxels > 0 {
          let filled = switch label.outside {
          case .ignore: "set to the ignore label \(label.ignoreLabel ?? 0)"
          case .background: "set to 0"
          case .nearest: "given the nearest edge voxel's label (TPTBox)"
          }
          printError(
            "vibeseg: note: \(label.outsideVoxels) target voxels (\(String(format: "%.1f", 100 * label.outsideFraction)) %) lie outside \(label.input): \(filled)")
        }
        if let qc = outcome.report.qc {
          print("alignment QC: body-mask Dice \(qc.dice.map { String(format: "%.4f", $0) } ?? "undefined") (threshold \(qc.threshold))\(qc.flagged ? " FLAGGED" : "")")
        }
        printWritten([output] + [labelOutput, report, qcPng].compactMap { $0 })
      }
    }
  }
}
