import DICOMCore
import DICOMInput
import DICOMSeg
import Foundation
import Testing
import _TestSupport

/// One SEG for the stations of a stitched contrast (`batch`, issue 19): the four NAKO-like water
/// stations as one source, every frame on its own station's slice, every station series
/// referenced; stations that a single SEG cannot hold (other Rows, another frame of reference)
/// are refused naming what differs.
@Suite("DICOM-SEG of several station series")
struct CombinedSourceTests {
  static func waterStations() throws -> [SegmentationSource] {
    let index = try DICOMIndex(scanning: Fixtures.committed("dicom/nako"))
    let groups = index.groups.filter { $0.contrast.contrast == .water }.sorted { ($0.station ?? 0) < ($1.station ?? 0) }
    #expect(groups.count == 4)
    return try groups.map { g in
      try SegmentationSource(headers: g.files.map { try DICOMHeader(contentsOf: URL(fileURLWithPath: $0.path)) })
    }
  }

  @Test("four stations, one frame of reference: 12 slices along the normal, 4 referenced series, frames on each station's slices; dciodvfy clean")
  func combined() throws {
    var stations = try Self.waterStations()
    // The synthetic fixture draws a frame of reference per file and has no StudyID (dciodvfy
    // warns); a real exam shares one frame of reference and has an id.
    for k in stations.indices {
      stations[k].copied.set(.frameOfReferenceUID, "UI", text: "2.25.4242")
      stations[k].copied.set(.studyID, "SH", text: "1")
    }
    let source = try SegmentationSource(combining: stations)
    #expect(source.slices.count == 12 && source.seriesInstanceUIDs == stations.map(\.seriesInstanceUID))
    let normal = [0.0, 0, 1]  // axial stations: positions ascend along z
    let z = source.slices.map { zip($0.position, normal).map(*).reduce(0, +) }
    #expect(z == z.sorted())
    // A map in world space: label 2 below z = -9 mm (LPS z = RAS z), label 1 above.
    let shape = [40, 40, 40]
    let affine: [[Double]] = [[1, 0, 0, -20], [0, 1, 0, -20], [0, 0, 1, -30], [0, 0, 0, 1]]
    var voxels = [UInt8](repeating: 1, count: shape.reduce(1, *))
    for k in 0..<21 { for j in 0..<40 { for i in 0..<40 { voxels[i + 40 * (j + 40 * k)] = 2 } } }
    let map = SegmentationLabelMap(shape: shape, affine: affine, voxels: voxels)
    let sampled = try SampledLabels(map: map, source: source)
    #expect(sampled.outsidePixels == 0)
    let segments = (1...2).map { n in
      SegmentDefinition(
        number: n, labelValue: n, label: "label\(n)", category: .anatomicalStructure, type: CodedConcept("\(1000 + n)", "SCT", "thing \(n)"))
    }
    var options = SegmentationWriter.Options()
    options.uids = .deterministic("stations")
    let result = try SegmentationWriter.write(sampled, source: source, segments: segments, options: options)
    let seg = try SEGReadBack(bytes: result.bytes)
    let referenced = seg.dataset.items(.referencedSeriesSequence) ?? []
    #expect(referenced.map { $0.string(.seriesInstanceUID)! } == stations.map(\.seriesInstanceUID))
    #expect(referenced.map { $0.items(.referencedInstanceSequence)?.count ?? 0 } == [3, 3, 3, 3])
    // One frame per slice: label 1 above -9 mm, label 2 below; each frame at its slice's IPP.
    let slices = Dictionary(uniqueKeysWithValues: source.slices.map { ($0.sopInstanceUID, $0) })
    #expect(seg.frames.count == 12)
    #expect(seg.frames.filter { $0.segment == 2 }.count == source.slices.filter { $0.position[2] < -9 }.count)
    #expect(seg.frames.filter { $0.segment == 2 }.count == 8)
    for frame in seg.frames {
      let slice = try #require(slices[frame.sourceSOP])
      #expect(frame.position == slice.position)
      #expect(frame.pixels.allSatisfy { $0 == 1 })
    }
    if DICOMValidator.dciodvfyAvailable {
      let file = try Fixtures.temporaryDirectory().appendingPathComponent("stations.seg.dcm")
      try Data(result.bytes).write(to: file)
      let check = try DICOMValidator.dciodvfy(file)
      #expect(check.status == 0 && check.problems.isEmpty, "dciodvfy: \(check.problems)")
    } else {
      #expect(!DICOMValidator.dciodvfyRequired, "dciodvfy is required but not installed")
    }
  }

  @Test("stations with other Rows or another frame of reference: refused, naming what differs")
  func refused() throws {
    let stations = try Self.waterStations()
    let error = try #require(throws: DICOMError.self) { try SegmentationSource(combining: stations) }
    #expect(error.message.contains("FrameOfReferenceUID") && error.message.contains("one SEG per station"))
    var taller = stations
    for k in taller.indices { taller[k].copied.set(.frameOfReferenceUID, "UI", text: "2.25.4242") }
    taller[2].rows = 12
    let rows = try #require(throws: DICOMError.self) { try SegmentationSource(combining: taller) }
    #expect(rows.message.contains("Rows") && !rows.message.contains("FrameOfReferenceUID"))
  }
}
