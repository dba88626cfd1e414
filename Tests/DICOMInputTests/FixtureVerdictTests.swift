import DICOMCore
@testable import DICOMInput
import Foundation
import Testing
import _TestSupport

/// Every committed fixture case (scripts/fixtures/make_dicom_fixtures.py) gets its verdict and
/// the problems that explain it.
@Suite("DICOM index: fixture verdicts")
struct FixtureVerdictTests {
  struct Case: Sendable, CustomTestStringConvertible {
    var path: String
    var verdict: DICOMIndex.Verdict
    var errors: Set<DICOMProblem.Kind>
    var images: Int
    var groups: Int
    var stations: Int
    var skipped: Int = 0
    var testDescription: String { path }
  }

  static let cases: [Case] = [
    .init(path: "ukbb", verdict: .accepted, errors: [], images: 72, groups: 24, stations: 6, skipped: 1),
    .init(path: "nako", verdict: .accepted, errors: [], images: 48, groups: 16, stations: 4),
    .init(path: "cases/missing_slice", verdict: .rejected, errors: [.nonUniformSpacing], images: 5, groups: 1, stations: 1),
    .init(path: "cases/two_stations_one_uid", verdict: .rejected, errors: [.repeatedSlices], images: 10, groups: 1, stations: 1),
    .init(path: "cases/two_stations_gap", verdict: .rejected, errors: [.nonUniformSpacing], images: 10, groups: 1, stations: 1),
    .init(path: "cases/repeated_station", verdict: .rejected, errors: [.repeatedStation], images: 24, groups: 6, stations: 2),
    .init(path: "cases/contrast_conflict", verdict: .rejected, errors: [.contrastConflict], images: 3, groups: 1, stations: 1),
    .init(path: "cases/wf_positions", verdict: .rejected, errors: [.stationMismatch], images: 8, groups: 2, stations: 1),
    .init(path: "cases/truncated", verdict: .rejected, errors: [.rejectedFile, .nonUniformSpacing], images: 4, groups: 1, stations: 1),
    .init(path: "cases/mixed_nondicom", verdict: .accepted, errors: [], images: 3, groups: 1, stations: 1, skipped: 4),
    .init(path: "cases/implicit_vr", verdict: .accepted, errors: [], images: 3, groups: 1, stations: 1),
    .init(path: "cases/te_only", verdict: .accepted, errors: [], images: 6, groups: 2, stations: 1),
    .init(path: "cases/big_endian", verdict: .rejected, errors: [.rejectedFile], images: 0, groups: 0, stations: 0),
    .init(path: "cases/no_dicom", verdict: .noImages, errors: [], images: 0, groups: 0, stations: 0, skipped: 2),
  ]

  @Test("verdict, error kinds and counts", arguments: cases)
  func verdict(_ c: Case) throws {
    let index = try DICOMIndex(scanning: Fixtures.committed("dicom/\(c.path)"))
    #expect(index.verdict == c.verdict, "\(index.problems)")
    #expect(Set(index.problems.filter { $0.severity == .error }.map(\.kind)) == c.errors, "\(index.problems)")
    #expect(index.files.count == c.images)
    #expect(index.groups.count == c.groups)
    #expect(index.stations.count == c.stations)
    #expect(index.skipped.count == c.skipped, "\(index.skipped)")
  }

  @Test("UK Biobank-like: 6 stations superior first, in/opp/F/W each by ImageType, descriptions agreeing")
  func ukbb() throws {
    let index = try DICOMIndex(scanning: Fixtures.committed("dicom/ukbb"))
    #expect(index.problems.isEmpty, "\(index.problems)")
    #expect(index.groups.map(\.seriesNumber) == Array(1...24))
    let expected: [DICOMContrast] = [.inPhase, .opposedPhase, .fat, .water]
    for (n, group) in index.groups.enumerated() {
      #expect(group.contrast.contrast == expected[n % 4])
      #expect(group.contrast.rule == .imageType)
      #expect(group.contrast.evidence.count == 2, "\(group.contrast.evidence)")  // ImageType + description
      #expect(group.station == n / 4 + 1)
      #expect(group.files.count == 3)
    }
    let centres = index.stations.map { ($0.zRange.lowerBound + $0.zRange.upperBound) / 2 }
    #expect(centres == centres.sorted(by: >))
    #expect(index.stations.allSatisfy { Set($0.groups.keys) == Set(DICOMContrast.dixon) })
    // Per-station slice spacing and matrix as in the generator.
    #expect(index.stations.map { index.groups[$0.groups[.water]!].sliceSpacing! } == [3.0, 4.5, 4.5, 4.5, 3.5, 4.0])
    #expect(index.stations.map { index.groups[$0.groups[.water]!].key.rows } == [8, 9, 9, 9, 8, 8])
    #expect(index.skipped.map { ($0.path as NSString).lastPathComponent } == ["manifest.cvs"])
  }

