import Foundation
import NiftiIO

/// Report, sidecar and picture files: written atomically (NiftiIO's `AtomicFile`: temporary file,
/// fsync, rename; nothing left behind on failure), or staged in a command's `OutputTransaction`
/// (published with its other outputs under its overwrite rule). Errors as `VibeSegKitError`.
package enum ReportFile {
  package static func write(_ text: String, to url: URL, in outputs: OutputTransaction? = nil) throws(VibeSegKitError) {
    try write(Array(text.utf8), to: url, in: outputs)
  }

  package static func write(_ bytes: [UInt8], to url: URL, in outputs: OutputTransaction? = nil) throws(VibeSegKitError) {
    do {
      if let outputs {
        if !outputs.outputs.contains(url.standardizedFileURL) { try outputs.declare([url]) }
        try outputs.write(bytes, to: url)
      } else {
        try AtomicFile.write(bytes, to: url)
      }
    } catch {
      throw VibeSegKitError(error.code == .ioFailure ? .ioFailure : .cannotCreateOutput, error.message, path: error.path, underlying: error)
    }
  }

  /// A number for CSV/Markdown: shortest round-trip form (`Double.description`), empty for nil,
  /// `nan`/`inf` spelled as Python reads them.
  package static func number(_ value: Double?) -> String {
    guard let value else { return "" }
    if value.isNaN { return "nan" }
    if value.isInfinite { return value > 0 ? "inf" : "-inf" }
    return "\(value)"
  }

  /// RFC 4180 quoting where needed.
  package static func field(_ text: String) -> String {
    text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
  }

  package static func json<T: Encodable>(_ value: T) throws(VibeSegKitError) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    do {
      return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    } catch {
      throw VibeSegKitError(.cannotCreateOutput, "cannot encode the report: \(error)", context: "json")
    }
  }
}

extension StatisticsReport {
  /// One row per label: geometry, then `NAME_mean, NAME_sd, NAME_median, NAME_p5, NAME_p95` per
  /// image, then the same for `ff_` with `ff_excluded_voxels`.
  public var csv: String {
    let stats = ["mean", "sd", "median", "p5", "p95"]
    var header = ["id", "name", "voxels", "volume_ml", "centroid_x_mm", "centroid_y_mm", "centroid_z_mm",
      "bbox_i_min", "bbox_j_min", "bbox_k_min", "bbox_i_max", "bbox_j_max", "bbox_k_max", "touches_border"]
    for image in images { header += stats.map { "\(image)_\($0)" } }
    let hasFat = fatFractionMinimumSignal != nil
    if hasFat { header += stats.map { "ff_\($0)" } + ["ff_voxels", "ff_excluded_voxels"] }
    func cells(_ s: IntensitySummary?) -> [String] {
      [s?.mean, s?.standardDeviation, s?.median, s?.percentile5, s?.percentile95].map(ReportFile.number)
    }
    var lines = [header.map(ReportFile.field).joined(separator: ",")]
    for l in labels {
      var row = ["\(l.id)", ReportFile.field(l.name), "\(l.voxelCount)", ReportFile.number(l.volumeMilliliters)]
      row += (0..<3).map { ReportFile.number(l.centroidMillimeters?[$0]) }
      row += (l.boundingBox.map { $0.lower + $0.upper } ?? []).map(String.init)
      if l.boundingBox == nil { row += [String](repeating: "", count: 6) }
      row.append(l.touchesBorder ? "true" : "false")
      for image in images { row += cells(l.intensities[image]) }
      if hasFat {
        row += cells(l.fatFraction?.fatFraction)
        row += ["\(l.fatFraction?.fatFraction.count ?? 0)", "\(l.fatFraction?.excludedVoxels ?? 0)"]
      }
      lines.append(row.joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Body composition as CSV: a `total` row, then one row per vertebral level.
  public var bodyCompositionCSV: String? {
    guard let b = bodyComposition else { return nil }
    var lines = ["level,inferior_z_mm,superior_z_mm,subcutaneous_fat_ml,inner_fat_ml,skeletal_muscle_ml"]
    func row(_ name: String, _ lo: Double?, _ hi: Double?, _ v: TissueVolumes) -> String {
      [name, ReportFile.number(lo), ReportFile.number(hi), ReportFile.number(v.subcutaneousFatMilliliters),
        ReportFile.number(v.innerFatMilliliters), ReportFile.number(v.skeletalMuscleMilliliters)].joined(separator: ",")
    }
    lines.append(row("total", nil, nil, b.total))
    for l in b.levels { lines.append(row(l.name, l.inferiorMillimeters, l.superiorMillimeters, l.volumes)) }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Writes JSON (`.json`) or CSV (anything else); with CSV, body composition goes to
  /// `<stem>.bodycomposition.csv` beside it. Every file is written atomically.
  /// With `outputs`, the files are staged there (the caller commits).
  public func write(to url: URL, in outputs: OutputTransaction? = nil) throws(VibeSegKitError) {
    if url.pathExtension.lowercased() == "json" {
      try ReportFile.write(try ReportFile.json(self), to: url, in: outputs)
      return
    }
    try ReportFile.write(csv, to: url, in: outputs)
    if let body = bodyCompositionCSV {
      let stem = url.deletingPathExtension().lastPathComponent
      try ReportFile.write(body, to: url.deletingLastPathComponent().appendingPathComponent("\(stem).bodycomposition.csv"), in: outputs)
    }
  }

  /// A short human-readable table for the terminal.
  public var text: String {
    var lines = ["\(segmentation): \(shape.map(String.init).joined(separator: " x ")), \(labels.count) labels"]
    for l in labels {
      let name = l.name.count >= 32 ? l.name : l.name.padding(toLength: 32, withPad: " ", startingAt: 0)
      var line = String(format: "%5d  ", l.id) + name + String(format: " %10d vox %12.3f ml", l.voxelCount, l.volumeMilliliters)
      if l.touchesBorder { line += "  (touches border)" }
      for image in images { if let m = l.intensities[image]?.mean { line += String(format: "  %@ mean %.3f", image, m) } }
      if let ff = l.fatFraction?.fatFraction.mean { line += String(format: "  FF %.3f", ff) }
      lines.append(line)
    }
    if let b = bodyComposition {
      lines.append(String(format: "body composition: subcutaneous fat %.1f ml, inner fat %.1f ml, skeletal muscle %.1f ml",
        b.total.subcutaneousFatMilliliters, b.total.innerFatMilliliters, b.total.skeletalMuscleMilliliters))
      for l in b.levels {
        lines.append(String(format: "  %@: SAT %.1f ml, inner fat %.1f ml, muscle %.1f ml", l.name,
          l.volumes.subcutaneousFatMilliliters, l.volumes.innerFatMilliliters, l.volumes.skeletalMuscleMilliliters))
      }
    }
    return lines.joined(separator: "\n")
  }
}
