import ArgumentParser
import Foundation
import VibeSegKit

extension CohortComparison.Criterion: ExpressibleByArgument {}

extension VibeSegCommand {
  struct CompareCohort: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "compare-cohort",
      abstract: "Compare two runs' label maps over a cohort: Dice, volumes, 2-SD outliers, a review queue.",
      discussion: """
        Pairs every label map in A with the file of the same name in B and computes per \
        structure the Dice coefficient, both volumes (mL), the relative volume difference \
        (B-A)/A and the fractions of B missing from A and of A outside B. A case is flagged \
        for a structure when its Dice lies more than --k standard deviations below the \
        structure's mean over the cohort (the TotalVibeSegmentator paper's failure analysis, \
        k = 2); --criterion volume or both also flags relative volume differences beyond \
        k SD on either side; --robust uses the median and 1.4826 x MAD instead. Structures \
        empty in both maps of a case are left out of that case. Writes compare.json, \
        cases.csv, labels.csv, review_queue.csv (flagged cases, most extreme first) and \
        report.html into -o, all together or none.

        Labels: the same ids in A and B (all present, or --labels), or --map FILE with \
        {"liver": {"a": 5, "b": 1}, ...} when B uses other ids (e.g. another network).

        Examples:
          vibeseg compare-cohort runs/model99/ runs/model100/ -o review/
          vibeseg compare-cohort ours/ kart/ --map kart.json --k 2 -o review/
        """)

    @Argument(help: "Folder of label maps of run A (one .nii/.nii.gz per case).")
    var a: String

    @Argument(help: "Folder of label maps of run B, same file names as A.")
    var b: String

    @Option(name: .shortAndLong, help: "Output folder (created if absent).")
    var output: String

    @Option(help: "JSON label correspondence {\"name\": {\"a\": id, \"b\": id}, ...}.")
    var map: String?

    @Option(parsing: .upToNextOption, help: "Structures to compare (ids, ranges or names); default: every label present.")
    var labels: [String] = []

    @Option(help: "Label-name file (JSON or TSV) for the report; default: the sidecar beside A's maps, else TotalVibeSegmentator's names.")
    var labelNames: String?

    @Option(help: "Flag beyond k standard deviations.")
    var k: Double = 2

    @Flag(help: "Median and 1.4826 x MAD instead of mean and sample SD.")
    var robust = false

    @Option(help: "What flags a case: dice (low Dice, the paper), volume (relative volume difference, both sides) or both.")
    var criterion: CohortComparison.Criterion = .dice

    @Flag(help: "Resample B maps whose grid differs from A's onto A's grid (nearest neighbour) instead of failing the case.")
    var resampleB = false

    @Flag(help: "Replace existing report files.")
    var overwrite = false

    func validate() throws {
      guard k > 0, k.isFinite else { throw ValidationError("--k must be a positive number, got \(k)") }
      if map != nil && !labels.isEmpty { throw ValidationError("--map names the structures; leave out --labels") }
    }

    func run() throws {
      try reportingErrors {
        var job = CompareCohortJob(
          a: URL(fileURLWithPath: a), b: URL(fileURLWithPath: b), output: URL(fileURLWithPath: output))
        job.map = map.map { URL(fileURLWithPath: $0) }
        job.labels = labels
        job.labelNames = labelNames.map { URL(fileURLWithPath: $0) }
        job.k = k
        job.robust = robust
        job.criterion = criterion
        job.resampleB = resampleB
        job.overwrite = overwrite
        let report = try job.run()
        for c in report.cases where c.error != nil { printError("vibeseg: warning: \(c.name): \(c.error!)") }
        for path in report.unmatchedB { printError("vibeseg: warning: \(path): no map of this name in A (not compared)") }
        print(
          "\(report.cases.count) case(s), \(report.failed) failed, \(report.labels.count) structure(s); "
            + "\(report.reviewQueue.count) case(s) flagged (criterion \(report.criterion.rawValue), k = \(report.k))")
        for entry in report.reviewQueue.prefix(10) {
          print("  \(entry.rank). \(entry.name): worst z \(String(format: "%.2f", entry.worstZ))")
        }
        if report.reviewQueue.count > 10 { print("  ... \(report.reviewQueue.count - 10) more in review_queue.csv") }
        printWritten(job.outputs.map(\.path))
      }
    }
  }
}
