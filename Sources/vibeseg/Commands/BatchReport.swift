import ArgumentParser
import Cohort
import Foundation

extension VibeSegCommand {
  struct BatchReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "batch-report",
      abstract: "Merge the shard manifests and per-case statistics of a batch output folder into one CSV (and HTML).",
      discussion: """
        One row per case (the last update wins when several shard manifests hold it): id, status, attempts, \
        error, hashes, tool version, timings, output paths, then volume_ml:<structure> from each case's \
        statistics (batch --stats). --html also writes a static, offline page (sortable table, preview \
        thumbnails from batch --preview, volume outliers flagged by robust z-score) beside the CSV. \
        Default CSV: OUT_DIR/batch-report.csv.

        Examples:
          vibeseg batch-report results/ -o results/report.csv
          vibeseg batch-report results/ --html
        """)

    @Argument(help: "The output folder of vibeseg batch (-o).")
    var outputFolder: String

    @Flag(help: "Also write an HTML page (<csv stem>.html).")
    var html = false

    @Option(name: .shortAndLong, help: "The CSV file to write (default OUT_DIR/batch-report.csv).")
    var output: String?

    func validate() throws {
      if let output, !output.lowercased().hasSuffix(".csv") { throw ValidationError("-o must end in .csv") }
    }

    func run() throws {
      try reportingErrors {
        let result = try BatchReport.write(
          outputFolder: URL(fileURLWithPath: outputFolder), csv: output.map { URL(fileURLWithPath: $0) }, html: html)
        print("\(result.rows) cases: \(result.csv.path)" + (result.html.map { ", \($0.path)" } ?? ""))
      }
    }
  }
}
