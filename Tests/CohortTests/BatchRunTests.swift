import Foundation
import NiftiIO
import Testing
import VibeSegKit
import _TestSupport

@testable import Cohort

/// In-process runs of `BatchRun` on small synthetic cohorts with the committed tiny model (one
/// fold, no mirroring: one network pass per case). The crash tests run the binary
/// (CommandLineTests/BatchCommandTests).
@Suite("Cohort: batch runs", .serialized)
struct BatchRunTests {
  func options(_ input: URL, _ output: URL, task: String = "predict") -> BatchOptions {
    var options = BatchOptions(
      source: .folder(input, pattern: nil), outputFolder: output, task: task, toolVersion: "test")
    options.taskOptions.model = SyntheticCohort.model.path
    options.taskOptions.folds = ["0"]
    options.taskOptions.mirroring = false
    options.taskOptions.threads = 1
    return options
  }

  func modificationTimes(_ folder: URL) throws -> [String: Date] {
    var result = [String: Date]()
    for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where !name.hasPrefix(".") {
      result[name] =
        try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(name).path)[.modificationDate]
        as? Date
    }
    return result
  }

  @Test(
    "predict: outputs equal vibeseg predict's; a rerun does nothing; changed flags, inputs or outputs redo exactly those"
  )
  func predictAndResume() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    let output = dir.appendingPathComponent("out")
    let ids = try SyntheticCohort.make(in: input, count: 4)
    var first = options(input, output)
    first.statistics = true
    first.preview = true
    let summary = try BatchRun(options: first).run()
    #expect(summary.processed == 4 && summary.succeeded == 4 && summary.allSucceeded)

    // Same bytes as the single-case job.
    var job = PredictionJob(
      modelFolder: SyntheticCohort.model, inputs: [input.appendingPathComponent("s002.nii.gz")],
      output: dir.appendingPathComponent("single.nii.gz"))
    job.folds = ["0"]
    job.options.mirroring = false
    job.threads = 1
    _ = try job.run()
    #expect(
      try Data(contentsOf: dir.appendingPathComponent("single.nii.gz"))
        == Data(contentsOf: output.appendingPathComponent("s002.nii.gz")))
    for id in ids {
      for suffix in [".nii.gz", ".stats.csv", ".stats.json", ".preview.png"] {
        #expect(
          FileManager.default.fileExists(atPath: output.appendingPathComponent(id + suffix).path), "\(id)\(suffix)")
      }
    }
    let manifest = try Manifest(url: try #require(summary.manifest), create: false)
    let records = try manifest.records()
    #expect(
      records.count == 4
        && records.values.allSatisfy { $0.status == .done && $0.attempts == 1 && $0.modelSHA256 != nil })
    let outputs = records["s000"]!.recordedOutputs
    #expect(outputs.map(\.role).sorted() == ["labelmap", "preview", "stats_csv", "stats_json"])
    #expect(try FileHash.sha256(of: output.appendingPathComponent(outputs[0].path)) == outputs[0].sha256)
    #expect(records["s000"]!.inputSHA256 == (try FileHash.sha256(of: input.appendingPathComponent("s000.nii.gz"))))

    // A rerun (threads do not change outputs) does no work and touches nothing.
    let before = try modificationTimes(output)
    var again = first
    again.taskOptions.threads = 2
    let second = try BatchRun(options: again).run()
    #expect(second.processed == 0 && second.alreadyDone == 4 && second.allSucceeded)
    #expect(try modificationTimes(output) == before)

    // A changed input redoes that case only; a damaged output redoes its case only.
    _ = try SyntheticCohort.writeCase(17, id: "s001", to: input)
    try Data("garbage".utf8).write(to: output.appendingPathComponent("s003.stats.csv"))
    let third = try BatchRun(options: first).run()
    #expect(third.processed == 2 && third.alreadyDone == 2, "\(third)")

    // An output-affecting flag (step size) redoes everything.
    var step = first
    step.taskOptions.stepSize = 0.75
    #expect(try BatchRun(options: step).run().processed == 4)
  }

  @Test("malformed inputs fail with their error, are final, and the rest succeed; --overwrite retries them")
  func failures() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    let output = dir.appendingPathComponent("out")
    _ = try SyntheticCohort.make(in: input, count: 5, truncated: [1], fourD: [3])
    let summary = try BatchRun(options: options(input, output)).run()
    #expect(summary.succeeded == 3)
    #expect(summary.failed.map(\.id).sorted() == ["s001", "s003"])
    #expect(summary.failed.first { $0.id == "s001" }?.error.contains("s001.nii.gz") == true)
    let records = try Manifest(url: try #require(summary.manifest), create: false).records()
    #expect(records["s001"]?.status == .failed && records["s001"]?.errorKind == "input")
    #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("s001.nii.gz").path))
    let rerun = try BatchRun(options: options(input, output)).run()
    #expect(rerun.processed == 0 && rerun.failed.count == 2)
    var overwrite = options(input, output)
    overwrite.overwrite = true
    #expect(try BatchRun(options: overwrite).run().processed == 5)
  }

  @Test("stats task over label maps, then batch-report merges manifests and volumes into one CSV and a page")
  func statsAndReport() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    let output = dir.appendingPathComponent("out")
    _ = try SyntheticCohort.make(in: input, count: 3)
    var predict = options(input, output)
    predict.shardCount = 2
    for shard in 0..<2 {
      predict.shardIndex = shard
      _ = try BatchRun(options: predict).run()
    }
    #expect(Manifest.all(in: output).count == 2)
    let rows = try BatchReport.rows(in: output)
    #expect(rows.map(\.record.caseID) == ["s000", "s001", "s002"] && rows.allSatisfy { $0.record.status == .done })

    // Stats over the predicted label maps (a CSV list with the image as channel_1).
    let list = dir.appendingPathComponent("segs.csv")
    try
      ("id,channel_0,channel_1\n"
      + (0..<3).map { "m\($0),out/s00\($0).nii.gz,in/s00\($0).nii.gz" }.joined(separator: "\n"))
      .write(to: list, atomically: true, encoding: .utf8)
    let statsOut = dir.appendingPathComponent("stats")
    var stats = BatchOptions(source: .list(list), outputFolder: statsOut, task: "stats", toolVersion: "test")
    stats.preview = true
    let summary = try BatchRun(options: stats).run()
    #expect(summary.succeeded == 3, "\(summary.failed)")
    let report = try BatchReport.write(outputFolder: statsOut, html: true)
    let csv = try String(contentsOf: report.csv, encoding: .utf8)
    let lines = csv.split(separator: "\n")
    #expect(lines.count == 4)
    #expect(lines[0].hasPrefix("case_id,status,attempts"))
    let volumeColumns = lines[0].split(separator: ",").filter { $0.hasPrefix("volume_ml:") }
    #expect(!volumeColumns.isEmpty, "\(lines[0])")
    let json = try JSONDecoder().decode(
      StatisticsReport.self, from: Data(contentsOf: statsOut.appendingPathComponent("m1.stats.json")))
    let first = try #require(json.labels.first)
    #expect(lines[2].contains(",\(first.volumeMilliliters)"), "volumes of m1 in its row")
    let html = try String(contentsOf: try #require(report.html), encoding: .utf8)
    #expect(html.contains("m2.preview.png") && html.contains("<table"))
  }
}
