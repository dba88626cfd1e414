import Foundation
import NiftiIO
import VibeSegKit

/// One case of a cohort summary: its manifest row and, when `--stats` was written, its volumes.
public struct BatchReportRow: Sendable {
  public var record: ManifestRecord
  /// The manifest file the row came from.
  public var manifest: String
  /// Volume in mL by structure name (from the case's `statisticsJSON` output).
  public var volumesMilliliters: [String: Double]
  /// Output paths relative to the output folder, by `OutputRole.name`.
  public var outputs: [String: String]
}

/// `vibeseg batch-report`: merges every shard manifest of an output folder and the per-case
/// statistics into one CSV (one row per case), and optionally a static HTML page (`CohortReport`).
///
/// Merging: each case id appears once; when several manifests hold it (the folder was run with
/// different shard counts), the row updated last wins. Rows are sorted by case id.
///
/// CSV columns: `case_id, status, attempts, deaths, error_kind, error, input_sha256, model_sha256,
/// tool_version, started_at` (ISO 8601 UTC), `seconds_read, seconds_compute, seconds_write,
/// seconds_total, label_map, preview, stats_csv, manifest`, then `volume_ml:<structure>` for every
/// structure found in any case's statistics (sorted; blank where a case has none).
public enum BatchReport {
  /// The merged rows of every manifest in `outputFolder/.vibeseg`.
  ///
  /// - Throws: `BatchError.missingInput` when there is no manifest, `.manifestFailure` when one
  ///   cannot be read.
  public static func rows(in outputFolder: URL) throws -> [BatchReportRow] {
    let manifests = Manifest.all(in: outputFolder)
    guard !manifests.isEmpty else {
      throw BatchError(
        .missingInput,
        "no manifest in \(Manifest.folder(in: outputFolder).path): is this the -o folder of vibeseg batch?",
        path: outputFolder.path)
    }
    var merged = [String: (ManifestRecord, String)]()
    for url in manifests {
      for (id, record) in try Manifest(url: url, create: false).records() {
        if let existing = merged[id], existing.0.updatedAt >= record.updatedAt { continue }
        merged[id] = (record, url.lastPathComponent)
      }
    }
    return merged.keys.sorted().map { id in
      let (record, manifest) = merged[id]!
      var outputs = [String: String]()
      for output in record.recordedOutputs { outputs[output.role] = output.path }
      var volumes = [String: Double]()
      if record.status == .done, let path = outputs[OutputRole.statisticsJSON.name],
        let data = FileManager.default.contents(atPath: outputFolder.appendingPathComponent(path).path),
        let report = try? JSONDecoder().decode(StatisticsReport.self, from: data)
      {
        for label in report.labels { volumes[label.name] = label.volumeMilliliters }
      }
      return BatchReportRow(record: record, manifest: manifest, volumesMilliliters: volumes, outputs: outputs)
    }
  }

  /// The CSV text of `rows`.
  public static func csv(_ rows: [BatchReportRow]) -> String {
    let structures = Array(Set(rows.flatMap { $0.volumesMilliliters.keys })).sorted()
    var header = [
      "case_id", "status", "attempts", "deaths", "error_kind", "error", "input_sha256", "model_sha256", "tool_version",
      "started_at",
      "seconds_read", "seconds_compute", "seconds_write", "seconds_total", "label_map", "preview", "stats_csv",
      "manifest",
    ]
    header += structures.map { "volume_ml:\($0)" }
    var lines = [header.map(ReportFile.field).joined(separator: ",")]
    let iso = ISO8601DateFormatter()
    for row in rows {
      let r = row.record
      let total = [r.secondsRead, r.secondsCompute, r.secondsWrite].compactMap { $0 }.reduce(0, +)
      var cells = [
        r.caseID, r.status.rawValue, "\(r.attempts)", "\(r.deathCount)", r.errorKind ?? "", r.error ?? "", r.inputSHA256 ?? "",
        r.modelSHA256 ?? "", r.toolVersion ?? "",
        r.startedAt.map { iso.string(from: Date(timeIntervalSince1970: $0)) } ?? "",
        ReportFile.number(r.secondsRead), ReportFile.number(r.secondsCompute), ReportFile.number(r.secondsWrite),
        r.secondsCompute == nil ? "" : ReportFile.number(total), row.outputs[OutputRole.labelMap.name] ?? "",
        row.outputs[OutputRole.preview.name] ?? "", row.outputs[OutputRole.statisticsCSV.name] ?? "", row.manifest,
      ]
      cells += structures.map { ReportFile.number(row.volumesMilliliters[$0]) }
      lines.append(cells.map(ReportFile.field).joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The cohort page's cases: done cases with their preview (relative to `pageFolder`) and
  /// volumes; other cases with their status in the id column and no picture.
  public static func htmlCases(_ rows: [BatchReportRow], outputFolder: URL, pageFolder: URL) -> [CohortReportCase] {
    rows.map { row in
      let id = row.record.status == .done ? row.record.caseID : "\(row.record.caseID) (\(row.record.status.rawValue))"
      let thumbnail = row.outputs[OutputRole.preview.name].map {
        relativePath(from: pageFolder, to: outputFolder.appendingPathComponent($0))
      }
      let done = row.record.status == .done
      return CohortReportCase(
        caseID: id, thumbnail: thumbnail, volumesMilliliters: row.volumesMilliliters,
        status: done ? nil : row.record.status.rawValue, error: done ? nil : row.record.error)
    }
  }

  /// Writes the CSV (default `OUT_DIR/batch-report.csv`) and, with `html`, the page beside it
  /// (`<csv stem>.html`), both atomically. Returns the files written and the row count.
  ///
  /// - Throws: `BatchError` (no manifest, unreadable manifest, cannot write).
  public static func write(outputFolder: URL, csv csvURL: URL? = nil, html: Bool = false) throws -> (
    csv: URL, html: URL?, rows: Int
  ) {
    let rows = try rows(in: outputFolder)
    let csvURL = csvURL ?? outputFolder.appendingPathComponent("batch-report.csv")
    do {
      try ReportFile.write(csv(rows), to: csvURL)
    } catch {
      throw BatchError(.cannotCreateOutput, error.message, path: csvURL.path, underlying: error)
    }
    guard html else { return (csvURL, nil, rows.count) }
    let htmlURL = csvURL.deletingPathExtension().appendingPathExtension("html")
    var options = CohortReportOptions()
    options.title = "VibeSeg batch report: \(outputFolder.lastPathComponent)"
    do {
      try CohortReport.write(
        htmlCases(rows, outputFolder: outputFolder, pageFolder: htmlURL.deletingLastPathComponent()), to: htmlURL,
        options: options)
    } catch {
      throw BatchError(.cannotCreateOutput, error.message, path: htmlURL.path, underlying: error)
    }
    return (csvURL, htmlURL, rows.count)
  }

  /// `target` relative to the folder `base` (`../out/x.png`), both made absolute and standardised.
  static func relativePath(from base: URL, to target: URL) -> String {
    let b = base.standardizedFileURL.pathComponents
    let t = target.standardizedFileURL.pathComponents
    var common = 0
    while common < min(b.count, t.count) && b[common] == t[common] { common += 1 }
    let ups = [String](repeating: "..", count: b.count - common)
    return (ups + t[common...]).joined(separator: "/")
  }
}
