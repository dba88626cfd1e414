import DICOMCore
import DICOMInput
import DICOMSeg
import Foundation
import Testing
import _TestSupport

/// Frames on the source grid: a label map defined in world space, stacked on the dcm2niix-like
/// grid `DICOMVolume` makes of each committed series, written as a SEG and read back: every pixel
/// of every frame, placed in the world by the SEG's own IPP/IOP/PixelSpacing, carries the label
/// of that world point; the eight orientations of one scan give the same world-space labels.
@Suite("DICOM-SEG geometry round trip")
struct GeometryRoundTripTests {
  static let orientations = [
    "axial_pr_pc", "axial_nr_pc", "axial_pr_nc", "axial_nr_nc", "axial_swap", "coronal", "coronal_nr", "sagittal",
  ]
  static let segments = (1...5).map { n in
    SegmentDefinition(
      number: n, labelValue: n, label: "label\(n)", category: .anatomicalStructure,
      type: CodedConcept("\(1000 + n)", "SCT", "thing \(n)"))
  }

  /// The world-defined label map on the series' own NIfTI grid.
  static func labelMap(_ series: FixtureSeries) -> SegmentationLabelMap {
    let s = series.volume.shape
    var voxels = [UInt8](repeating: 0, count: s[0] * s[1] * s[2])
    for k in 0..<s[2] {
      for j in 0..<s[1] {
        for i in 0..<s[0] { voxels[i + s[0] * (j + s[1] * k)] = worldLabel(series.voxelLPS(i, j, k)) }
      }
    }
    return SegmentationLabelMap(shape: s, affine: series.volume.affine, voxels: voxels)
  }

  static func options() -> SegmentationWriter.Options {
    var options = SegmentationWriter.Options()
    options.uids = .deterministic("geometry")
    options.date = Date(timeIntervalSince1970: 1_600_000_000)
    return options
  }

