import DICOMCore
import Foundation

/// A BINARY DICOM Segmentation (SOP class 1.2.840.10008.5.1.4.1.1.66.4, PS3.3 A.51) of one source
/// series, explicit VR little endian, with its frames on the source's own grid (dicom.md 3.3):
/// the source's ImageOrientationPatient and PixelSpacing (shared functional groups), each frame's
/// ImagePositionPatient that of its source slice, Rows/Columns the source's, and per frame a
/// Derivation Image item naming the source slice with SpatialLocationsPreserved `YES`.
///
/// ```swift
/// let source = try SegmentationSource(headers: headers)               // one series
/// let sampled = try SampledLabels(map: labelMap, source: source)       // labels per source pixel
/// let seg = try SegmentationWriter.write(sampled, source: source, segments: table, options: options)
/// try outputs.write(seg.bytes, to: url)
/// ```
///
/// Frames: for each segment in SegmentNumber order, each slice (ascending along the normal) where
/// the segment has at least one pixel; empty frames are omitted (a map with no label at all gets
/// one empty frame of segment 1 on slice 1, since a SEG needs a frame). DimensionIndexValues are
/// (SegmentNumber, slice index 1...N). Every segment of `segments` is listed in SegmentSequence
/// even without a frame, so segment numbers do not depend on what a subject's map holds.
public enum SegmentationWriter {
  public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.66.4"
  /// Deflated Explicit VR Little Endian.
  public static let deflatedTransferSyntaxUID = "1.2.840.10008.1.2.1.99"

  public struct Options: Sendable {
    public var seriesNumber = 900
    public var seriesDescription = "VibeSeg segmentation"
    /// SoftwareVersions (0018,1020), e.g. `vibeseg 0.1.0`.
    public var softwareVersion = "vibeseg"
    /// SegmentAlgorithmName (0062,0009), e.g. `VibeSeg model 100`.
    public var algorithmName = "VibeSeg"
    /// ContentDescription (0070,0081).
    public var contentDescription = ""
    /// ContentDate/ContentTime, written in UTC.
    public var date = Date()
    public var uids = SegmentationUIDSource.random
    /// Deflated Explicit VR Little Endian (`1.2.840.10008.1.2.1.99`, `--dicom-compress deflate`):
    /// everything after the meta group raw-deflated (libdeflate level 6); a SEG's packed bits
    /// shrink by one to two orders of magnitude (dicom.md 3.2). Debian's dciodvfy cannot parse it.
    public var deflate = false

    public init() {}
  }

  public struct Result: Sendable {
    public var bytes: [UInt8]
    public var sopInstanceUID: String
    public var seriesInstanceUID: String
    public var frameCount: Int
    /// Frames per segment number (segments without frames absent).
    public var framesPerSegment: [Int: Int]
    /// Label values found on the source grid that no segment lists (not written).
    public var unlistedLabels: [Int]
  }