  @Test("NAKO-like: W/F by ImageType, in/opp by the description's last token, 4 stations")
  func nako() throws {
    let index = try DICOMIndex(scanning: Fixtures.committed("dicom/nako"))
    #expect(index.problems.isEmpty, "\(index.problems)")
    for group in index.groups {
      let suffix = try #require(group.seriesDescription?.split(separator: "_").last)
      switch suffix {
      case "W": #expect(group.contrast.contrast == .water && group.contrast.rule == .imageType)
      case "F": #expect(group.contrast.contrast == .fat && group.contrast.rule == .imageType)
      case "in": #expect(group.contrast.contrast == .inPhase && group.contrast.rule == .seriesDescription)
      default: #expect(group.contrast.contrast == .opposedPhase && group.contrast.rule == .seriesDescription)
      }
      #expect(group.station == (group.seriesNumber! / 10))
    }
  }

  @Test("problems name what is wrong and where")
  func messages() throws {
    func errors(_ path: String) throws -> [DICOMProblem] {
      try DICOMIndex(scanning: Fixtures.committed("dicom/cases/\(path)")).problems.filter { $0.severity == .error }
    }
    let missing = try errors("missing_slice")
    #expect(missing.count == 1)
    #expect(missing[0].message.contains("6.000 mm between") && missing[0].message.contains("009_0005.dcm") && missing[0].message.contains("009_0003.dcm") && missing[0].message.contains("1 slice(s) missing"), "\(missing)")

    let conflict = try errors("contrast_conflict")[0].message
    #expect(conflict.contains("WATER says water") && conflict.contains("_F, which says fat"), "\(conflict)")

    let repeated = try errors("repeated_station")
    #expect(repeated.count == 2)  // water and fat
    #expect(repeated.allSatisfy { $0.series.count == 2 && $0.message.contains("SeriesTime") })

    let truncated = try errors("truncated")
    let rejected = truncated.filter { $0.kind == .rejectedFile }
    #expect(Set(rejected.map { ($0.paths[0] as NSString).lastPathComponent }) == ["011_0003.dcm", "011_0005.dcm"])
    #expect(rejected.allSatisfy { $0.message.contains("file ends") || $0.message.contains("pixel data") }, "\(rejected)")

    let positions = try errors("wf_positions")[0].message
    #expect(positions.contains("slice positions differ"), "\(positions)")
  }

  @Test("--duplicate-station newest keeps the latest acquisition of a repeated station, with a warning naming both")
  func newestStation() throws {
    let index = try DICOMIndex(scanning: Fixtures.committed("dicom/cases/repeated_station"), duplicateStation: .newest)
    #expect(index.verdict == .accepted, "\(index.problems)")
    #expect(index.groups.count == 4 && index.stations.count == 2)
    // Series 5 (F) and 6 (W) were acquired at 10:45, series 3 and 4 at 10:30: the later ones stay.
    #expect(Set(index.groups.compactMap(\.seriesNumber)) == [1, 2, 5, 6])
    let warnings = index.problems.filter { $0.kind == .repeatedStation }
    #expect(warnings.count == 2 && warnings.allSatisfy { $0.severity == .warning && $0.message.contains("kept the newest") }, "\(warnings)")
    let at104505: Double = 38705
    #expect(StationAssembly.seconds("104505.25") == at104505 + 0.25)
    #expect(StationAssembly.seconds("10:45:05") == at104505)
    #expect(StationAssembly.seconds("1045") == at104505 - 5)
    #expect(StationAssembly.seconds("x") == nil)
  }

  @Test("in/opp by EchoTime when nothing else says: the larger TE is in-phase")
  func echoTime() throws {
    let index = try DICOMIndex(scanning: Fixtures.committed("dicom/cases/te_only"))
    let byNumber = Dictionary(uniqueKeysWithValues: index.groups.map { ($0.seriesNumber!, $0.contrast) })
    #expect(byNumber[21]?.contrast == .inPhase && byNumber[21]?.rule == .echoTime)
    #expect(byNumber[22]?.contrast == .opposedPhase && byNumber[22]?.rule == .echoTime)
    #expect(byNumber[21]?.evidence.last?.contains("4.77 ms vs 2.39 ms") == true)
  }

  @Test("non-DICOM files are skipped with reasons")
  func skipped() throws {
    let index = try DICOMIndex(scanning: Fixtures.committed("dicom/cases/mixed_nondicom"))
    let reasons = Dictionary(uniqueKeysWithValues: index.skipped.map { (($0.path as NSString).lastPathComponent, $0.reason) })
    #expect(reasons["notes.txt"]?.hasPrefix("not DICOM") == true)
    #expect(reasons["empty.dcm"]?.contains("empty file") == true)
    #expect(reasons["junk.bin"]?.hasPrefix("not DICOM") == true)
    #expect(reasons["report.dcm"]?.contains("without pixel data") == true)
  }
}
