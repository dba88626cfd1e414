import Foundation
import NiftiIO
import Testing
import _TestSupport

/// A DICOM series folder through the image-input seam (`vibeseg info`), and what is refused.
@Suite("DICOM series folder as image input")
struct DICOMInputCommandTests {
  static func fixture(_ path: String) -> String { Fixtures.committed("dicom/\(path)").path }

  @Test("info on a one-series folder: shape, spacing, scaling from the DICOM")
  func infoText() throws {
    let result = try VibeSegBinary.run(["info", Self.fixture("volume/series")])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("format:      DICOM series"))
    #expect(result.stdout.contains("shape:       7 x 6 x 5"))
    #expect(result.stdout.contains("scaling:     slope 2, intercept -100"))
  }

  @Test("segment on a one-series folder writes a map on the series' grid (the dcm2niix-checked affine)")
  func segmentFolder() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("seg.nii.gz")
    let r = try VibeSegBinary.run(
      ["segment", Self.fixture("volume/series"), "-o", out.path, "--model", SegmentCommandTests.main.path, "--roi-model",
       SegmentCommandTests.roi.path], environment: SegmentCommandTests.isolated(dir))
    #expect(r.status == 0, "\(r.stderr)")
    let map = try NiftiImage(contentsOf: out)
    let reference = try NiftiImage(contentsOf: Fixtures.committed("dicom/volume/reference/series.nii"))
    #expect(map.grid.shape == [7, 6, 5])
    // Same voxel centres as dcm2niix's conversion, whatever its voxel order: the corner sets agree.
    func corners(_ image: NiftiImage) -> Set<[Int]> {
      let s = image.grid.shape
      var out = Set<[Int]>()
      for i in [0, s[0] - 1] { for j in [0, s[1] - 1] { for k in [0, s[2] - 1] {
        out.insert(image.grid.affine.apply([Double(i), Double(j), Double(k)]).map { Int(($0 * 1000).rounded()) })
      } } }
      return out
    }
    #expect(corners(map) == corners(reference))
  }

  @Test("dicom convert --per-series: one NIfTI per series group and dicom.json; a rejected set writes nothing; outputs kept without --overwrite")
  func convert() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("nifti")
    let r = try VibeSegBinary.run(["dicom", "convert", Self.fixture("ukbb"), "-o", out.path, "--per-series"])
    #expect(r.status == 0, "\(r.stderr)")
    let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
    #expect(files.count == 25 && files.contains("dicom.json") && files.contains("water_station-1_series-4.nii.gz"), "\(files)")
    let record = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("dicom.json"))) as? [String: Any]
    let outputs = record?["outputs"] as? [[String: Any]] ?? []
    #expect(outputs.count == 24 && Set(outputs.compactMap { $0["contrast"] as? String }) == ["water", "fat", "in", "opp"])
    #expect(outputs.allSatisfy { ($0["series"] as? [[String: Any]])?.count == 1 && $0["stitch"] == nil })
    let water = try NiftiImage(contentsOf: out.appendingPathComponent("water_station-1_series-4.nii.gz"))
    #expect(water.grid.shape[2] == 3 && water.header.sformCode == 1)
    let again = try VibeSegBinary.run(["dicom", "convert", Self.fixture("ukbb"), "-o", out.path, "--per-series"])
    #expect(again.status == 73, "\(again.stderr)")
    let rejected = dir.appendingPathComponent("rejected")
    let bad = try VibeSegBinary.run(["dicom", "convert", Self.fixture("cases/missing_slice"), "-o", rejected.path])
    #expect(bad.status == 65 && bad.stderr.contains("not uniform"), "\(bad.stderr)")
    #expect(!FileManager.default.fileExists(atPath: rejected.path))
  }

  @Test("info --json on a one-series folder")
  func infoJSON() throws {
    let result = try VibeSegBinary.run(["info", "--json", Self.fixture("volume/series")])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(object["shape"] as? [Int] == [7, 6, 5])
    #expect(object["datatype"] as? String == "int16")
  }

  @Test("a folder of several series groups is refused with the list (65)")
  func severalGroups() throws {
    let result = try VibeSegBinary.run(["info", Self.fixture("ukbb")])
    #expect(result.status == 65)
    #expect(result.stderr.contains("24 series groups"))
    #expect(result.stderr.contains("series 24 'Dixon_noBH_W': water, station 6, 3 slice(s)"))
    #expect(result.stderr.contains("choose one with --contrast water|fat|in|opp or --series NUMBER"))
  }

  @Test("segment chooses a series of a DICOM zip (--series, --contrast): the map equals segment on that series converted; sidecar records the choice")
  func segmentSelection() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let env = SegmentCommandTests.isolated(dir)
    let model = ["--model", SegmentCommandTests.main.path, "--roi-model", SegmentCommandTests.roi.path]
    let zip = Self.fixture("ukbb.zip")
    let out = dir.appendingPathComponent("seg.nii.gz")
    let r = try VibeSegBinary.run(["segment", zip, "--series", "8", "-o", out.path] + model, environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    let convert = try VibeSegBinary.run(["dicom", "convert", Self.fixture("ukbb"), "-o", dir.appendingPathComponent("nifti").path, "--per-series"])
    #expect(convert.status == 0, "\(convert.stderr)")
    let reference = dir.appendingPathComponent("ref.nii.gz")
    let direct = try VibeSegBinary.run(
      ["segment", dir.appendingPathComponent("nifti/water_station-2_series-8.nii.gz").path, "-o", reference.path] + model, environment: env)
    #expect(direct.status == 0, "\(direct.stderr)")
    let a = try NiftiImage(contentsOf: out), b = try NiftiImage(contentsOf: reference)
    #expect(a.grid == b.grid)
    #expect(try SegmentCommandTests.labels(out) == SegmentCommandTests.labels(reference))
    let sidecar = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("seg.json"))) as? [String: Any])
    let provenance = try #require(sidecar["provenance"] as? [String: Any])
    #expect(provenance["inputSelection"] as? String == "series=8" && provenance["input"] as? String == zip, "\(provenance)")

    // Several groups, no choice: the list and how to choose (65).
    let none = try VibeSegBinary.run(["segment", zip, "-o", dir.appendingPathComponent("none.nii.gz").path] + model, environment: env)
    #expect(none.status == 65 && none.stderr.contains("24 series groups") && none.stderr.contains("--contrast"), "\(none.stderr)")
    let both = try VibeSegBinary.run(["segment", zip, "--contrast", "fat", "--series", "8", "-o", dir.appendingPathComponent("b.nii.gz").path] + model, environment: env)
    #expect(both.status == 65 && both.stderr.contains("no series group matches contrast fat and series 8"), "\(both.stderr)")
    // A NIfTI has nothing to choose from (64); an unknown contrast is a usage error.
    let nifti = try VibeSegBinary.run(["segment", reference.path, "--contrast", "water", "-o", dir.appendingPathComponent("n.nii.gz").path] + model, environment: env)
    #expect(nifti.status == 64 && nifti.stderr.contains("not DICOM"), "\(nifti.stderr)")
    let unknown = try VibeSegBinary.run(["segment", zip, "--contrast", "t2", "-o", dir.appendingPathComponent("u.nii.gz").path] + model, environment: env)
    #expect(unknown.status == 64)
    for name in ["none", "b", "n", "u"] {
      #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("\(name).nii.gz").path))
    }
  }

  @Test("stations of a contrast are stitched: dicom convert's water.nii.gz is vibeseg stitch of the stations; segment --contrast water and combine --dicom read the stitched volumes")
  func stitchedStations() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let zip = Self.fixture("ukbb.zip")
    let converted = dir.appendingPathComponent("c")
    let r = try VibeSegBinary.run(["dicom", "convert", zip, "-o", converted.path])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: converted.path).sorted() == ["dicom.json", "fat.nii.gz", "in.nii.gz", "opp.nii.gz", "water.nii.gz"])
    let record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: converted.appendingPathComponent("dicom.json"))) as? [String: Any])
    let water = try #require((record["outputs"] as? [[String: Any]])?.first { $0["file"] as? String == "water.nii.gz" })
    #expect((water["series"] as? [[String: Any]])?.compactMap { $0["station"] as? Int } == [1, 2, 3, 4, 5, 6])
    #expect(water["stitch"] is [String: Any])

    // The same as stitching the per-station files with vibeseg stitch (its defaults).
    let stations = dir.appendingPathComponent("s")
    #expect(try VibeSegBinary.run(["dicom", "convert", zip, "-o", stations.path, "--per-series"]).status == 0)
    let waterFiles = try FileManager.default.contentsOfDirectory(atPath: stations.path).filter { $0.hasPrefix("water_station-") }
      .sorted { Int($0.split(separator: "-")[1].prefix { $0.isNumber })! < Int($1.split(separator: "-")[1].prefix { $0.isNumber })! }
    #expect(waterFiles.count == 6)
    let stitched = dir.appendingPathComponent("stitched.nii.gz")
    let st = try VibeSegBinary.run(["stitch"] + waterFiles.map { stations.appendingPathComponent($0).path } + ["-o", stitched.path])
    #expect(st.status == 0, "\(st.stderr)")
    let a = try NiftiImage(contentsOf: converted.appendingPathComponent("water.nii.gz")), b = try NiftiImage(contentsOf: stitched)
    #expect(a.grid == b.grid)
    #expect(a.volume.scalarType == b.volume.scalarType && a.volume.converted(to: Double.self).voxels == b.volume.converted(to: Double.self).voxels)

    let env = SegmentCommandTests.isolated(dir)
    let model = ["--model", SegmentCommandTests.main.path, "--roi-model", SegmentCommandTests.roi.path]
    let fromZip = dir.appendingPathComponent("zip.nii.gz"), fromFile = dir.appendingPathComponent("file.nii.gz")
    #expect(try VibeSegBinary.run(["segment", zip, "--contrast", "water", "-o", fromZip.path] + model, environment: env).status == 0)
    #expect(try VibeSegBinary.run(["segment", converted.appendingPathComponent("water.nii.gz").path, "-o", fromFile.path] + model, environment: env).status == 0)
    #expect(try SegmentCommandTests.labels(fromZip) == SegmentCommandTests.labels(fromFile))

    let combined = dir.appendingPathComponent("combined.nii.gz"), reference = dir.appendingPathComponent("reference.nii.gz")
    let c1 = try VibeSegBinary.run(["combine", "--dicom", zip, "-o", combined.path] + model, environment: env)
    #expect(c1.status == 0, "\(c1.stderr)")
    let c2 = try VibeSegBinary.run(
      ["combine", "--water", converted.appendingPathComponent("water.nii.gz").path, "--in-phase", converted.appendingPathComponent("in.nii.gz").path,
       "--opposed-phase", converted.appendingPathComponent("opp.nii.gz").path, "-o", reference.path] + model, environment: env)
    #expect(c2.status == 0, "\(c2.stderr)")
    #expect(try SegmentCommandTests.labels(combined) == SegmentCommandTests.labels(reference))
  }

  @Test("a repeated station: refused by default (65); --duplicate-station newest reads the latest (index, convert, segment)")
  func duplicateStation() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let set = Self.fixture("cases/repeated_station")
    #expect(try VibeSegBinary.run(["dicom", "index", set]).status == 65)
    let index = try VibeSegBinary.run(["dicom", "index", set, "--duplicate-station", "newest"])
    #expect(index.status == 0 && index.stdout.contains("kept the newest"), "\(index.stdout) \(index.stderr)")
    let convert = try VibeSegBinary.run(["dicom", "convert", set, "-o", dir.appendingPathComponent("n").path, "--duplicate-station", "newest", "--per-series"])
    #expect(convert.status == 0, "\(convert.stderr)")
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("n").path).filter { $0.hasSuffix(".nii.gz") }.sorted()
    #expect(names == ["fat_station-1_series-1.nii.gz", "fat_station-2_series-5.nii.gz", "water_station-1_series-2.nii.gz", "water_station-2_series-6.nii.gz"])
    let env = SegmentCommandTests.isolated(dir)
    let model = ["--model", SegmentCommandTests.main.path, "--roi-model", SegmentCommandTests.roi.path]
    let refused = try VibeSegBinary.run(["segment", set, "--series", "6", "-o", dir.appendingPathComponent("r.nii.gz").path] + model, environment: env)
    #expect(refused.status == 65 && refused.stderr.contains("--duplicate-station newest"), "\(refused.stderr)")
    let newest = try VibeSegBinary.run(
      ["segment", set, "--series", "6", "--duplicate-station", "newest", "-o", dir.appendingPathComponent("s.nii.gz").path] + model, environment: env)
    #expect(newest.status == 0, "\(newest.stderr)")
  }

  @Test("broken compressed data (dcm2niix refuses it) and a multi-frame file without per-frame geometry are refused, naming the file (65)")
  func refused() throws {
    // The fixture claims JPEG but holds no JPEG stream: dcm2niix fails on it (exit 1) when it is
    // installed; without it the message says how to install it (69).
    let compressed = try VibeSegBinary.run(["info", Self.fixture("volume/cases/compressed")])
    if FileManager.default.isExecutableFile(atPath: "/usr/bin/dcm2niix") {
      #expect(compressed.status == 65, "\(compressed.stderr)")
      #expect(compressed.stderr.contains("compressed/0001.dcm") && compressed.stderr.contains("dcm2niix failed with exit 1"), "\(compressed.stderr)")
    } else {
      #expect(compressed.status == 69 && compressed.stderr.contains("apt-get install dcm2niix"), "\(compressed.stderr)")
    }
    let enhanced = try VibeSegBinary.run(["info", Self.fixture("volume/cases/enhanced")])
    #expect(enhanced.status == 65)
    #expect(enhanced.stderr.contains("enhanced/0001.dcm") && enhanced.stderr.contains("without PerFrameFunctionalGroupsSequence"))
  }

  @Test("a rejected set (missing slice) is refused (65)")
  func rejectedSet() throws {
    let result = try VibeSegBinary.run(["info", Self.fixture("cases/missing_slice")])
    #expect(result.status == 65)
    #expect(result.stderr.contains("the DICOM set is rejected"))
  }
}
