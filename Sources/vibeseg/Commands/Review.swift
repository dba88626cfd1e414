import ArgumentParser
import Foundation
import VibeSegKit

extension ReviewState.State: ExpressibleByArgument {}

extension VibeSegCommand {
  struct Review: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Review packages for ITK-SNAP: export a queue, import corrections as new versions, track states.",
      discussion: """
        A package holds per case the image, every version of its label map (labels_v1, \
        labels_v2, ... never overwritten), open.sh (ITK-SNAP on the newest version) and \
        preview.png; at the top labels.txt (ITK-SNAP label descriptions with the ignore label) \
        and review.json (states: queued, in_review, corrected, rejected; every change logged).

        Examples:
          vibeseg review export review/review_queue.csv --images images/ -o package/
          sh package/s0017/open.sh
          vibeseg review import package/ s0017 s0017_corrected.nii.gz --reviewer ab
          vibeseg review status package/
        """,
      subcommands: [Export.self, Import.self, SetState.self, Status.self])

    struct Export: ParsableCommand {
      static let configuration = CommandConfiguration(
        abstract: "Make a review package from a CSV of cases (e.g. compare-cohort's review_queue.csv).",
        discussion: """
          CSV columns: case; the label map in label (or compare-cohort's a, or --label-column b); \
          the image in image, else found in --images as <case>.nii.gz, <case>.nii or \
          <case>_0000.nii.gz; the reason in reason or flags. Every label map must be on its \
          image's grid. Nothing is written unless every case checks out.
          """)

      @Argument(help: "CSV listing the cases.")
      var queue: String

      @Option(help: "Folder of the images (when the CSV has no image column).")
      var images: String?

      @Option(help: "The CSV column holding the label map to review: label (or a), or b.")
      var labelColumn: String = "label"

      @Option(help: "Label-name file for labels.txt (default: TotalVibeSegmentator's).")
      var labelNames: String?

      @Flag(help: "Do not render preview.png.")
      var noPreviews = false

      @Option(name: .shortAndLong, help: "The package folder (must not hold a package yet).")
      var output: String

      func run() throws {
        try reportingErrors {
          var job = ReviewExportJob(queue: URL(fileURLWithPath: queue), output: URL(fileURLWithPath: output))
          job.images = images.map { URL(fileURLWithPath: $0) }
          job.labelColumn = labelColumn.lowercased()
          job.labelNames = labelNames.map { URL(fileURLWithPath: $0) }
          job.previews = !noPreviews
          let state = try job.run()
          print("\(state.cases.count) case(s) queued for review in \(output)")
          printWritten([URL(fileURLWithPath: output).appendingPathComponent(ReviewState.fileName).path])
        }
      }
    }

    struct Import: ParsableCommand {
      static let configuration = CommandConfiguration(
        abstract: "Import a corrected label map as the case's next version.",
        discussion: """
          The file must be on the case image's grid and hold only ids listed in the package's \
          labels.txt. It is copied as labels_v<n+1>; the case becomes corrected; the voxels \
          changed and Dice(before, after) per label are logged in review.json.
          """)

      @Argument(help: "The package folder.")
      var package: String

      @Argument(help: "The case id.")
      var caseID: String

      @Argument(help: "The corrected label map (.nii or .nii.gz).")
      var file: String

      @Option(help: "Who corrected it (logged).")
      var reviewer: String?

      func run() throws {
        try reportingErrors {
          var job = ReviewImportJob(
            package: URL(fileURLWithPath: package), caseID: caseID, corrected: URL(fileURLWithPath: file))
          job.reviewer = reviewer
          let version = try job.run()
          let changes = (version.changedVoxels ?? [:]).sorted { Int($0.key)! < Int($1.key)! }
          let summary = changes.isEmpty ? "no voxel changed" : changes.prefix(8).map { "label \($0.key): \($0.value) voxels" }.joined(separator: ", ") + (changes.count > 8 ? ", ..." : "")
          print("\(caseID): version \(version.version) (\(summary))")
          printWritten([URL(fileURLWithPath: package).appendingPathComponent(version.file).path])
        }
      }
    }

    struct SetState: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Set a case's state (queued, in_review, corrected, rejected), with a note.")

      @Argument(help: "The package folder.")
      var package: String

      @Argument(help: "The case id.")
      var caseID: String

      @Option(help: "The new state.")
      var state: ReviewState.State

      @Option(help: "Why (logged).")
      var note: String?

      @Option(help: "Who (logged).")
      var reviewer: String?

      func run() throws {
        try reportingErrors {
          let c = try ReviewStateChange.set(
            package: URL(fileURLWithPath: package), caseID: caseID, state: state, note: note, reviewer: reviewer)
          print("\(c.id): \(c.state.rawValue)")
        }
      }
    }

    struct Status: ParsableCommand {
      static let configuration = CommandConfiguration(abstract: "Show every case's state and newest version.")

      @Argument(help: "The package folder.")
      var package: String

      @Flag(help: "Print review.json's cases as JSON.")
      var json = false

      func run() throws {
        try reportingErrors {
          let state = try ReviewState.load(URL(fileURLWithPath: package))
          if json {
            try printJSON(state)
            return
          }
          let counts = ReviewState.State.allCases.map { s in "\(state.cases.filter { $0.state == s }.count) \(s.rawValue)" }
          print("\(state.cases.count) case(s): \(counts.joined(separator: ", "))")
          for c in state.cases {
            print("  \(c.id)  \(c.state.rawValue)  v\(c.versions.last?.version ?? 0)\(c.reason.map { "  \($0)" } ?? "")")
          }
        }
      }
    }
  }
}
