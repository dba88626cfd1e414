import ArgumentParser
import Foundation
import NiftiIO
import VibeSegKit

extension VibeSegCommand {
  struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Dice, IoU, surface distances (ASSD, HD95, NSD) with bootstrap CIs and Wilcoxon tests.",
      discussion: """
        --pred and --ref (and --compare) are label-map files, or folders whose files are matched by name. \
        Metrics per case and label: Dice, IoU, average symmetric surface distance and 95th-percentile \
        Hausdorff distance in mm, normalised surface Dice at --tolerance-mm, volumes. Surfaces and \
        distances follow MONAI (boundary = mask minus its 6-neighbour erosion, exact Euclidean distances \
        between boundary voxel centres with the voxel spacing). Grids must match (shape and affine within \
        1e-4 mm) unless --resample-pred. Empty masks: in one map only -> Dice = IoU = NSD = 0 and ASSD/HD95 \
        undefined (counted); in neither -> left out. Summaries: mean ± sd, median, seeded percentile-bootstrap \
        95% CI of the mean. --compare adds paired Wilcoxon signed-rank and rank-sum tests (scipy defaults) \
        per label and over labels. Writes per_case.csv, summary.csv, summary.json (schemaVersion 1), \
        summary.md (and comparison.csv) into -o DIR; without -o prints the Markdown table. \
        Exit code 2 when some cases failed (each listed).

        Examples:
          vibeseg evaluate --pred predictions/ --ref labelsTs/ -o evaluation/
          vibeseg evaluate --pred a.nii.gz --ref b.nii.gz --labels liver,spleen
        """)

    @Option(help: "Predicted label map, or a folder of them.")
    var pred: String

    @Option(help: "Reference label map, or a folder of them.")
    var ref: String

    @Option(help: "A second method's label map(s) to compare with --pred.")
    var compare: String?

    @Option(parsing: .upToNextOption, help: "Labels to evaluate: ids, ranges or names, comma or space separated (e.g. liver 5-7); default: all present.")
    var labels: [String] = []

    @Option(help: "Label names: a vibeseg sidecar, a dataset.json, {\"1\": \"spleen\"}, {\"spleen\": 1} or an ITK-SNAP label file (default: the sidecar beside the map).")
    var labelNames: String?

    @Option(help: "Normalised surface Dice tolerance in mm.")
    var toleranceMm: Double = 2

    @Option(help: "Bootstrap iterations for the 95% CIs (0 = none).")
    var bootstrap: Int = 10_000

    @Option(help: "Bootstrap seed.")
    var seed: UInt64 = 0

    @Flag(help: "Resample predictions onto the reference grid (nearest neighbour) when grids differ.")
    var resamplePred = false

    @Option(name: .shortAndLong, help: "Output folder.")
    var output: String?

    @Flag(help: "Replace existing report files in the -o folder.")
    var overwrite = false

    func validate() throws {
      guard toleranceMm.isFinite && toleranceMm >= 0 else { throw ValidationError("--tolerance-mm must be a finite number >= 0") }
      guard bootstrap >= 0 else { throw ValidationError("--bootstrap must be >= 0") }
    }

    func run() throws {
      var failed = 0
      try reportingErrors {
        let request = EvaluationRequest(
          prediction: URL(fileURLWithPath: pred), reference: URL(fileURLWithPath: ref), compare: compare.map { URL(fileURLWithPath: $0) },
          labels: labels, labelNames: labelNames.map { URL(fileURLWithPath: $0) }, toleranceMillimeters: toleranceMm,
          bootstrapIterations: bootstrap, seed: seed, resamplePrediction: resamplePred)
        // The report's files are checked before the (long) evaluation.
        let outputs = try output.map { folder -> OutputTransaction in
          let url = URL(fileURLWithPath: folder)
          do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
          } catch {
            throw VibeSegKitError(.cannotCreateOutput, "cannot create the output folder: \(error.localizedDescription)", path: folder)
          }
          let names = ["per_case.csv", "summary.csv", "summary.json", "summary.md"] + (compare == nil ? [] : ["comparison.csv"])
          return try OutputTransaction(
            outputs: names.map { url.appendingPathComponent($0) }, inputs: [pred, ref].map { URL(fileURLWithPath: $0) },
            overwrite: overwrite)
        }
        let report = try EvaluationRun.run(request)
        for path in report.unmatchedPredictions { printError("vibeseg: warning: \(path): no reference of this name; not evaluated") }
        for c in report.cases where c.resampled { printError("vibeseg: warning: \(c.name): resampled onto the reference grid (--resample-pred)") }
        for c in report.failedCases { printError("vibeseg: error: case \(c.name): \(c.error ?? "")") }
        failed = report.failedCases.count
        if let output {
          try report.write(toFolder: URL(fileURLWithPath: output), in: outputs)
          try outputs?.commit()
          printWritten(["per_case.csv, summary.csv, summary.json, summary.md\(compare == nil ? "" : ", comparison.csv") in \(output)"])
        } else {
          print(report.markdown, terminator: "")
        }
      }
      if failed > 0 { throw ExitCode(2) }
    }
  }
}
