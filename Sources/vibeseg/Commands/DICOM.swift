import ArgumentParser
import DICOMCore
import DICOMInput
import Foundation
import NiftiIO
import VibeSegKit
import VolumeStitching

extension VibeSegCommand {
  struct DICOM: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "dicom",
      abstract: "Read DICOM as it comes off the scanner (this version: index the headers).",
      subcommands: [Index.self, ConvertSeries.self])

    struct Index: ParsableCommand {
      static let configuration = CommandConfiguration(
        abstract: "List the series under a DICOM file or folder: contrast, station, geometry, evidence and every problem.",
        discussion: """
          Reads only the headers (a bounded prefix of each file). Series are grouped by study, series \
          UID, ImageType, EchoTime, matrix, pixel spacing and orientation; the contrast (water, fat, in, \
          opp, other) comes from ImageType tokens, else the SeriesDescription's last `_` token, else \
          EchoTime (in-phase has the larger TE); stations are ordered superior first and the contrasts \
          must share them. Non-DICOM files and symbolic links are listed as skipped. A zip (UK Biobank \
          field 20201) is checked whole (unsafe names, links, sizes, CRCs) and unpacked into a private \
          temporary folder that is removed afterwards; its files are shown as ZIP:entry. \
          Exit codes: 0 indexed without errors (warnings allowed), 65 the set is rejected (a broken \
          DICOM file, repeated or missing slices, uneven spacing, conflicting contrast evidence, a \
          repeated station, contrasts not sharing stations, an unsafe or damaged zip), 66 no such path, \
          an unreadable zip, or no DICOM image in it.

          Examples:
            vibeseg dicom index visit_folder/
            vibeseg dicom index 1000001_20201_2_0.zip --json
          """)

      @Argument(help: "A DICOM file, a folder tree of DICOM files, or a zip of them.")
      var path: String

      @Flag(help: "Print JSON (schemaVersion 1) instead of text.")
      var json = false

      @OptionGroup var rules: DICOMRuleOptions

      func run() throws {
        try reportingErrors {
          let index = try rules.selection().index(URL(fileURLWithPath: path))
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
              "vibeseg: error: \(path): DICOM set rejected: \(errors.count) error(s), the first: \(index.displayText(errors[0].message))")
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

extension VibeSegCommand.DICOM {
  /// `vibeseg dicom convert`: one NIfTI per accepted series group (no stitching yet).
  struct ConvertSeries: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "convert",
      abstract: "Write one NIfTI per contrast (its stations stitched) or per DICOM series group, and dicom.json.",
      discussion: """
        Indexes PATH (a folder, file or zip) as `vibeseg dicom index` does; a rejected set writes \
        nothing (65). Pixels are decoded natively (uncompressed only) and stacked as dcm2niix does \
        (voxel centres checked against dcm2niix). A Dixon contrast acquired in several stations is \
        stitched into one volume, <contrast>.nii.gz (water, fat, in, opp), exactly as \
        `vibeseg stitch` does with its defaults (TPTBox 1.1.0 stitching() as the NAKO script runs it: \
        no N4, float64); every other series group becomes <contrast>[_station-N]_series-M.nii.gz, and \
        with --per-series every group does (no stitching). dicom.json records, per file written, its \
        series (UID, number, contrast and rule, station, slices) and, for a stitched file, the stitch \
        report; plus the whole index. All files are published together, or none.

        Examples:
          vibeseg dicom convert 1000001_20201_2_0.zip -o nifti/
          vibeseg segment nifti/water.nii.gz -o seg.nii.gz
        """)

    @Argument(help: "A DICOM file, a folder tree of DICOM files, or a zip of them.")
    var path: String

    @Option(name: .shortAndLong, help: "The output folder (created if needed).")
    var output: String

    @Flag(help: "Replace existing outputs.")
    var overwrite = false

    @Flag(help: "One file per series group, stations not stitched.")
    var perSeries = false

    @OptionGroup var rules: DICOMRuleOptions

    struct Written: Encodable {
      var file: String
      var contrast: String
      /// One entry per series in the file (several for a stitched contrast, superior first).
      var series: [Series]
      var stitch: StitchReport?
    }

    struct Series: Encodable {
      var seriesInstanceUID: String
      var seriesNumber: Int?
      var seriesDescription: String?
      var contrastRule: String?
      var station: Int?
      var slices: Int
    }

    /// What goes into each file: a stitched contrast or one group.
    func plan(_ index: DICOMIndex) -> [(name: String, groups: [SeriesGroup])] {
      var plan = [(name: String, groups: [SeriesGroup])]()
      var done = Set<Int>()
      if !perSeries {
        for contrast in DICOMContrast.dixon {
          let members = index.groups.indices.filter { index.groups[$0].contrast.contrast == contrast && index.groups[$0].station != nil }
          guard members.count >= 2, Set(members.map { index.groups[$0].station! }).count == members.count else { continue }
          plan.append(("\(contrast.rawValue).nii.gz", members.map { index.groups[$0] }.sorted { $0.station! < $1.station! }))
          done.formUnion(members)
        }
      }
      var names = Set(plan.map(\.name))
      for (n, group) in index.groups.enumerated() where !done.contains(n) {
        let base = "\(group.contrast.contrast.rawValue)\(group.station.map { "_station-\($0)" } ?? "")_series-\(group.first.seriesNumber ?? n + 1)"
        var name = base + ".nii.gz"
        var k = 2
        while names.contains(name) { name = "\(base)-\(k).nii.gz"; k += 1 }
        names.insert(name)
        plan.append((name, [group]))
      }
      return plan
    }

    struct Record: Encodable {
      var schemaVersion = 2
      var tool = "vibeseg \(VibeSegVersion.string)"
      var source: String
      var outputs: [Written]
      var index: DICOMIndexReport
    }

    func run() throws {
      try reportingErrors {
        let index = try rules.selection().index(URL(fileURLWithPath: path))
        // A zip's files live in a scratch folder only as long as the index does.
        defer { withExtendedLifetime(index) {} }
        switch index.verdict {
        case .accepted: break
        case .rejected:
          let errors = index.problems.filter { $0.severity == .error }
          throw VibeSegKitError(
            .invalidInput, "DICOM set rejected: \(errors.count) error(s), the first: \(index.displayText(errors[0].message)) (vibeseg dicom index lists them all)",
            path: path)
        case .noImages:
          throw VibeSegKitError(.missingInput, "no DICOM image found (\(index.skipped.count) file(s) skipped)", path: path)
        }
        let folder = URL(fileURLWithPath: output)
        do {
          try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
          throw VibeSegKitError(.cannotCreateOutput, "cannot create the output folder: \(error.localizedDescription)", path: output)
        }
        let files = plan(index)
        let names = files.map(\.name)
        let urls = names.map { folder.appendingPathComponent($0) } + [folder.appendingPathComponent("dicom.json")]
        let outputs = try OutputTransaction(outputs: urls, inputs: [], overwrite: overwrite)
        var written = [Written]()
        for file in files {
          let image: NiftiImage
          var stitch: StitchReport?
          if file.groups.count == 1 {
            let (single, warnings) = try ImageInput.niftiImage(of: file.groups[0])
            printWarnings(warnings.map(index.displayText))
            image = single
          } else {
            let (stitched, warnings, report) = try ImageInput.stitchedImageAndReport(of: file.groups)
            printWarnings(warnings.map(index.displayText))
            image = stitched
            stitch = report
          }
          try image.write(to: folder.appendingPathComponent(file.name), in: outputs)
          written.append(Written(
            file: file.name, contrast: file.groups[0].contrast.contrast.rawValue,
            series: file.groups.map { group in
              Series(
                seriesInstanceUID: group.key.seriesInstanceUID, seriesNumber: group.first.seriesNumber,
                seriesDescription: group.first.seriesDescription, contrastRule: group.contrast.rule?.rawValue,
                station: group.station, slices: group.files.count)
            }, stitch: stitch))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let record = Record(source: URL(fileURLWithPath: path).standardizedFileURL.path, outputs: written, index: DICOMIndexReport(index))
        try outputs.write(Array(try encoder.encode(record)) + [10], to: folder.appendingPathComponent("dicom.json"))
        try outputs.commit()
        printWritten(names.map { folder.appendingPathComponent($0).path } + [folder.appendingPathComponent("dicom.json").path])
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
    /// The files, sorted along the slice normal (a multi-frame file once per frame).
    var files: [String]
    /// For a multi-frame (enhanced) image: each entry's frame number in its file (1-based),
    /// parallel to `files`; absent for classic single-frame slices.
    var frameNumbers: [Int]?
  }

  struct Station: Encodable {
    var studyInstanceUID: String
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
    let d = index.displayPath
    let t = { (text: String) in p(index.displayText(text)) }
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
        transferSyntax: g.first.transferSyntax.uid, seriesTime: g.first.seriesTime.map(p), files: g.files.map { d($0.path) },
        frameNumbers: g.files.contains { $0.frame != nil } ? g.files.map { ($0.frame ?? 0) + 1 } : nil)
    }
    stations = index.stations.map { s in
      Station(
        studyInstanceUID: p(s.studyInstanceUID), index: s.index, zRange: [s.zRange.lowerBound, s.zRange.upperBound],
        series: Dictionary(uniqueKeysWithValues: s.groups.map { ($0.key.rawValue, p(index.groups[$0.value].key.seriesInstanceUID)) }))
    }
    skipped = index.skipped.map { Skipped(path: d($0.path), reason: t($0.reason)) }
    rejectedFiles = index.rejected.map { Rejected(path: d($0.path), code: $0.code.rawValue, message: t($0.description)) }
    problems = index.problems.map {
      Problem(severity: $0.severity.rawValue, kind: $0.kind.rawValue, message: t($0.message), series: $0.series, paths: $0.paths.map(d))
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
