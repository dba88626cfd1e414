import DICOMCore
import DICOMInput
import DICOMSeg
import Foundation
import NiftiIO
import Testing
import VolumeCore
import _TestSupport

/// `segment DICOMFOLDER -o OUT.nii.gz --output-type both|dicom-seg` with the fixture model: the
/// SEG next to the map, read back with DICOMCore's tree reader, holds at every source pixel the
/// label the NIfTI map holds at that world point; the usage and overwrite rules.
@Suite("segment --output-type dicom-seg", .serialized)
struct DICOMSegCommandTests {
  static func series(_ name: String) -> URL { Fixtures.committed("dicom_seg/orientations/\(name)") }

  func segment(_ input: URL, _ out: URL, _ extra: [String], dir: URL) throws -> CommandResult {
    try VibeSegBinary.run(
      [
        "segment", input.path, "-o", out.path, "--model", SegmentCommandTests.main.path, "--roi-model",
        SegmentCommandTests.roi.path,
      ]
        + extra, environment: SegmentCommandTests.isolated(dir))
  }

  /// Every frame's pixels against the NIfTI at the pixel's world point (through the map's own
  /// affine), and a frame for every (segment, source slice) the map labels there.
  /// `exact`: the map is on the series' grid (else its nearest voxel, half to even, as the writer).
  func checkAgainstMap(seg url: URL, map mapURL: URL, source: URL, exact: Bool = true) throws {
    let (_, ds) = try DICOMDataset.parse(part10: [UInt8](try Data(contentsOf: url)), path: url.path)
    let map = try NiftiImage(contentsOf: mapURL)
    let labels = map.volume.converted(to: UInt8.self).voxels
    let inverse = try #require(map.grid.affine.inverse)
    let shape = map.grid.shape
    let rows = ds.unsignedShorts(.rows)![0]
    let columns = ds.unsignedShorts(.columns)![0]
    let shared = ds.items(.sharedFunctionalGroupsSequence)![0]
    let iop = shared.items(.planeOrientationSequence)![0].decimals(.imageOrientationPatient)!
    let spacing = shared.items(.pixelMeasuresSequence)![0].decimals(.pixelSpacing)!
    let segments = ds.items(.segmentSequence)!
    // Fixed numbering: segment n is TotalVibeSegmentator label n (n < 20) or n + 1.
    #expect(segments.count == 71)
    let value = { (number: Int) in number < 20 ? number : number + 1 }
    func labelAt(_ position: [Double], _ i: Int, _ j: Int) -> UInt8 {
      let lps = (0..<3).map { a in position[a] + Double(j) * spacing[1] * iop[a] + Double(i) * spacing[0] * iop[3 + a] }
      let v = inverse.apply([-lps[0], -lps[1], lps[2]])
      let r = v.map { $0.rounded(.toNearestOrEven) }
      precondition(!exact || zip(v, r).allSatisfy { abs($0 - $1) < 1e-3 }, "the map is on the series' grid")
      let idx = r.map { Int($0) }
      guard (0..<3).allSatisfy({ idx[$0] >= 0 && idx[$0] < shape[$0] }) else { return 0 }
      return labels[idx[0] + shape[0] * (idx[1] + shape[1] * idx[2])]
    }
    let data = ds.bytes(.pixelData)!
    var framed = Set<[String]>()
    var mismatches = 0
    for (n, item) in ds.items(.perFrameFunctionalGroupsSequence)!.enumerated() {
      let segment = item.items(.segmentIdentificationSequence)![0].unsignedShorts(.referencedSegmentNumber)![0]
      let position = item.items(.planePositionSequence)![0].decimals(.imagePositionPatient)!
      let sop = item.items(.derivationImageSequence)![0].items(.sourceImageSequence)![0].string(
        .referencedSOPInstanceUID)!
      framed.insert([String(segment), sop])
      let bits = BitPacker.unpack(data, frame: n, pixelsPerFrame: rows * columns)!
      for i in 0..<rows {
        for j in 0..<columns where (labelAt(position, i, j) == UInt8(value(segment))) != (bits[i * columns + j] == 1) {
          mismatches += 1
        }
      }
    }
    #expect(mismatches == 0, "\(url.lastPathComponent): \(mismatches) SEG pixels differ from the NIfTI map")
    // Every labelled source slice has its frames.
    let index = try DICOMIndex(scanning: source)
    let seriesUIDs = (ds.items(.referencedSeriesSequence) ?? []).compactMap { $0.string(.seriesInstanceUID) }
    let groups = index.groups.filter { seriesUIDs.contains($0.key.seriesInstanceUID) }
    #expect(groups.count == seriesUIDs.count && !groups.isEmpty, "the referenced series are in \(source.path)")
    var wanted = Set<[String]>()
    for file in groups.flatMap(\.files) {
      for i in 0..<rows {
        for j in 0..<columns {
          let l = Int(labelAt(file.imagePosition, i, j))
          if l != 0 { wanted.insert([String(l < 20 ? l : l - 1), file.sopInstanceUID]) }
        }
      }
    }
    #expect(framed == wanted, "frames exactly for the labelled (segment, slice) pairs")
    #expect(!wanted.isEmpty, "the fixture model labels the fixture")
  }

