import Foundation
import NiftiIO
import Testing
import VibeSegKit
import VolumeCore
import _TestSupport

@Suite("Cohort HTML report")
struct ReportTests {
  /// Eight synthetic cases: liver volumes near 1500 mL with one at 2600, a missing spleen, a
  /// fragmented kidney, one case without a preview, an id that needs escaping.
  static func cohort() -> [CohortReportCase] {
    let livers = [1480.0, 1525, 1510, 2600, 1495, 1540, 1470, 1505]
    let spleens = [210.0, 190, 205, 220, 199, 185, 230, 201]
    return livers.indices.map { n in
      CohortReportCase(
        caseID: n == 6 ? "sub-<b>&\"7\"" : "sub-\(n + 1)",
        thumbnail: n == 7 ? nil : "previews/sub \(n + 1).png",
        volumesMilliliters: n == 2 ? ["liver": livers[n]] : ["liver": livers[n], "spleen": spleens[n]],
        missingStructures: n == 2 ? ["spleen"] : [],
        fragmentedStructures: n == 5 ? ["kidney_left"] : [])
    }
  }

  @Test("flags: the liver outlier by robust z, then missing and fragmented structures as passed")
  func flags() {
    let flags = CohortReport.flags(Self.cohort())
    #expect(flags[3].map(\.kind) == [.volumeOutlier] && flags[3].first?.structure == "liver")
    #expect(flags[2].map(\.text) == ["missing: spleen"])
    #expect(flags[5].map(\.text) == ["fragmented: kidney_left"])
    #expect(flags.enumerated().filter { ![2, 3, 5].contains($0.offset) }.allSatisfy { $0.element.isEmpty })
  }

  @Test("z-scores: standard (sample sd), robust (MAD, and mean deviation when MAD is 0), too few values")
  func zScores() {
    func cases(_ values: [Double]) -> [CohortReportCase] {
      values.enumerated().map { CohortReportCase(caseID: "\($0.offset)", volumesMilliliters: ["v": $0.element]) }
    }
    var options = CohortReportOptions()
    let robust = CohortReport.zScores(cases([1, 2, 3, 4, 100]), options: options)
    expectClose([robust[4]["v"]!, robust[0]["v"]!], [0.6745 * 97, -0.6745 * 2], atol: 1e-12)
    let flat = CohortReport.zScores(cases([5, 5, 5, 5, 9]), options: options)
    expectClose([flat[4]["v"]!], [4 / (1.253314 * 0.8)], atol: 1e-12)
    options.zScore = .standard
    let standard = CohortReport.zScores(cases([1, 2, 3, 4, 100]), options: options)
    let squares: Double = 21 * 21 + 20 * 20 + 19 * 19 + 18 * 18 + 78 * 78
    let sd = (squares / 4).squareRoot()
    expectClose([standard[4]["v"]!], [78 / sd], atol: 1e-12)
    #expect(CohortReport.zScores(cases([1, 50]), options: options).allSatisfy { $0.isEmpty })
    #expect(CohortReport.zScores(cases([3, 3, 3]), options: options).allSatisfy { $0["v"] == 0 })
  }

  @Test("the page is self-contained, escaped, one row per case, with sortable headings and marked outliers")
  func page() {
    let html = CohortReport.html(Self.cohort())
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    #expect(html.components(separatedBy: "<tr data-case=").count - 1 == 8)
    #expect(html.components(separatedBy: "<th data-type=").count - 1 == 5)  // case, preview, flags, liver, spleen
    for external in ["http://", "https://", "<link", "<script src", "@import", "url("] {
      #expect(!html.contains(external), "no external reference: \(external)")
    }
    #expect(html.contains("sub-&lt;b&gt;&amp;&quot;7&quot;"))
    #expect(!html.contains("sub-<b>"))
    #expect(html.contains("<img src=\"previews/sub%201.png\""))
    #expect(html.contains("<td data-sort=\"2600.0\" class=\"outlier\""))
    #expect(html.contains("<td data-sort=\"\" class=\"none\">no preview</td>"))
    #expect(html.contains("addEventListener(\"click\""))
    #expect(html.contains("<li>missing: spleen</li>"))
  }

  /// Writes the synthetic cohort with real preview thumbnails to a folder: a temporary one, or
  /// `$VIBESEG_REPORT_OUTPUT` when set (scripts/check-report-in-chromium.sh opens that one).
  @Test("writes report.html beside real thumbnails, atomically")
  func writeReport() throws {
    let keep = ProcessInfo.processInfo.environment["VIBESEG_REPORT_OUTPUT"].map { URL(fileURLWithPath: $0) }
    let dir = try keep ?? Fixtures.temporaryDirectory("vibeseg-report")
    defer { if keep == nil { try? FileManager.default.removeItem(at: dir) } }
    let previews = dir.appendingPathComponent("previews")
    try FileManager.default.createDirectory(at: previews, withIntermediateDirectories: true)
    let (image, labels) = PreviewTestSupport.phantom()
    var options = PreviewOptions()
    options.tileSize = 96
    options.slicesPerView = 3
    let cases = Self.cohort()
    for row in cases {
      guard let thumbnail = row.thumbnail else { continue }
      try Preview(segmentation: NiftiImage(labels), image: NiftiImage(image), options: options)
        .writePNG(to: dir.appendingPathComponent(thumbnail))
    }
    let page = dir.appendingPathComponent("report.html")
    try CohortReport.write(cases, to: page)
    let html = try String(contentsOf: page, encoding: .utf8)
    #expect(html == CohortReport.html(cases))
    for row in cases {
      guard let thumbnail = row.thumbnail else { continue }
      #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(thumbnail).path))
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["previews", "report.html"])
    let error = #expect(throws: VibeSegKitError.self) {
      try CohortReport.write(cases, to: dir.appendingPathComponent("missing/report.html"))
    }
    #expect(error?.code == .cannotCreateOutput)
  }

  @Test("cases not done: their status and error in the row, counted apart in the summary, no z-scores from them")
  func notDone() {
    var cases = Self.cohort()
    cases.append(CohortReportCase(caseID: "sub-9 (failed)", volumesMilliliters: ["liver": 90_000], status: "failed", error: "no such file <x>"))
    cases.append(CohortReportCase(caseID: "sub-10 (quarantined)", status: "quarantined", error: "crashed"))
    let page = CohortReport.html(cases)
    #expect(page.contains("10 cases: 8 done, 1 failed, 1 quarantined; 3 done case(s) flagged"), "\(page.prefix(1500))")
    #expect(page.contains("<span class=\"status\">failed</span>: no such file &lt;x&gt;"))
    #expect(CohortReport.zScores(cases)[8].isEmpty)
    // The failed case's huge volume does not move the others' scores.
    #expect(CohortReport.flags(cases)[3].map(\.kind) == CohortReport.flags(Self.cohort())[3].map(\.kind))
  }

  @Test("volumes equal but for rounding noise flag nothing; columns follow the label ids, unknown names last")
  func noiseAndOrder() {
    let cases = (0..<6).map { n in
      CohortReportCase(caseID: "c\(n)", volumesMilliliters: ["liver": 1500 + Double(n % 2) * 1e-12, "spleen": 200, "zzz_custom": 1, "kidney_left": 150])
    }
    let flags = CohortReport.flags(cases)
    #expect(flags.allSatisfy { $0.isEmpty })
    #expect(CohortReport.volumeColumns(cases, options: CohortReportOptions()) == ["spleen", "kidney_left", "liver", "zzz_custom"])
  }
}
