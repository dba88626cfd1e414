import Foundation
import Testing
import _TestSupport

/// `vibeseg dicom index` on the committed fixtures: exit codes (dicom.md 6.4), text and JSON.
@Suite("vibeseg dicom index")
struct DICOMIndexCommandTests {
  static func fixture(_ path: String) -> String { Fixtures.committed("dicom/\(path)").path }

  @Test("UK Biobank-like folder: exit 0, one line per series group")
  func ukbbText() throws {
    let result = try VibeSegBinary.run(["dicom", "index", Self.fixture("ukbb")])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("72 DICOM image(s) in 24 series group(s), 6 station(s)"))
    #expect(result.stdout.contains("series 24 'Dixon_noBH_W': water (by imageType), station 6, 3 slice(s) of 8x10"))
    #expect(result.stdout.contains("skipped: \(Self.fixture("ukbb"))/manifest.cvs"))
    #expect(result.stdout.hasSuffix("verdict: accepted\n"))
    #expect(result.stderr.isEmpty)
  }

  @Test("--json: schemaVersion 1, series with contrast, evidence, station and files; stations")
  func nakoJSON() throws {
    let result = try VibeSegBinary.run(["dicom", "index", "--json", Self.fixture("nako")])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(object["schemaVersion"] as? Int == 1)
    #expect(object["verdict"] as? String == "accepted")
    let series = try #require(object["series"] as? [[String: Any]])
    #expect(series.count == 16)
    let opp = try #require(series.first { $0["seriesNumber"] as? Int == 13 })
    #expect(opp["contrast"] as? String == "opp" && opp["contrastRule"] as? String == "seriesDescription")
    #expect((opp["contrastEvidence"] as? [String])?.first?.contains("3D_GRE_TRA_opp") == true)
    #expect(opp["station"] as? Int == 1 && (opp["files"] as? [String])?.count == 3)
    #expect(opp["pixelSpacing"] as? [Double] == [1.40625, 1.40625])
    let stations = try #require(object["stations"] as? [[String: Any]])
    #expect(stations.map { $0["index"] as? Int } == [1, 2, 3, 4])
    #expect((stations[0]["series"] as? [String: String])?.keys.sorted() == ["fat", "in", "opp", "water"])
    #expect((object["problems"] as? [Any])?.isEmpty == true)
  }

  struct Rejected: Sendable, CustomTestStringConvertible {
    var path: String
    var kind: String
    var testDescription: String { path }
  }

  @Test(
    "rejected sets exit 65, with the problem in the JSON and one line on stderr",
    arguments: [
      Rejected(path: "cases/missing_slice", kind: "nonUniformSpacing"),
      Rejected(path: "cases/two_stations_one_uid", kind: "repeatedSlices"),
      Rejected(path: "cases/two_stations_gap", kind: "nonUniformSpacing"),
      Rejected(path: "cases/repeated_station", kind: "repeatedStation"),
      Rejected(path: "cases/contrast_conflict", kind: "contrastConflict"),
      Rejected(path: "cases/wf_positions", kind: "stationMismatch"),
      Rejected(path: "cases/truncated", kind: "rejectedFile"),
      Rejected(path: "cases/big_endian", kind: "rejectedFile"),
    ])
  func rejected(_ c: Rejected) throws {
    let result = try VibeSegBinary.run(["dicom", "index", "--json", Self.fixture(c.path)])
    #expect(result.status == 65, "\(result.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(object["verdict"] as? String == "rejected")
    let problems = try #require(object["problems"] as? [[String: Any]])
    #expect(problems.contains { $0["kind"] as? String == c.kind && $0["severity"] as? String == "error" }, "\(problems)")
    let lines = result.stderr.split(separator: "\n")
    #expect(lines.count == 1 && lines[0].hasPrefix("vibeseg: error: \(Self.fixture(c.path)): DICOM set rejected"), "\(result.stderr)")
  }

  @Test("the conflict names both values; the truncated file is named")
  func messages() throws {
    let conflict = try VibeSegBinary.run(["dicom", "index", Self.fixture("cases/contrast_conflict")])
    #expect(conflict.status == 65)
    #expect(conflict.stdout.contains("ImageType token WATER says water, but SeriesDescription 'Dixon_noBH_F' ends in _F, which says fat"))
    let truncated = try VibeSegBinary.run(["dicom", "index", Self.fixture("cases/truncated")])
    #expect(truncated.stdout.contains("error: \(Self.fixture("cases/truncated"))/011_0003.dcm: (7FE0,0010) PixelData"))
  }

  @Test("non-DICOM files beside a good series: exit 0, each listed as skipped")
  func mixed() throws {
    let result = try VibeSegBinary.run(["dicom", "index", "--json", Self.fixture("cases/mixed_nondicom")])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let skipped = try #require(object["skipped"] as? [[String: String]])
    #expect(skipped.map { ($0["path"]! as NSString).lastPathComponent } == ["empty.dcm", "junk.bin", "notes.txt", "report.dcm"])
  }

  @Test("exit 66: no DICOM image, a missing path, an unreadable zip; 65: an unsafe zip")
  func notFound() throws {
    let none = try VibeSegBinary.run(["dicom", "index", Self.fixture("cases/no_dicom")])
    #expect(none.status == 66)
    #expect(none.stderr.contains("no DICOM image found (2 file(s) skipped)"))
    let missing = try VibeSegBinary.run(["dicom", "index", "/nonexistent/visit"])
    #expect(missing.status == 66 && missing.stderr.contains("/nonexistent/visit") && missing.stdout.isEmpty)
    let truncated = try VibeSegBinary.run(["dicom", "index", Self.fixture("cases/zip_truncated.zip")])
    #expect(truncated.status == 66 && truncated.stderr.contains("not a readable zip") && truncated.stdout.isEmpty, "\(truncated.stderr)")
    let traversal = try VibeSegBinary.run(["dicom", "index", Self.fixture("cases/zip_traversal.zip")])
    #expect(traversal.status == 65 && traversal.stderr.contains("zip is rejected") && traversal.stdout.isEmpty, "\(traversal.stderr)")
  }

  @Test("a zip: the same index as its folder, files as ZIP:entry; convert writes the same NIfTIs; no scratch left")
  func zipInput() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let tmp = dir.appendingPathComponent("tmp")
    try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    let env = ["TMPDIR": tmp.path]
    let zip = Self.fixture("ukbb.zip")
    let zipped = try VibeSegBinary.run(["dicom", "index", "--json", zip], environment: env)
    let folder = try VibeSegBinary.run(["dicom", "index", "--json", Self.fixture("ukbb")])
    #expect(zipped.status == folder.status, "\(zipped.stderr)")
    func series(_ text: String) throws -> [[String: Any]] {
      let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
      return try #require(object["series"] as? [[String: Any]])
    }
    let a = try series(zipped.stdout), b = try series(folder.stdout)
    #expect(a.count == 24 && a.count == b.count)
    #expect(a.map { $0["seriesInstanceUID"] as? String } == b.map { $0["seriesInstanceUID"] as? String })
    #expect(a.map { $0["contrast"] as? String } == b.map { $0["contrast"] as? String })
    let files = try #require(a[0]["files"] as? [String])
    #expect(files.allSatisfy { $0.hasPrefix(zip + ":2.25.") }, "\(files)")
    let fromZip = try VibeSegBinary.run(["dicom", "convert", zip, "-o", dir.appendingPathComponent("z").path, "--per-series"], environment: env)
    let fromFolder = try VibeSegBinary.run(["dicom", "convert", Self.fixture("ukbb"), "-o", dir.appendingPathComponent("f").path, "--per-series"])
    #expect(fromZip.status == 0 && fromFolder.status == 0, "\(fromZip.stderr) \(fromFolder.stderr)")
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("f").path).filter { $0.hasSuffix(".nii.gz") }
    #expect(names.count == 24)
    for name in names {
      #expect(
        try Data(contentsOf: dir.appendingPathComponent("z/\(name)")) == Data(contentsOf: dir.appendingPathComponent("f/\(name)")), "\(name)")
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty, "no scratch folder left in TMPDIR")
  }

  @Test("--contrast-map overrides the rules and the conflict they raise; a series not in the input is 65; bad syntax 64")
  func contrastMap() throws {
    let set = Self.fixture("cases/contrast_conflict")
    #expect(try VibeSegBinary.run(["dicom", "index", set]).status == 65)
    let mapped = try VibeSegBinary.run(["dicom", "index", "--json", set, "--contrast-map", "3=fat"])
    #expect(mapped.status == 0, "\(mapped.stdout) \(mapped.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(mapped.stdout.utf8)) as? [String: Any])
    let series = try #require(object["series"] as? [[String: Any]])
    let three = try #require(series.first { $0["seriesNumber"] as? Int == 3 })
    #expect(three["contrast"] as? String == "fat" && three["contrastRule"] as? String == "contrastMap", "\(three)")
    let unknown = try VibeSegBinary.run(["dicom", "index", set, "--contrast-map", "3=fat,99=water"])
    #expect(unknown.status == 65 && unknown.stderr.contains("series 99, which is not in the input"), "\(unknown.stderr)")
    let bad = try VibeSegBinary.run(["dicom", "index", set, "--contrast-map", "3=t2"])
    #expect(bad.status == 64 && bad.stderr.contains("3=t2"), "\(bad.stderr)")
  }

  @Test("usage: a missing argument or unknown subcommand is 64; help says what is not done yet")
  func usage() throws {
    #expect(try VibeSegBinary.run(["dicom", "index"]).status == 64)
    #expect(try VibeSegBinary.run(["dicom", "convert", "x"]).status == 64)
    let help = try VibeSegBinary.run(["dicom", "index", "--help"])
    #expect(help.status == 0 && help.stdout.contains("zip"))
  }
}
