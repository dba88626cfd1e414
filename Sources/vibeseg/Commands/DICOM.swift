import ArgumentParser
import DICOMCore
import DICOMInput
import Foundation

extension VibeSegCommand {
  struct DICOM: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "dicom",
      abstract: "Read DICOM as it comes off the scanner (this version: index the headers).",
      subcommands: [Index.self])

    struct Index: ParsableCommand {
      static let configuration = CommandConfiguration(
        abstract: "List the series under a DICOM file or folder: contrast, station, geometry, evidence and every problem.",
        discussion: """
          Reads only the headers (a bounded prefix of each file). Series are grouped by study, series \
          UID, ImageType, EchoTime, matrix, pixel spacing and orientation; the contrast (water, fat, in, \
          opp, other) comes from ImageType tokens, else the SeriesDescription's last `_` token, else \
          EchoTime (in-phase has the larger TE); stations are ordered superior first and the contrasts \
          must share them. Non-DICOM files and symbolic links are listed as skipped. Not done yet: zip \
          archives (refused with exit 66: unzip first), pixels, stitching, conversion, DICOM-SEG. \
          Exit codes: 0 indexed without errors (warnings allowed), 65 the set is rejected (a broken \
          DICOM file, repeated or missing slices, uneven spacing, conflicting contrast evidence, a \
          repeated station, contrasts not sharing stations), 66 no such path, a zip, or no DICOM image in it.

          Examples:
            vibeseg dicom index visit_folder/
            vibeseg dicom index visit_folder/ --json
          """)

      @Argument(help: "A DICOM file or a folder tree of DICOM files.")
      var path: String

      @Flag(help: "Print JSON (schemaVersion 1) instead of text.")
      var json = false

      func run() throws {
        try reportingErrors {
          let index = try DICOMIndex(scanning: URL(fileURLWithPath: path))
          let report = DICOMIndexReport(index)
          if json {
            try printJSON(report)
          } else {
            print(report.text)
          }
          switch index.verdict {
          case .accepted: return
          case .rejected:
            let errors = index.problems.filter { $0.severity == .error }
            printError(
              "vibeseg: error: \(path): DICOM set rejected: \(errors.count) error(s), the first: \(errors[0].message)")
            throw ExitCode(65)
          case .noImages:
            printError("vibeseg: error: \(path): no DICOM image found (\(index.skipped.count) file(s) skipped)")
            throw ExitCode(66)
          }
        }
      }
    }
  }
}

/// What `vibeseg dicom index` reports (also its JSON, schemaVersion 1). Strings from headers are
/// printed with control characters escaped.
struct DICOMIndexReport: Encodable {
  var schemaVersion = 1
  var path: String
  var verdict: String
  var counts: Counts
  var series: [Series]
  var stations: [Station]
  var skipped: [Skipped]
  var rejectedFiles: [Rejected]
  var problems: [Problem]

  struct Counts: Encodable {
    var images: Int
    var groups: Int
    var stations: Int
    var skipped: Int
    var rejected: Int
  }

  struct Series: Encodable {
    var studyInstanceUID: String
    var seriesInstanceUID: String
    var seriesNumber: Int?
    var seriesDescription: String?
    var imageType: [String]
    var echoTime: Double?
    var contrast: String
    var contrastRule: String?
    var contrastEvidence: [String]
    var station: Int?
    var slices: Int
    var rows: Int
    var columns: Int
    var pixelSpacing: [Double]
    var sliceSpacing: Double?
    var imageOrientationPatient: [Double]
    var plane: String
    var firstPosition: [Double]
    var lastPosition: [Double]
    var zRange: [Double]
    var transferSyntax: String
    var seriesTime: String?
    /// The files, sorted along the slice normal.
    var files: [String]
  }

  struct Station: Encodable {
    var index: Int
    var zRange: [Double]
    /// SeriesInstanceUID per contrast.
    var series: [String: String]
  }