  /// Writes the SEG of `path` and checks it pixel by pixel; returns the world points (0.1 mm
  /// grid) of each segment.
  static func check(_ path: String) throws -> [Int: Set<[Int]>] {
    let series = try FixtureSeries(path)
    let source = try SegmentationSource(headers: series.headers)
    let sampled = try SampledLabels(map: labelMap(series), source: source)
    #expect(sampled.resampledPixels == 0 && sampled.outsidePixels == 0, "\(path): on its own grid every pixel is exact")
    let result = try SegmentationWriter.write(sampled, source: source, segments: segments, options: options())
    let seg = try SEGReadBack(bytes: result.bytes)
    #expect(seg.rows == series.group.key.rows && seg.columns == series.group.key.columns)
    #expect(
      zip(seg.orientation, series.group.first.imageOrientation).allSatisfy { abs($0 - $1) < 1e-9 },
      "\(path): source IOP")
    let positions = Dictionary(uniqueKeysWithValues: series.group.files.map { ($0.sopInstanceUID, $0.imagePosition) })
    var expectedFrames = Set<[Int]>()  // (segment, slice) pairs that must have a frame
    for (k, file) in series.group.files.enumerated() {
      for i in 0..<file.rows {
        for j in 0..<file.columns {
          let x = (0..<3).map { a in
            file.imagePosition[a] + Double(j) * file.pixelSpacing[1] * file.imageOrientation[a] + Double(i)
              * file.pixelSpacing[0]
              * file.imageOrientation[3 + a]
          }
          let v = worldLabel(x)
          if v != 0 { expectedFrames.insert([Int(v), k]) }
        }
      }
    }
    var world: [Int: Set<[Int]>] = [:]
    var seen = Set<[Int]>()
    for frame in seg.frames {
      #expect(frame.spatialLocationsPreserved == "YES")
      let sourcePosition = try #require(positions[frame.sourceSOP], "\(path): frame references an unknown instance")
      #expect(
        zip(frame.position, sourcePosition).allSatisfy { abs($0 - $1) < 1e-9 }, "\(path): frame IPP is the source's")
      let k = series.group.files.firstIndex { $0.sopInstanceUID == frame.sourceSOP }!
      #expect(seen.insert([frame.segment, k]).inserted, "\(path): one frame per segment and slice")
      var mismatches = 0
      for i in 0..<seg.rows {
        for j in 0..<seg.columns {
          let x = seg.world(frame, row: i, column: j)
          let inSegment = worldLabel(x) == UInt8(frame.segment)
          if inSegment != (frame.pixels[i * seg.columns + j] == 1) { mismatches += 1 }
          if inSegment { world[frame.segment, default: []].insert(x.map { Int(($0 * 10).rounded()) }) }
        }
      }
      #expect(mismatches == 0, "\(path): segment \(frame.segment) slice \(k): \(mismatches) pixels differ")
    }
    #expect(seen == expectedFrames, "\(path): frames exactly where a segment is present (empty frames omitted)")
    return world
  }

  @Test("eight orientations of one scan: every SEG pixel carries its world point's label; same world labels in all")
  func orientationsAgree() throws {
    var reference: [Int: Set<[Int]>]? = nil
    for name in Self.orientations {
      let world = try Self.check("dicom_seg/orientations/\(name)")
      #expect(world.values.map(\.count).reduce(0, +) > 100, "\(name): the map has labels")
      if let reference {
        #expect(world == reference, "\(name): world-space labels differ from axial_pr_pc")
      } else {
        reference = world
      }
    }
  }

  @Test("an oblique series with non-square pixels (dicom/volume/series)")
  func oblique() throws {
    _ = try Self.check("dicom/volume/series")
  }

  @Test("a map on a flipped, permuted grid of the same points is still exact; a shifted grid is flagged resampled")
  func otherGrids() throws {
    let series = try FixtureSeries("dicom_seg/orientations/axial_nr_nc")
    let source = try SegmentationSource(headers: series.headers)
    let map = Self.labelMap(series)
    let direct = try SampledLabels(map: map, source: source)
    // Reverse axis 0 and swap axes 0 and 1: voxel (i, j, k) of the new map is (j', i', k) of the old.
    let (nx, ny, nz) = (map.shape[0], map.shape[1], map.shape[2])
    var voxels = [UInt8](repeating: 0, count: map.voxels.count)
    for k in 0..<nz {
      for a in 0..<ny {
        for b in 0..<nx {
          voxels[a + ny * (b + nx * k)] = map.voxels[(nx - 1 - b) + nx * (a + ny * k)]
        }
      }
    }
    // New index (a, b, k) = old (nx-1-b, a, k): old i = nx-1-b, old j = a.
    let m = map.affine
    var affine: [[Double]] = [[0, 0, 0, 1]]
    for r in (0..<3).reversed() {
      let shift: Double = m[r][3] + m[r][0] * Double(nx - 1)
      let row: [Double] = [m[r][1], -m[r][0], m[r][2], shift]
      affine.insert(row, at: 0)
    }
    let permuted = try SampledLabels(
      map: SegmentationLabelMap(shape: [ny, nx, nz], affine: affine, voxels: voxels), source: source)
    #expect(permuted.resampledPixels == 0)
    #expect(permuted.frames == direct.frames)
    // Half a voxel along axis 0: every pixel falls between two voxels.
    var shiftedAffine = map.affine
    for r in 0..<3 { shiftedAffine[r][3] += 0.5 * map.affine[r][0] }
    let shifted = try SampledLabels(
      map: SegmentationLabelMap(shape: map.shape, affine: shiftedAffine, voxels: map.voxels), source: source)
    #expect(shifted.resampledPixels == source.rows * source.columns * source.slices.count)
    #expect(shifted.isResampled)
    // A singular affine is refused, not a crash.
    var flat = map.affine
    flat[2] = [0, 0, 0, flat[2][3]]
    #expect(throws: DICOMError.self) {
      try SampledLabels(map: SegmentationLabelMap(shape: map.shape, affine: flat, voxels: map.voxels), source: source)
    }
  }

  @Test("patient and study attributes are copied from the source; SEG-level attributes are set")
  func attributes() throws {
    let series = try FixtureSeries("dicom_seg/orientations/coronal")
    let source = try SegmentationSource(headers: series.headers)
    let result = try SegmentationWriter.write(
      try SampledLabels(map: Self.labelMap(series), source: source), source: source, segments: Self.segments,
      options: Self.options())
    let seg = try SEGReadBack(bytes: result.bytes)
    let first = series.headers[0]
    for tag in [
      DICOMTag.patientName, .patientID, .patientBirthDate, .patientSex, .studyInstanceUID, .studyDate, .studyTime,
      .accessionNumber, .studyID, .studyDescription, .frameOfReferenceUID,
    ] {
      #expect(seg.dataset.string(tag) == first.string(tag), "\(tag.label)")
    }
    #expect(seg.dataset.string(.modality) == "SEG" && seg.dataset.string(.segmentationType) == "BINARY")
    #expect(seg.dataset.string(.sopClassUID) == "1.2.840.10008.5.1.4.1.1.66.4")
    #expect(seg.dataset.string(.sopInstanceUID) == result.sopInstanceUID && result.sopInstanceUID.hasPrefix("2.25."))
    #expect(seg.dataset.string(.seriesInstanceUID) != first.string(.seriesInstanceUID))
    let referenced = try #require(seg.dataset.items(.referencedSeriesSequence)?.first)
    #expect(referenced.string(.seriesInstanceUID) == first.string(.seriesInstanceUID))
    #expect(
      Set(referenced.items(.referencedInstanceSequence)!.map { $0.string(.referencedSOPInstanceUID)! })
        == Set(series.group.files.map(\.sopInstanceUID)))
    #expect(Set(seg.segments.keys) == Set(1...5))
    // Deterministic: the same inputs and seed give the same bytes.
    let again = try SegmentationWriter.write(
      try SampledLabels(map: Self.labelMap(series), source: source), source: source, segments: Self.segments,
      options: Self.options())
    #expect(again.bytes == result.bytes)
  }

  @Test("a map without labels gives one empty frame (a SEG needs a frame), still valid")
  func emptyMap() throws {
    let series = try FixtureSeries("dicom_seg/orientations/axial_pr_pc")
    let source = try SegmentationSource(headers: series.headers)
    let s = series.volume.shape
    let empty = SegmentationLabelMap(
      shape: s, affine: series.volume.affine, voxels: [UInt8](repeating: 0, count: s[0] * s[1] * s[2]))
    let result = try SegmentationWriter.write(
      try SampledLabels(map: empty, source: source), source: source, segments: Self.segments, options: Self.options())
    let seg = try SEGReadBack(bytes: result.bytes)
    #expect(seg.frames.count == 1 && seg.frames[0].segment == 1 && seg.frames[0].pixels.allSatisfy { $0 == 0 })
    #expect(result.framesPerSegment.isEmpty)
  }

  @Test("an implicit VR source: copied attributes get their dictionary VRs; the SEG is still explicit VR and valid")
  func implicitSource() throws {
    let series = try FixtureSeries("dicom/cases/implicit_vr")
    #expect(series.headers[0].transferSyntax == .implicitVRLittleEndian)
    let source = try SegmentationSource(headers: series.headers)
    #expect(source.copied[.patientName]?.vr == "PN" && source.copied[.studyInstanceUID]?.vr == "UI")
    let result = try SegmentationWriter.write(
      try SampledLabels(map: Self.labelMap(series), source: source), source: source, segments: Self.segments,
      options: Self.options())
    let seg = try SEGReadBack(bytes: result.bytes)
    #expect(seg.dataset.string(.patientID) == series.headers[0].string(.patientID))
    if DICOMValidator.dciodvfyAvailable {
      let dir = try Fixtures.temporaryDirectory()
      defer { try? FileManager.default.removeItem(at: dir) }
      let file = dir.appendingPathComponent("implicit.seg.dcm")
      try Data(result.bytes).write(to: file)
      let check = try DICOMValidator.dciodvfy(file)
      #expect(
        check.status == 0 && check.output.split(separator: "\n").allSatisfy { !$0.hasPrefix("Error") },
        "\(check.output)")
    }
  }

  @Test("a source without FrameOfReferenceUID is refused, naming the file and the attribute")
  func missingFrameOfReference() throws {
    var ds = DICOMDataset()
    ds.set(.sopClassUID, "UI", text: "1.2.840.10008.5.1.4.1.1.4")
    ds.set(.sopInstanceUID, "UI", text: "2.25.7")
    ds.set(.studyInstanceUID, "UI", text: "2.25.1")
    ds.set(.seriesInstanceUID, "UI", text: "2.25.2")
    ds.set(.imagePositionPatient, decimals: [0, 0, 0])
    ds.set(.imageOrientationPatient, decimals: [1, 0, 0, 0, 1, 0])
    ds.set(.pixelSpacing, decimals: [1, 1])
    ds.set(.rows, unsignedShorts: [2])
    ds.set(.columns, unsignedShorts: [2])
    let header = try DICOMHeader(bytes: try DICOMEncoder.part10(meta: DICOMDataset(), dataset: ds), path: "slice.dcm")
    #expect {
      try SegmentationSource(headers: [header])
    } throws: { error in
      let e = error as? DICOMError
      return e?.code == .invalidValue && e?.path == "slice.dcm" && e?.tag?.contains("(0020,0052)") == true
    }
  }

  @Test("dciodvfy (dicom3tools) reports no error or warning, when installed (required in CI)")
  func dciodvfy() throws {
    guard DICOMValidator.dciodvfyAvailable else {
      #expect(!DICOMValidator.dciodvfyRequired, "dciodvfy is required (VIBESEG_REQUIRE_DCIODVFY=1) but not installed")
      return
    }
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    for name in ["axial_nr_nc", "sagittal"] {
      let series = try FixtureSeries("dicom_seg/orientations/\(name)")
      let source = try SegmentationSource(headers: series.headers)
      let result = try SegmentationWriter.write(
        try SampledLabels(map: Self.labelMap(series), source: source), source: source, segments: Self.segments,
        options: Self.options())
      let file = dir.appendingPathComponent("\(name).seg.dcm")
      try Data(result.bytes).write(to: file)
      let check = try DICOMValidator.dciodvfy(file)
      #expect(
        check.status == 0 && check.problems.isEmpty && check.output.contains("Segmentation"), "\(name): \(check.output)"
      )
    }
  }
}
