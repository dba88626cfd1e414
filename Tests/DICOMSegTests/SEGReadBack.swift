import DICOMCore
import DICOMInput
import DICOMSeg
import Foundation
import _TestSupport

/// A SEG read back with DICOMCore's tree reader: per frame its segment, source SOP instance, IPP
/// and pixels, and the shared geometry. Independent of the writer's own structures.
struct SEGReadBack {
  struct Frame {
    var segment: Int
    var sourceSOP: String
    var spatialLocationsPreserved: String?
    var position: [Double]
    var pixels: [UInt8]
  }

  var dataset: DICOMDataset
  var rows: Int
  var columns: Int
  var orientation: [Double]
  var pixelSpacing: [Double]
  var frames: [Frame]
  /// Segment number -> (label, type code, modifier code).
  var segments: [Int: (label: String, type: String, modifier: String?)]

  init(bytes: [UInt8]) throws {
    let (_, ds) = try DICOMDataset.parse(part10: bytes, path: "seg")
    dataset = ds
    rows = ds.unsignedShorts(.rows)![0]
    columns = ds.unsignedShorts(.columns)![0]
    let shared = ds.items(.sharedFunctionalGroupsSequence)![0]
    orientation = shared.items(.planeOrientationSequence)![0].decimals(.imageOrientationPatient)!
    pixelSpacing = shared.items(.pixelMeasuresSequence)![0].decimals(.pixelSpacing)!
    let count = Int(ds.string(.numberOfFrames)!)!
    let data = ds.bytes(.pixelData)!
    let perFrame = ds.items(.perFrameFunctionalGroupsSequence)!
    precondition(perFrame.count == count)
    frames = perFrame.enumerated().map { n, item in
      let source = item.items(.derivationImageSequence)![0].items(.sourceImageSequence)![0]
      return Frame(
        segment: item.items(.segmentIdentificationSequence)![0].unsignedShorts(.referencedSegmentNumber)![0],
        sourceSOP: source.string(.referencedSOPInstanceUID)!,
        spatialLocationsPreserved: source.string(.spatialLocationsPreserved),
        position: item.items(.planePositionSequence)![0].decimals(.imagePositionPatient)!,
        pixels: BitPacker.unpack(
          data, frame: n, pixelsPerFrame: ds.unsignedShorts(.rows)![0] * ds.unsignedShorts(.columns)![0])!)
    }
    var segments: [Int: (String, String, String?)] = [:]
    for item in ds.items(.segmentSequence)! {
      let type = item.items(.segmentedPropertyTypeCodeSequence)![0]
      segments[item.unsignedShorts(.segmentNumber)![0]] = (
        item.string(.segmentLabel)!, type.string(.codeValue)!,
        type.items(.segmentedPropertyTypeModifierCodeSequence)?.first?.string(.codeValue)
      )
    }
    self.segments = segments
  }

  /// The LPS centre of pixel (row i, column j) of a frame: IPP + j·Δcol·r + i·Δrow·c.
  func world(_ frame: Frame, row i: Int, column j: Int) -> [Double] {
    (0..<3).map { a in
      frame.position[a] + Double(j) * pixelSpacing[1] * orientation[a] + Double(i) * pixelSpacing[0]
        * orientation[3 + a]
    }
  }
}

/// One committed series: its index group, volume geometry and headers.
struct FixtureSeries {
  var group: SeriesGroup
  var volume: DICOMVolume
  var headers: [DICOMHeader]

  init(_ relativePath: String) throws {
    let index = try DICOMIndex(scanning: Fixtures.committed(relativePath))
    precondition(index.verdict == .accepted && index.groups.count == 1, "\(relativePath): \(index.problems)")
    group = index.groups[0]
    volume = try DICOMVolume(group: group)
    headers = try group.files.map { try DICOMHeader(contentsOf: URL(fileURLWithPath: $0.path)) }
  }

  /// RAS centre of voxel (i, j, k) by the volume's affine, as LPS.
  func voxelLPS(_ i: Int, _ j: Int, _ k: Int) -> [Double] {
    let a = volume.affine
    let ras = (0..<3).map { r in a[r][0] * Double(i) + a[r][1] * Double(j) + a[r][2] * Double(k) + a[r][3] }
    return [-ras[0], -ras[1], ras[2]]
  }
}

/// A label as a function of world position only (LPS mm, rounded to 0.1 mm so that float noise
/// between two ways of computing one point cannot change it): 0...5, with 0 (background) common.
func worldLabel(_ lps: [Double]) -> UInt8 {
  let q = lps.map { Int(($0 * 10).rounded()) }
  let h = (q[0] &* 73_856_093) ^ (q[1] &* 19_349_663) ^ (q[2] &* 83_492_791)
  let v = ((h % 11) + 11) % 11
  return v <= 5 ? UInt8(v) : 0
}
