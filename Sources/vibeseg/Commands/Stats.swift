import ArgumentParser
import Evaluation
import Foundation
import NiftiIO
import VibeSegKit

extension VibeSegCommand {
  struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Per-label volumes, centroids, intensities, fat fractions and body composition of a label map.",
      discussion: """
        Per label: voxel count, volume (ml), centroid (world mm, RAS+), voxel bounding box, whether it \
        touches the image border (structure possibly cut off), and for every --image the mean, median, \
        standard deviation (ddof 0) and 5th/95th percentiles of the values inside it (NumPy conventions). \
        With --water and --fat: the fat fraction F/(W+F) where W+F > --ff-min-signal, summarised per label. \
        Body composition (subcutaneous fat, inner fat, skeletal muscle) in total and per vertebral level \
        from --spine (vertebra ids 1-7 C, 8-19 T, 20-25 L, 26 S1) or vertebrae_* labels. \
        Names come from TotalVibeSegmentator's table unless --label-names gives a JSON {"id": "name"} file. \
        -o writes CSV (plus <stem>.bodycomposition.csv) or JSON (schemaVersion 1) atomically; \
        without -o a table is printed.

        Examples:
          vibeseg stats seg.nii.gz
          vibeseg stats seg.nii.gz --image water=water.nii.gz --labels liver,5-7 -o stats.csv
          vibeseg stats seg.nii.gz --water W.nii.gz --fat F.nii.gz --spine spine.nii.gz -o stats.json
        """)

    @Argument(help: "Label map (.nii or .nii.gz).")
    var segmentation: String

    @Option(name: .customLong("image"), help: "An image on the same grid: PATH, or NAME=PATH to name its column (repeatable).")
    var images: [String] = []

    @Option(help: "Water image of a Dixon pair (with --fat).")
    var water: String?

    @Option(help: "Fat image of a Dixon pair (with --water).")
    var fat: String?

    @Option(help: "Fat fraction guard: voxels need W + F above this (image units).")
    var ffMinSignal: Double = 1

    @Option(help: "Vertebra instance map on the same grid, for body composition per vertebral level.")
    var spine: String?

    @Option(parsing: .upToNextOption, help: "Labels to report: ids, ranges or names, comma or space separated (e.g. liver 5-7); default: all present.")
    var labels: [String] = []

    @Option(help: "Label names: a vibeseg sidecar, a dataset.json, {\"1\": \"spleen\"}, {\"spleen\": 1} or an ITK-SNAP label file (default: the sidecar beside the map).")
    var labelNames: String?

    @Option(name: .shortAndLong, help: "Output .csv or .json file.")
    var output: String?

    @Flag(help: "Replace existing output files (never one of the inputs).")
    var overwrite = false

    func validate() throws {
      let parsed = try images.map { try ImageArgument($0) }
      if Set(parsed.map(\.name)).count < parsed.count {
        throw ValidationError("--image: give each image its own name (NAME=PATH) when there are several")
      }
      if (water == nil) != (fat == nil) { throw ValidationError("--water and --fat go together") }
      guard ffMinSignal.isFinite && ffMinSignal >= 0 else { throw ValidationError("--ff-min-signal must be a finite number >= 0") }
      if let output, !(output.lowercased().hasSuffix(".csv") || output.lowercased().hasSuffix(".json")) {
        throw ValidationError("--output must end in .csv or .json")
      }
    }

    func run() throws {
      try reportingErrors {
        let parsed = try images.map { try ImageArgument($0) }
        let inputs = [segmentation] + parsed.map(\.path)
          + [water, fat, spine].compactMap { $0 }
        let outputs = try output.map {
          try OutputTransaction(
            outputs: [URL(fileURLWithPath: $0)], inputs: inputs.map { URL(fileURLWithPath: $0) }, overwrite: overwrite)
        }
        let request = StatisticsRequest(
          segmentation: URL(fileURLWithPath: segmentation),
          images: parsed.map { ($0.name, URL(fileURLWithPath: $0.path)) },
          water: water.map { URL(fileURLWithPath: $0) }, fat: fat.map { URL(fileURLWithPath: $0) },
          spine: spine.map { URL(fileURLWithPath: $0) }, labels: labels,
          labelNames: labelNames.map { URL(fileURLWithPath: $0) }, fatFractionMinimumSignal: ffMinSignal)
        let report = try SegmentationStatistics.run(request)
        printWarnings(report.warnings)
        if let output, let outputs {
          try report.write(to: URL(fileURLWithPath: output), in: outputs)
          try outputs.commit()
          printWritten([output])
        } else {
          print(report.text)
        }
      }
    }
  }
}
