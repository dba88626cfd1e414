import ArgumentParser
import Foundation
import NiftiIO
import VolumeCore
import VolumeTransforms
import VibeSegKit

extension InterpolationOrder: ExpressibleByArgument {}
extension ScalarType: ExpressibleByArgument {}

extension VibeSegCommand {
  struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Reorient, resample and cast a NIfTI image (in that order, as TotalVibeSegmentator's preparation does).",
      discussion: """
        --spacing resamples like TPTBox's NII.rescale: new shape = shape·old/new rounded half to \
        even, the world position of voxel (0,0,0) kept, B-spline interpolation of --order with \
        edge extension. Resampled data is computed from the scaled values (scl_slope/scl_inter) and \
        written in the input's datatype when it had no scaling, else float32, unless --dtype is \
        given. Casting to an integer type rounds half away from zero and clamps to its range. \
        The output is written to a temporary file and renamed into place; an existing output is \
        replaced only with --overwrite, and never when it is the input.

        Examples:
          vibeseg convert scan.nii.gz -o ras.nii.gz --orientation RAS
          vibeseg convert seg.nii.gz -o seg_1mm.nii.gz --spacing 1 1 1
        """)

    @Argument(help: "Input .nii or .nii.gz file.")
    var input: String

    @Option(name: .shortAndLong, help: "Output .nii or .nii.gz file.")
    var output: String

    @Option(help: "Target axis codes, e.g. RAS, LPS, PIR.")
    var orientation: String?

    @Option(parsing: .upToNextOption, help: "Target voxel spacing in mm along i j k (after reorientation).")
    var spacing: [Double] = []

    @Option(help: "Interpolation order for --spacing: 0 (nearest), 1 (linear), 3 (cubic B-spline). Default: 3, or 0 for an input that looks like a label map (integers 0...1000, at most 256 labels).")
    var order: InterpolationOrder?

    @Option(help: "Output datatype: uint8 int8 int16 uint16 int32 uint32 int64 uint64 float32 float64.")
    var dtype: ScalarType?

    @Option(help: "gzip level for .nii.gz outputs (libdeflate 1-12).")
    var compressionLevel: Int = 4

    @Flag(help: "Replace an existing output (never the input itself).")
    var overwrite = false

    func validate() throws {
      if let orientation, Orientation(orientation) == nil {
        throw ValidationError("--orientation '\(orientation)' is not three axis codes naming three different axes (e.g. RAS, LPS)")
      }
      if !spacing.isEmpty && (spacing.count != 3 || spacing.contains { !($0 > 0) || !$0.isFinite }) {
        throw ValidationError("--spacing needs three positive numbers (mm), got \(spacing)")
      }
      if !(1...12).contains(compressionLevel) {
        throw ValidationError("--compression-level must be 1...12")
      }
      try checkNiftiOutput(output)
    }

    func run() throws {
      try reportingErrors {
        let outputs = try OutputTransaction(
          outputs: [URL(fileURLWithPath: output)], inputs: [URL(fileURLWithPath: input)], overwrite: overwrite)
        let read = try ImageInput.read(URL(fileURLWithPath: input))
        let image = read.image
        printWarnings(read.warnings)
        var result = image
        if let orientation {
          result.volume = try image.volume.reoriented(to: Orientation(orientation)!)
        }
        if !spacing.isEmpty {
          // The new shape must pass the resampling cap: checked before any Double copy or output
          // exists; a refusal is a usage error (64) naming --spacing.
          do {
            _ = try RescaleGeometry.grid(result.volume.grid, newSpacing: spacing)
          } catch var error as ResamplingError {
            error.path = input
            if error.field != "pixdim" { error.field = "--spacing" }
            throw error
          }
          // Cubic interpolation of a label map invents labels: such inputs default to nearest.
          let labels = LabelMapGuess.labelCount(result)
          let order = self.order ?? (labels == nil ? .cubic : .nearest)
          if let labels {
            if self.order == nil {
              printError("vibeseg: note: \(input) looks like a label map (\(labels) labels): nearest-neighbour resampling (--order 3 for cubic)")
            } else if order != .nearest {
              printError("vibeseg: warning: \(input) looks like a label map (\(labels) labels); --order \(order.rawValue) interpolation will create label values that are not in it")
            }
          }
          if result.scaling == nil {
            // Resample in the stored type (as TPTBox does), no Double copy of the whole volume.
            let resampled = try result.volume.rescaled(toSpacing: spacing, order: order, mode: .nearest)
            result.volume = dtype.map { resampled.converted(to: $0) } ?? resampled
          } else {
            let resampled = try result.scaledVolume(as: Double.self).rescaled(toSpacing: spacing, order: order, mode: .nearest)
            result.volume = AnyVolume(resampled).converted(to: dtype ?? .float32)
            result.scaling = nil
          }
        } else if let dtype, dtype != result.volume.scalarType || result.scaling != nil {
          result.volume = result.scaling == nil
            ? result.volume.converted(to: dtype)
            : AnyVolume(result.scaledVolume(as: Double.self)).converted(to: dtype)
          result.scaling = nil
        }
        var options = NiftiWriteOptions()
        options.compressionLevel = compressionLevel
        try result.write(to: URL(fileURLWithPath: output), options: options, in: outputs)
        try outputs.commit()
        for note in outputs.notes { printError("vibeseg: note: \(note)") }
        printWritten([output])
      }
    }
  }
}
