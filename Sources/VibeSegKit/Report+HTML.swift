import Foundation

extension CohortReport {
  /// The page: a summary line, then a table with columns `case`, `preview`, `flags` (count and list)
  /// and one per volume column (mL, one decimal; outliers highlighted with their z in the tooltip).
  /// Every cell carries `data-sort` (text, or a number for numeric columns; blank when missing, and
  /// blanks sort last in both directions). Clicking a heading sorts by that column ascending, again
  /// descending; ties keep the previous order. Thumbnails load eagerly (`loading` is not lazy) and
  /// link to the full picture. All text is HTML-escaped; thumbnail paths are percent-encoded.
  public static func html(_ cases: [CohortReportCase], options: CohortReportOptions = CohortReportOptions()) -> String {
    let columns = volumeColumns(cases, options: options)
    let scores = zScores(cases, options: options)
    let flags = self.flags(cases, options: options)
    let flagged = flags.filter { !$0.isEmpty }.count
    let notDone = cases.filter { $0.status != nil }
    let notDoneText = Dictionary(grouping: notDone, by: { $0.status! }).sorted { $0.key < $1.key }.map { "\($0.value.count) \($0.key)" }
    var out = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(escape(options.title))</title>
      <style>\(stylesheet)</style>
      </head>
      <body>
      <h1>\(escape(options.title))</h1>

      """
    let method = options.zScore == .robust ? "robust (median and MAD)" : "standard (mean and sd)"
    out +=
      "<p class=\"summary\">\(cases.count) cases: \(cases.count - notDone.count) done\(notDoneText.isEmpty ? "" : ", " + notDoneText.joined(separator: ", ")); "
      + "\(flagged) done case(s) flagged. A volume is flagged when its \(method) "
      + "z-score within its column exceeds \(format(options.zScoreThreshold, decimals: 1)) in magnitude "
      + "(columns with at least \(options.minimumCasesForZScores) values). Click a column heading to sort; "
      + "click again to reverse.</p>\n"
    out += "<table id=\"cases\">\n<thead><tr>"
    out += header("case", type: "text") + header("preview", type: "text") + header("flags", type: "number")
    for column in columns { out += header("\(column) (mL)", type: "number") }
    out += "</tr></thead>\n<tbody>\n"
    for (index, row) in cases.enumerated() {
      let rowFlags = flags[index]
      let rowClass = row.status != nil ? " class=\"notdone\"" : rowFlags.isEmpty ? "" : " class=\"flagged\""
      out += "<tr data-case=\"\(escape(row.caseID))\"\(rowClass)>"
      out += "<td data-sort=\"\(escape(row.caseID))\">\(escape(row.caseID))</td>"
      if let thumbnail = row.thumbnail {
        let source = escape(thumbnail.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? thumbnail)
        out +=
          "<td data-sort=\"\(escape(thumbnail))\"><a href=\"\(source)\"><img src=\"\(source)\" "
          + "alt=\"preview of \(escape(row.caseID))\" width=\"\(options.thumbnailWidth)\"></a></td>"
      } else {
        out += "<td data-sort=\"\" class=\"none\">no preview</td>"
      }
      out += "<td data-sort=\"\(rowFlags.count)\">"
      if let status = row.status {
        out += "<span class=\"status\">\(escape(status))</span>" + (row.error.map { ": \(escape($0))" } ?? "")
      } else if rowFlags.isEmpty {
        out += "0"
      } else {
        out += "\(rowFlags.count)<ul>" + rowFlags.map { "<li>\(escape($0.text))</li>" }.joined() + "</ul>"
      }
      out += "</td>"
      for column in columns {
        guard let value = row.volumesMilliliters[column], value.isFinite else {
          out += "<td data-sort=\"\" class=\"none\"></td>"
          continue
        }
        let z = scores[index][column]
        let outlier = z.map { abs($0) > options.zScoreThreshold } ?? false
        let title = z.map { " title=\"z = \(format($0, decimals: 2))\"" } ?? ""
        out +=
          "<td data-sort=\"\(value)\"\(outlier ? " class=\"outlier\"" : "")\(title)>\(format(value, decimals: 1))</td>"
      }
      out += "</tr>\n"
    }
    out += "</tbody>\n</table>\n<script>\(sortScript)</script>\n</body>\n</html>\n"
    return out
  }

  static func header(_ label: String, type: String) -> String {
    "<th data-type=\"\(type)\" aria-sort=\"none\"><button type=\"button\">\(escape(label))</button></th>"
  }

  /// Escapes `& < > " '` for text and attribute values.
  static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.count)
    for character in text {
      switch character {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.append(character)
      }
    }
    return out
  }
}