  @Test("--output-type both: OUT.nii.gz and OUT.seg.dcm agree at every source pixel (flipped axial, sagittal)")
  func both() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    for name in ["axial_nr_nc", "sagittal"] {
      let out = dir.appendingPathComponent("\(name).nii.gz")
      let r = try segment(Self.series(name), out, ["--output-type", "both"], dir: dir)
      #expect(r.status == 0, "\(r.stderr)")
      let seg = dir.appendingPathComponent("\(name).seg.dcm")
      #expect(r.stdout.contains(seg.path))
      try checkAgainstMap(seg: seg, map: out, source: Self.series(name))
      if DICOMValidator.dciodvfyAvailable {
        let check = try DICOMValidator.dciodvfy(seg)
        #expect(check.status == 0 && check.problems.isEmpty, "dciodvfy: \(check.output)")
      } else {
        #expect(!DICOMValidator.dciodvfyRequired, "dciodvfy is required but not installed")
      }
    }
  }

  @Test("--dicom-compress deflate: the same SEG deflated (Deflated Explicit VR LE), same map; without a SEG output it is a usage error")
  func deflate() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let plain = dir.appendingPathComponent("plain.nii.gz"), small = dir.appendingPathComponent("small.nii.gz")
    #expect(try segment(Self.series("sagittal"), plain, ["--output-type", "both"], dir: dir).status == 0)
    let r = try segment(Self.series("sagittal"), small, ["--output-type", "both", "--dicom-compress", "deflate"], dir: dir)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try Data(contentsOf: plain) == Data(contentsOf: small))
    let a = [UInt8](try Data(contentsOf: dir.appendingPathComponent("plain.seg.dcm")))
    let b = [UInt8](try Data(contentsOf: dir.appendingPathComponent("small.seg.dcm")))
    #expect(String(decoding: b[128..<132], as: UTF8.self) == "DICM")
    #expect(String(decoding: b[132..<min(b.count, 400)], as: UTF8.self).contains("1.2.840.10008.1.2.1.99"))
    #expect(b.count < a.count, "\(b.count) vs \(a.count)")
    let refused = try segment(Self.series("sagittal"), dir.appendingPathComponent("n.nii.gz"), ["--dicom-compress", "deflate"], dir: dir)
    #expect(refused.status == 64 && refused.stderr.contains("--output-type"), "\(refused.stderr)")
  }

  @Test("laterality: kidney_left and kidney_right differ only by the modifier; segment labels follow the label ids")
  func laterality() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("seg.nii.gz")
    let r = try segment(Self.series("coronal"), out, ["--output-type", "dicom-seg"], dir: dir)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out.path), "dicom-seg alone writes no NIfTI map")
    #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("seg.json").path))
    let (_, ds) = try DICOMDataset.parse(
      part10: [UInt8](try Data(contentsOf: dir.appendingPathComponent("seg.seg.dcm"))), path: "seg")
    let items = ds.items(.segmentSequence)!
    let labels = items.map { $0.string(.segmentLabel)! }
    #expect(labels.prefix(5) == ["spleen", "kidney_right", "kidney_left", "gallbladder", "liver"])
    #expect(labels[19] == "urinary_bladder" && labels[70] == "bone_other" && !labels.contains("unused"))
    func strip(_ item: DICOMDataset) -> DICOMDataset {
      var copy = item
      // Number, label, description and display colour are per segment by design; the codes
      // (category, type) must be equal, the modifier aside.
      for tag in [DICOMTag.segmentNumber, .segmentLabel, .segmentDescription, .recommendedDisplayCIELabValue] {
        copy[tag] = nil
      }
      var type = copy.items(.segmentedPropertyTypeCodeSequence)![0]
      type[.segmentedPropertyTypeModifierCodeSequence] = nil
      copy.set(.segmentedPropertyTypeCodeSequence, items: [type])
      return copy
    }
    let right = items[1]
    let left = items[2]
    #expect(strip(right) == strip(left))
    let modifier = { (item: DICOMDataset) in
      item.items(.segmentedPropertyTypeCodeSequence)![0].items(.segmentedPropertyTypeModifierCodeSequence)![0].string(
        .codeValue)
    }
    #expect(modifier(left) == "7771000" && modifier(right) == "24028007")
    #expect(left.items(.segmentedPropertyTypeCodeSequence)![0].string(.codeValue) == "64033007")
    #expect(items.allSatisfy { $0.unsignedShorts(.recommendedDisplayCIELabValue)?.count == 3 })
  }

  @Test("NIfTI input with --output-type dicom-seg or both is a usage error (64), nothing written")
  func niftiInput() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    for type in ["dicom-seg", "both"] {
      let r = try segment(
        SegmentCommandTests.image, dir.appendingPathComponent("seg.nii.gz"), ["--output-type", type], dir: dir)
      #expect(r.status == 64, "\(r.stderr)")
      #expect(r.stderr.contains("needs DICOM input"))
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("seg") }.isEmpty)
    // A missing input stays 66 (missing input), not a usage error.
    let missing = try segment(
      dir.appendingPathComponent("absent"), dir.appendingPathComponent("m.nii.gz"), ["--output-type", "both"], dir: dir)
    #expect(missing.status == 66, "\(missing.stderr)")
  }

  @Test("a multi-frame (enhanced) source with --output-type both is a usage error (64) naming the file; nothing written")
  func multiFrameSource() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let source = Fixtures.committed("dicom/volume/cases/enhanced_native")
    let r = try segment(source, dir.appendingPathComponent("seg.nii.gz"), ["--output-type", "both"], dir: dir)
    #expect(r.status == 64, "\(r.stderr)")
    #expect(r.stderr.contains("enhanced_native/0001.dcm") && r.stderr.contains("multi-frame"), "\(r.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("seg") }.isEmpty)
  }

  @Test("an existing SEG is kept without --overwrite (73) and nothing else is written")
  func existingSEG() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let seg = dir.appendingPathComponent("seg.seg.dcm")
    try Data("old".utf8).write(to: seg)
    let out = dir.appendingPathComponent("seg.nii.gz")
    let r = try segment(Self.series("axial_pr_pc"), out, ["--output-type", "both"], dir: dir)
    #expect(r.status == 73, "\(r.stderr)")
    #expect(try Data(contentsOf: seg) == Data("old".utf8))
    #expect(!FileManager.default.fileExists(atPath: out.path))
  }

  @Test(
    "combine --output-type both: the SEG references the water series and equals the combined map there; NIfTI water is 64"
  )
  func combine() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("combined.nii.gz")
    let water = Self.series("axial_pr_pc")
    let r = try VibeSegBinary.run(
      [
        "combine", "--water", water.path, "--in-phase", water.path, "-o", out.path, "--output-type", "both",
        "--model", SegmentCommandTests.main.path, "--roi-model", SegmentCommandTests.roi.path,
      ],
      environment: SegmentCommandTests.isolated(dir))
    #expect(r.status == 0, "\(r.stderr)")
    let seg = dir.appendingPathComponent("combined.seg.dcm")
    try checkAgainstMap(seg: seg, map: out, source: water)
    let (_, ds) = try DICOMDataset.parse(part10: [UInt8](try Data(contentsOf: seg)), path: "seg")
    let index = try DICOMIndex(scanning: water)
    #expect(
      ds.items(.referencedSeriesSequence)?.first?.string(.seriesInstanceUID) == index.groups[0].key.seriesInstanceUID)
    let nifti = try VibeSegBinary.run(
      [
        "combine", "--water", SegmentCommandTests.image.path, "-o", dir.appendingPathComponent("n.nii.gz").path,
        "--output-type",
        "dicom-seg", "--model", SegmentCommandTests.main.path,
      ], environment: SegmentCommandTests.isolated(dir))
    #expect(nifti.status == 64 && nifti.stderr.contains("needs DICOM input"), "\(nifti.stderr)")
  }

  @Test("a UK-Biobank-like zip, one station chosen with --series: the SEG references that series and equals the map")
  func ukbbZip() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("visit.nii.gz")
    let r = try segment(
      Fixtures.committed("dicom/ukbb.zip"), out, ["--series", "4", "--output-type", "both"], dir: dir)
    #expect(r.status == 0, "\(r.stderr)")
    let seg = dir.appendingPathComponent("visit.seg.dcm")
    // The unzipped copy of the same visit holds the same instances.
    try checkAgainstMap(seg: seg, map: out, source: Fixtures.committed("dicom/ukbb"))
    let (_, ds) = try DICOMDataset.parse(part10: [UInt8](try Data(contentsOf: seg)), path: "seg")
    let index = try DICOMIndex(scanning: Fixtures.committed("dicom/ukbb"))
    let series4 = index.groups.first { $0.seriesNumber == 4 }
    #expect(ds.items(.referencedSeriesSequence)?.first?.string(.seriesInstanceUID) == series4?.key.seriesInstanceUID)
  }

  @Test(
    "batch --task segment --output-type both: <id>.seg.dcm beside each DICOM case's map, equal to it; dicom-seg alone is 64"
  )
  func batch() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cohort = dir.appendingPathComponent("cohort")
    try FileManager.default.createDirectory(at: cohort, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: Fixtures.committed("dicom/ukbb.zip"), to: cohort.appendingPathComponent("1000001_20201_2_0.zip"))
    let out = dir.appendingPathComponent("out")
    let model = ["--model", SegmentCommandTests.main.path, "--roi-model", SegmentCommandTests.roi.path]
    let r = try VibeSegBinary.run(
      ["batch", cohort.path, "-o", out.path, "--task", "segment", "--series", "4", "--output-type", "both"] + model,
      environment: SegmentCommandTests.isolated(dir))
    #expect(r.status == 0, "\(r.stderr)")
    let seg = out.appendingPathComponent("1000001_20201_2_0.seg.dcm")
    try checkAgainstMap(
      seg: seg, map: out.appendingPathComponent("1000001_20201_2_0.nii.gz"), source: Fixtures.committed("dicom/ukbb"))
    let refused = try VibeSegBinary.run(
      [
        "batch", cohort.path, "-o", dir.appendingPathComponent("x").path, "--task", "segment", "--output-type",
        "dicom-seg",
      ] + model)
    #expect(refused.status == 64 && refused.stderr.contains("--output-type both"), "\(refused.stderr)")
  }

  @Test(
    "batch --contrast water --output-type both on a UK-Biobank-like zip: its stations differ in Rows (as UK Biobank's do), so one <id>.seg.dcm cannot hold them: the case fails naming why"
  )
  func batchStitched() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cohort = dir.appendingPathComponent("cohort")
    try FileManager.default.createDirectory(at: cohort, withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: Fixtures.committed("dicom/ukbb.zip"), to: cohort.appendingPathComponent("v1.zip"))
    let out = dir.appendingPathComponent("out")
    let r = try VibeSegBinary.run(
      [
        "batch", cohort.path, "-o", out.path, "--task", "segment", "--contrast", "water", "--output-type", "both",
        "--model", SegmentCommandTests.main.path, "--roi-model", SegmentCommandTests.roi.path,
      ], environment: SegmentCommandTests.isolated(dir))
    #expect(r.status != 0)
    #expect(r.stderr.contains("differs from series") && r.stderr.contains("Rows") && r.stderr.contains("one SEG per station"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("v1.seg.dcm").path))
    #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("v1.nii.gz").path))
  }

  @Test("batch --task combine --output-type both: <id>.seg.dcm references the water series and equals the combined map")
  func batchCombine() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let water = Self.series("coronal")
    let list = dir.appendingPathComponent("cases.csv")
    try Data("id,water,in_phase\nsub-01,\(water.path),\(water.path)\n".utf8).write(to: list)
    let out = dir.appendingPathComponent("out")
    let r = try VibeSegBinary.run(
      [
        "batch", list.path, "-o", out.path, "--task", "combine", "--output-type", "both", "--model",
        SegmentCommandTests.main.path,
        "--roi-model", SegmentCommandTests.roi.path,
      ], environment: SegmentCommandTests.isolated(dir))
    #expect(r.status == 0, "\(r.stderr)")
    try checkAgainstMap(
      seg: out.appendingPathComponent("sub-01.seg.dcm"), map: out.appendingPathComponent("sub-01.nii.gz"), source: water
    )
  }

  @Test(
    "stitched stations (--contrast water on a UK-Biobank-like zip): one SEG per station series, each on its own grid")
  func stitchedStations() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("wb.nii.gz")
    let r = try segment(
      Fixtures.committed("dicom/ukbb.zip"), out, ["--contrast", "water", "--output-type", "both"], dir: dir)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("is not on the series' grid"), "the stitched map is resampled onto each station")
    let index = try DICOMIndex(scanning: Fixtures.committed("dicom/ukbb"))
    let water = index.groups.filter { $0.contrast.contrast == .water }
    #expect(water.count == 6)
    for group in water {
      let seg = dir.appendingPathComponent("wb_series-\(group.seriesNumber!).seg.dcm")
      try checkAgainstMap(seg: seg, map: out, source: Fixtures.committed("dicom/ukbb"), exact: false)
      let (_, ds) = try DICOMDataset.parse(part10: [UInt8](try Data(contentsOf: seg)), path: seg.path)
      #expect(ds.items(.referencedSeriesSequence)?.first?.string(.seriesInstanceUID) == group.key.seriesInstanceUID)
      #expect(ds.string(.contentDescription)?.contains("resampled") == true)
    }
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("wb.seg.dcm").path))
  }
}
