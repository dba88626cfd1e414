import ArgumentParser
import Foundation
import VibeSegKit
import VolumeStitching

extension StitchOptions.GridRule: ExpressibleByArgument {}
extension StitchOptions.SegmentationTies: ExpressibleByArgument {}

extension VibeSegCommand {
  struct Stitch: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract:
        "Stitch multi-station scans (already aligned in world space) into one volume, as TPTBox's stitching() does.",
      discussion: """
        Reproduces TPTBox 1.1.0 stitching() with N4 bias-field correction and histogram matching \
        off (its defaults, as the NAKO script used them): the output grid from all stations' \
        corners (rotation of the station with the smallest bounding box, the smallest spacing per \
        axis), every station resampled onto it (cubic B-spline, or nearest for --seg, outside = \
        --min-value), linear distance ramps in the overlaps, a station fully inside another left \
        out with a warning. No registration is done. N4 bias-field correction and histogram \
        matching are not implemented: run them before stitching if you need them.

        --grid tptbox (default) is upstream's grid: the output's first plane is the stations' \
        second one and its last plane is empty. --grid centered keeps every plane.

        --seg stitches label maps: output uint8/16/32/64 by the largest label. --seg-ties fix \
        (default) gives each overlap voxel the label of the station with the larger weight (the \
        earlier one on a tie); --seg-ties tptbox reproduces upstream, whose rounded weights leave a \
        plane of label 0 in the middle of an odd overlap.

        --dtype: float (= float64, upstream's default), float32, an integer type (values are \
        truncated, wrapping around beyond the range as NumPy's astype does), or auto (the widest \
        input integer type when no station is scaled, else float32). Without --min-value the \
        background is 0 and only unsigned outputs are floored at 0.

        Examples:
          vibeseg stitch st1.nii.gz st2.nii.gz st3.nii.gz st4.nii.gz -o water.nii.gz
          vibeseg stitch st*_seg.nii.gz -o seg.nii.gz --seg --report seg_stitch.json
          vibeseg stitch a.nii.gz b.nii.gz -o ab.nii.gz --dtype auto --crop
        """)

    @Argument(help: "Station images (.nii/.nii.gz or DICOM folders), at least 2; order matters for ties.")
    var stations: [String] = []

    @Option(name: .shortAndLong, help: "Output .nii or .nii.gz file.")
    var output: String

    @Flag(help: "The stations are label maps.")
    var seg = false

    @Option(help: "How --seg resolves overlap voxels: fix or tptbox.")
    var segTies: StitchOptions.SegmentationTies = .fix

    @Option(
      help:
        "Background value (outside every station) and floor of the output (default: 0, floor only for unsigned output types)."
    )
    var minValue: Double?

    @Option(help: "Exclusive regions are opened with a cube of this side before they anchor a ramp (0: no opening).")
    var ramp: Int = 5

    @Option(help: "Lower bound on the output spacing in mm (default: the smallest station spacing per axis).")
    var minSpacing: Double?

    @Option(help: "Output type: float (float64), float32, uint8, int16, uint16, ..., or auto.")
    var dtype: String = "float"

    @Option(help: "Output grid: tptbox (upstream parity) or centered.")
    var grid: StitchOptions.GridRule = .tptbox

    @Flag(help: "Crop the output to the box the stations occupy.")
    var crop = false

    @Option(help: "Write a JSON report (grid, rotation station, overlaps, warnings) to this file.")
    var report: String?

    @Option(help: "gzip level for .nii.gz outputs (libdeflate 1-12).")
    var compressionLevel: Int = 4

    @Flag(help: "Replace existing outputs.")
    var overwrite = false

    func validate() throws {
      guard stations.count >= 2 else {
        throw ValidationError("stitching needs at least 2 stations, got \(stations.count)")
      }
      guard StitchOptions.OutputType(dtype) != nil else {
        throw ValidationError(
          "--dtype '\(dtype)' is not float, auto or one of uint8 int8 int16 uint16 int32 uint32 int64 uint64 float32 float64"
        )
      }
      if seg && dtype != "float" {
        throw ValidationError("--dtype does not apply to --seg (the label type follows the largest label)")
      }
      if seg && minValue != nil { throw ValidationError("--min-value does not apply to --seg (the background is 0)") }
      guard ramp >= 0 else { throw ValidationError("--ramp must be 0 or more, got \(ramp)") }
      if let minSpacing, !(minSpacing >= 0 && minSpacing.isFinite) {
        throw ValidationError("--min-spacing must be a number of mm >= 0, got \(minSpacing)")
      }
      if let minValue, !minValue.isFinite { throw ValidationError("--min-value must be finite") }
      if !(1...12).contains(compressionLevel) { throw ValidationError("--compression-level must be 1...12") }
      try checkNiftiOutput(output)
    }

    func run() throws {
      try reportingErrors {
        let options = StitchOptions(
          segmentation: seg, segmentationTies: segTies, minValue: minValue, rampEdge: ramp, minSpacing: minSpacing,
          outputType: StitchOptions.OutputType(dtype)!, grid: grid, cropToOccupancy: crop)
        let job = StitchJob(
          stations: stations.map { URL(fileURLWithPath: $0) }, output: URL(fileURLWithPath: output),
          reportURL: report.map { URL(fileURLWithPath: $0) }, options: options, overwrite: overwrite,
          compressionLevel: compressionLevel)
        let outcome = try job.run()
        printWarnings(outcome.readerWarnings + outcome.report.warnings)
        printWritten([output] + (report.map { [$0] } ?? []))
      }
    }
  }
}