  struct Skipped: Encodable {
    var path: String
    var reason: String
  }

  struct Rejected: Encodable {
    var path: String
    var code: String
    var message: String
  }

  struct Problem: Encodable {
    var severity: String
    var kind: String
    var message: String
    var series: [String]
    var paths: [String]
  }

  init(_ index: DICOMIndex) {
    let p = DICOMText.printable
    path = index.root
    verdict = index.verdict.rawValue
    counts = Counts(
      images: index.files.count, groups: index.groups.count, stations: index.stations.count,
      skipped: index.skipped.count, rejected: index.rejected.count)
    series = index.groups.map { g in
      Series(
        studyInstanceUID: p(g.key.studyInstanceUID), seriesInstanceUID: p(g.key.seriesInstanceUID),
        seriesNumber: g.seriesNumber, seriesDescription: g.seriesDescription.map(p), imageType: g.key.imageType.map(p),
        echoTime: g.key.echoTime, contrast: g.contrast.contrast.rawValue, contrastRule: g.contrast.rule?.rawValue,
        contrastEvidence: g.contrast.evidence, station: g.station, slices: g.files.count, rows: g.key.rows,
        columns: g.key.columns, pixelSpacing: g.key.pixelSpacing, sliceSpacing: g.sliceSpacing,
        imageOrientationPatient: g.first.imageOrientation, plane: g.plane, firstPosition: g.first.imagePosition,
        lastPosition: g.files[g.files.count - 1].imagePosition, zRange: [g.zRange.lowerBound, g.zRange.upperBound],
        transferSyntax: g.first.transferSyntax.uid, seriesTime: g.first.seriesTime.map(p), files: g.files.map(\.path))
    }
    stations = index.stations.map { s in
      Station(
        index: s.index, zRange: [s.zRange.lowerBound, s.zRange.upperBound],
        series: Dictionary(uniqueKeysWithValues: s.groups.map { ($0.key.rawValue, p(index.groups[$0.value].key.seriesInstanceUID)) }))
    }
    skipped = index.skipped.map { Skipped(path: $0.path, reason: p($0.reason)) }
    rejectedFiles = index.rejected.map { Rejected(path: $0.path, code: $0.code.rawValue, message: p($0.description)) }
    problems = index.problems.map {
      Problem(severity: $0.severity.rawValue, kind: $0.kind.rawValue, message: p($0.message), series: $0.series, paths: $0.paths)
    }
  }

  var text: String {
    var lines = [
      "\(path): \(counts.images) DICOM image(s) in \(counts.groups) series group(s), \(counts.stations) station(s); "
        + "\(counts.skipped) file(s) skipped, \(counts.rejected) rejected"
    ]
    func f(_ value: Double) -> String { String(format: "%.3f", value) }
    for s in series {
      let name = (s.seriesNumber.map { "series \($0)" } ?? "series \(s.seriesInstanceUID)")
        + (s.seriesDescription.map { " '\($0)'" } ?? "")
      let contrast = s.contrast + (s.contrastRule.map { " (by \($0))" } ?? "")
      let station = s.station.map { "station \($0)" } ?? "no station"
      let spacing = "\(f(s.pixelSpacing[0])) x \(f(s.pixelSpacing[1]))" + (s.sliceSpacing.map { " x \(f($0))" } ?? "") + " mm"
      lines.append(
        "\(name): \(contrast), \(station), \(s.slices) slice(s) of \(s.rows)x\(s.columns), \(spacing), \(s.plane), "
          + "z \(String(format: "%.1f", s.zRange[1]))..\(String(format: "%.1f", s.zRange[0])) mm")
    }
    for s in skipped { lines.append("skipped: \(s.path): \(s.reason)") }
    for problem in problems {
      lines.append("\(problem.severity): \(problem.message)")
    }
    lines.append("verdict: \(verdict)")
    return lines.joined(separator: "\n")
  }
}