  /// Builds the file. - Throws: `DICOMError.invalidValue` for segments that are not numbered
  /// 1...n or repeat a label value, or labels not sampled on `source`'s grid.
  public static func write(
    _ labels: SampledLabels, source: SegmentationSource, segments: [SegmentDefinition], options: Options
  ) throws -> Result {
    let segments = segments.sorted { $0.number < $1.number }
    guard segments.map(\.number) == (0..<segments.count).map({ $0 + 1 }), !segments.isEmpty,
      Set(segments.map(\.labelValue)).count == segments.count,
      segments.allSatisfy({ (1...255).contains($0.labelValue) })
    else {
      throw DICOMError(
        .invalidValue, "segments must be numbered 1...n with distinct label values 1...255", path: "<segmentation>")
    }
    guard labels.rows == source.rows, labels.columns == source.columns, labels.frames.count == source.slices.count
    else {
      throw DICOMError(.invalidValue, "the labels were not sampled on this source's grid", path: "<segmentation>")
    }
    // Which label values each slice holds (one pass per slice).
    var present = [[Bool]]()
    var seen = [Bool](repeating: false, count: 256)
    for frame in labels.frames {
      var here = [Bool](repeating: false, count: 256)
      for v in frame { here[Int(v)] = true }
      for v in 1..<256 where here[v] { seen[v] = true }
      present.append(here)
    }
    let listed = Set(segments.map(\.labelValue))
    let unlisted = (1..<256).filter { seen[$0] && !listed.contains($0) }

    let pixels = source.rows * source.columns
    // The frames, in order: (segment number, slice index k) where the slice holds the label.
    var frames: [(segment: SegmentDefinition, slice: Int)] = []
    for segment in segments {
      for k in source.slices.indices where present[k][segment.labelValue] { frames.append((segment, k)) }
    }
    var perFrame = frames.map { frameGroups(segment: $0.segment.number, sliceIndex: $0.slice + 1, slice: source.slices[$0.slice]) }
    var framesPerSegment: [Int: Int] = [:]
    for frame in frames { framesPerSegment[frame.segment.number, default: 0] += 1 }
    if perFrame.isEmpty, let slice = source.slices.first {
      // Nothing segmented: one empty frame of the first segment keeps the file valid
      // (NumberOfFrames >= 1), and says "absent" rather than leaving no file.
      perFrame.append(frameGroups(segment: segments[0].number, sliceIndex: 1, slice: slice))
    }

    let sopInstanceUID = options.uids.next()
    let seriesInstanceUID = options.uids.next()
    let dimensionUID = options.uids.next()
    var ds = source.copied
    SegmentationDataset.addGeneral(
      &ds, options: options, sopInstanceUID: sopInstanceUID, seriesInstanceUID: seriesInstanceUID)
    SegmentationDataset.addImage(&ds, source: source, frameCount: perFrame.count)
    ds.set(.referencedSeriesSequence, items: SegmentationDataset.referencedSeries(source))
    ds.set(.dimensionOrganizationSequence, items: [SegmentationDataset.dimensionOrganization(dimensionUID)])
    ds.set(.dimensionIndexSequence, items: SegmentationDataset.dimensionIndices(dimensionUID))
    ds.set(
      .segmentSequence, items: segments.map { SegmentationDataset.segmentItem($0, algorithm: options.algorithmName) })
    ds.set(.sharedFunctionalGroupsSequence, items: [SegmentationDataset.sharedGroups(source)])
    ds.set(.perFrameFunctionalGroupsSequence, items: perFrame)
    let frameCount = perFrame.count
    perFrame = []

    var meta = DICOMDataset()
    meta.set(.mediaStorageSOPClassUID, "UI", text: sopClassUID)
    meta.set(.mediaStorageSOPInstanceUID, "UI", text: sopInstanceUID)
    meta.set(.transferSyntaxUID, "UI", text: options.deflate ? deflatedTransferSyntaxUID : TransferSyntax.explicitVRLittleEndian.uid)
    meta.set(.implementationClassUID, "UI", text: SegmentationDataset.implementationClassUID)
    meta.set(.implementationVersionName, "SH", text: "VIBESEG")

    /// Packs every frame's bits after `prefix` (the empty-map case: one all-zero frame).
    func pack(after prefix: consuming [UInt8]) -> [UInt8] {
      let bits = max(1, frames.count) * pixels
      var packer = BitPacker(prefix: prefix, reservingBits: bits)
      for frame in frames { packer.append(labels.frames[frame.slice], equalTo: UInt8(frame.segment.labelValue)) }
      if frames.isEmpty { packer.append([UInt8](repeating: 0, count: pixels), equalTo: 1) }
      precondition(packer.bitCount == bits)
      return packer.finish()
    }
    let bytes: [UInt8]
    if options.deflate {
      ds.set(.pixelData, "OB", bytes: pack(after: []))
      bytes = try DICOMEncoder.part10(meta: meta, dataset: ds, deflate: { try RawDeflate.compress($0) })
    } else {
      // The bits are packed straight into the file's array after the PixelData header: the
      // largest value of the file exists once (issue 19's < 200 MB for a 72-label body SEG).
      let length = BitPacker.paddedByteCount(bits: max(1, frames.count) * pixels)
      let prefix = try DICOMEncoder.part10Prefix(meta: meta, dataset: ds, trailing: .pixelData, vr: "OB", length: length)
      ds = DICOMDataset()
      let prefixCount = prefix.count
      bytes = pack(after: consume prefix)
      precondition(bytes.count == prefixCount + length)
    }
    return Result(
      bytes: bytes, sopInstanceUID: sopInstanceUID, seriesInstanceUID: seriesInstanceUID, frameCount: frameCount,
      framesPerSegment: framesPerSegment, unlistedLabels: unlisted)
  }

  /// One per-frame functional groups item: derivation (source slice), frame content (dimension
  /// index values), plane position (the source IPP), segment identification.
  static func frameGroups(segment: Int, sliceIndex: Int, slice: SegmentationSource.Slice) -> DICOMDataset {
    var source = DICOMDataset()
    source.set(.referencedSOPClassUID, "UI", text: slice.sopClassUID)
    source.set(.referencedSOPInstanceUID, "UI", text: slice.sopInstanceUID)
    source.set(.spatialLocationsPreserved, "CS", text: "YES")
    source.set(
      .purposeOfReferenceCodeSequence,
      items: [SegmentationDataset.code(CodedConcept("121322", "DCM", "Source image for image processing operation"))])
    var derivation = DICOMDataset()
    derivation.set(.sourceImageSequence, items: [source])
    derivation.set(
      .derivationCodeSequence, items: [SegmentationDataset.code(CodedConcept("113076", "DCM", "Segmentation"))])
    var content = DICOMDataset()
    content.set(.dimensionIndexValues, unsignedLongs: [UInt32(segment), UInt32(sliceIndex)])
    var position = DICOMDataset()
    position.set(.imagePositionPatient, decimals: slice.position)
    var identification = DICOMDataset()
    identification.set(.referencedSegmentNumber, unsignedShorts: [UInt16(segment)])
    var item = DICOMDataset()
    item.set(.derivationImageSequence, items: [derivation])
    item.set(.frameContentSequence, items: [content])
    item.set(.planePositionSequence, items: [position])
    item.set(.segmentIdentificationSequence, items: [identification])
    return item
  }
}
