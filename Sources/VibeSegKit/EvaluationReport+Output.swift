import Evaluation
import Foundation
import NiftiIO

extension EvaluationReport {
  /// One row per method, case and label (failed cases get one row with the error).
  public var perCaseCSV: String {
    var lines = ["method,case,label,name,presence,reference_voxels,prediction_voxels,reference_ml,prediction_ml,"
      + Metric.allCases.map(\.columnName).joined(separator: ",") + ",error"]
    for c in cases {
      if let error = c.error {
        lines.append("prediction,\(ReportFile.field(c.name)),,,,,,,," + String(repeating: ",", count: Metric.allCases.count - 1) + "," + ReportFile.field(error))
        continue
      }
      for (method, list) in [("prediction", c.metrics), ("compare", c.compareMetrics ?? [])] {
        for m in list {
          var row = [method, ReportFile.field(c.name), "\(m.label)", ReportFile.field(labelNames[String(m.label)] ?? ""), m.presence.rawValue,
            "\(m.referenceVoxels)", "\(m.predictionVoxels)", ReportFile.number(m.referenceMilliliters), ReportFile.number(m.predictionMilliliters)]
          row += Metric.allCases.map { ReportFile.number(m.value(of: $0)) }
          row.append("")
          lines.append(row.joined(separator: ","))
        }
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// One row per method, label and metric.
  public var summaryCSV: String {
    var lines = ["method,label,name,metric,n,undefined,mean,sd,median,ci95_low,ci95_high"]
    for s in labels {
      for metric in Metric.allCases {
        guard let m = s.metrics[metric.rawValue] else { continue }
        lines.append([s.method, s.label.map(String.init) ?? "all", ReportFile.field(s.name), metric.columnName, "\(m.count)", "\(m.undefinedCount)",
          ReportFile.number(m.mean), ReportFile.number(m.standardDeviation), ReportFile.number(m.median),
          ReportFile.number(m.confidenceLower), ReportFile.number(m.confidenceUpper)].joined(separator: ","))
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// One row per label and metric with both tests.
  public var comparisonCSV: String {
    var lines = ["label,name,metric,n_pairs,wilcoxon_statistic,wilcoxon_p,wilcoxon_method,ranksum_z,ranksum_p"]
    for t in comparisons {
      lines.append([t.label.map(String.init) ?? "all", ReportFile.field(t.name), t.metric, "\(t.wilcoxon?.count ?? 0)",
        ReportFile.number(t.wilcoxon?.statistic), ReportFile.number(t.wilcoxon?.pValue), t.wilcoxon?.method.rawValue ?? "",
        ReportFile.number(t.rankSum?.statistic), ReportFile.number(t.rankSum?.pValue)].joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// A Markdown table like the paper's Table 1: per label, Dice and ASSD as mean ± sd [95% CI],
  /// HD95 and NSD as mean ± sd, per method; p-values of the Wilcoxon test when comparing.
  public var markdown: String {
    func cell(_ m: MetricSummary?, ci: Bool, digits: Int) -> String {
      guard let m, let mean = m.mean else { return "–" }
      var s = String(format: "%.\(digits)f", mean)
      if let sd = m.standardDeviation { s += String(format: " ± %.\(digits)f", sd) }
      if ci, let lo = m.confidenceLower, let hi = m.confidenceUpper { s += String(format: " [%.\(digits)f, %.\(digits)f]", lo, hi) }
      if m.undefinedCount > 0 { s += " (\(m.undefinedCount) undef.)" }
      return s
    }
    let methods = Array(Set(labels.map(\.method))).sorted { $0 == "prediction" && $1 != "prediction" }
    var header = ["Label"]
    for method in methods {
      header += ["Dice (\(method))", "ASSD mm (\(method))", "HD95 mm (\(method))", "NSD@\(ReportFile.number(toleranceMillimeters)) mm (\(method))"]
    }
    if !comparisons.isEmpty { header += ["p Dice (Wilcoxon)", "p ASSD (Wilcoxon)"] }
    var lines = ["| " + header.joined(separator: " | ") + " |", "|" + String(repeating: "---|", count: header.count)]
    let rows = labels.filter { $0.method == "prediction" }
    for row in rows {
      var cells = [row.label.map { "\($0) \(row.name)" } ?? "**\(row.name)**"]
      for method in methods {
        let s = labels.first { $0.method == method && $0.label == row.label }
        cells += [cell(s?.metrics["dice"], ci: true, digits: 3), cell(s?.metrics["assd"], ci: true, digits: 2),
          cell(s?.metrics["hd95"], ci: false, digits: 2), cell(s?.metrics["nsd"], ci: false, digits: 3)]
      }
      if !comparisons.isEmpty {
        for metric in ["dice", "assd"] {
          let p = comparisons.first { $0.label == row.label && $0.metric == metric }?.wilcoxon?.pValue
          cells.append(p.map { String(format: "%.3g", $0) } ?? "–")
        }
      }
      lines.append("| " + cells.joined(separator: " | ") + " |")
    }
    let failed = failedCases
    let interval = bootstrapIterations > 0
      ? "mean ± sd [95% bootstrap CI of the mean, \(bootstrapIterations) iterations, seed \(seed)]"
      : "mean ± sd (no confidence interval: --bootstrap 0)"
    var text = "\(cases.count - failed.count) of \(cases.count) cases evaluated; \(interval).\n\n"
    text += lines.joined(separator: "\n") + "\n"
    if !failed.isEmpty { text += "\nFailed cases:\n" + failed.map { "- \($0.name): \($0.error ?? "")" }.joined(separator: "\n") + "\n" }
    return text
  }

  /// Writes `per_case.csv`, `summary.csv`, `summary.json`, `summary.md` (and `comparison.csv`
  /// with a compared method) into `folder`, creating it if needed; each file atomically, or,
  /// with `outputs`, staged there (the caller commits).
  public func write(toFolder folder: URL, in outputs: OutputTransaction? = nil) throws(VibeSegKitError) {
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
      throw VibeSegKitError(.cannotCreateOutput, "cannot create the output folder", context: folder.path, underlying: error)
    }
    for (name, text) in try files() { try ReportFile.write(text, to: folder.appendingPathComponent(name), in: outputs) }
  }

  /// The files `write(toFolder:)` writes, by name.
  public func files() throws(VibeSegKitError) -> [(name: String, text: String)] {
    var files = [("per_case.csv", perCaseCSV), ("summary.csv", summaryCSV), ("summary.json", try ReportFile.json(self)), ("summary.md", markdown)]
    if !comparisons.isEmpty { files.append(("comparison.csv", comparisonCSV)) }
    return files
  }
}
