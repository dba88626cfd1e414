import DICOMCore
import Foundation

/// The modules of the Segmentation IOD other than the per-frame groups (dicom.md 3.1 table):
/// SOP Common, General Series/Segmentation Series, General Equipment, General Image/Segmentation
/// Image, Image Pixel, Multi-frame Dimension, Shared Functional Groups, Common Instance Reference,
/// Segment Description items. Patient, General Study and Frame of Reference come from
/// `SegmentationSource.copied`.
enum SegmentationDataset {
  /// VibeSeg's implementation class UID (a fixed 2.25 UID).
  static let implementationClassUID = "2.25.251096389213424427786591232405262290153"

  static func addGeneral(
    _ ds: inout DICOMDataset, options: SegmentationWriter.Options, sopInstanceUID: String, seriesInstanceUID: String
  ) {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: options.date)
    func two(_ v: Int?) -> String { String(format: "%02d", v ?? 0) }
    let date = String(format: "%04d", c.year ?? 0) + two(c.month) + two(c.day)
    let time = two(c.hour) + two(c.minute) + two(c.second)
    if ds[.specificCharacterSet] == nil { ds.set(.specificCharacterSet, "CS", text: "ISO_IR 100") }
    ds.set(.imageType, "CS", texts: ["DERIVED", "PRIMARY"])
    ds.set(.sopClassUID, "UI", text: SegmentationWriter.sopClassUID)
    ds.set(.sopInstanceUID, "UI", text: sopInstanceUID)
    ds.set(.seriesDate, "DA", text: date)
    ds.set(.contentDate, "DA", text: date)
    ds.set(.contentTime, "TM", text: time)
    ds.set(.modality, "CS", text: "SEG")
    ds.set(.manufacturer, "LO", text: "VibeSeg")
    ds.set(.seriesDescription, "LO", text: String(options.seriesDescription.prefix(64)))
    ds.set(.manufacturerModelName, "LO", text: "VibeSeg")
    ds.set(.deviceSerialNumber, "LO", text: "VibeSeg")
    ds.set(.softwareVersions, "LO", text: String(options.softwareVersion.prefix(64)))
    ds.set(.seriesInstanceUID, "UI", text: seriesInstanceUID)
    ds.set(.seriesNumber, integer: options.seriesNumber)
    ds.set(.instanceNumber, integer: 1)
    ds.set(.segmentationType, "CS", text: "BINARY")
    ds.set(.segmentsOverlap, "CS", text: "NO")
    ds.set(.contentLabel, "CS", text: "VIBESEG")
    ds.set(.contentDescription, "LO", text: String(options.contentDescription.prefix(64)))
    ds.set(.contentCreatorName, "PN", bytes: [])
  }

  static func addImage(_ ds: inout DICOMDataset, source: SegmentationSource, frameCount: Int) {
    ds.set(.samplesPerPixel, unsignedShorts: [1])
    ds.set(.photometricInterpretation, "CS", text: "MONOCHROME2")
    ds.set(.numberOfFrames, integer: frameCount)
    ds.set(.rows, unsignedShorts: [UInt16(source.rows)])
    ds.set(.columns, unsignedShorts: [UInt16(source.columns)])
    ds.set(.bitsAllocated, unsignedShorts: [1])
    ds.set(.bitsStored, unsignedShorts: [1])
    ds.set(.highBit, unsignedShorts: [0])
    ds.set(.pixelRepresentation, unsignedShorts: [0])
    ds.set(.lossyImageCompression, "CS", text: "00")
  }

  /// A Code Sequence macro item.
  static func code(_ concept: CodedConcept) -> DICOMDataset {
    var item = DICOMDataset()
    item.set(.codeValue, "SH", text: concept.value)
    item.set(.codingSchemeDesignator, "SH", text: concept.scheme)
    item.set(.codeMeaning, "LO", text: concept.meaning)
    return item
  }

  static func segmentItem(_ segment: SegmentDefinition, algorithm: String) -> DICOMDataset {
    var type = code(segment.type)
    if let modifier = segment.modifier { type.set(.segmentedPropertyTypeModifierCodeSequence, items: [code(modifier)]) }
    var item = DICOMDataset()
    item.set(.segmentedPropertyCategoryCodeSequence, items: [code(segment.category)])
    item.set(.segmentNumber, unsignedShorts: [UInt16(segment.number)])
    item.set(.segmentLabel, "LO", text: String(segment.label.prefix(64)))
    item.set(.segmentDescription, "ST", text: "label \(segment.labelValue) \(segment.label)")
    item.set(.segmentAlgorithmType, "CS", text: "AUTOMATIC")
    item.set(.segmentAlgorithmName, "LO", text: String(algorithm.prefix(64)))
    if let rgb = segment.color {
      item.set(
        .recommendedDisplayCIELabValue,
        unsignedShorts: CIELab.dicomValue(red: rgb.red, green: rgb.green, blue: rgb.blue))
    }
    item.set(.segmentedPropertyTypeCodeSequence, items: [type])
    return item
  }

  /// Common Instance Reference (C.12.2): the source series and every one of its instances.
  /// One ReferencedSeriesSequence item per source series (in `seriesInstanceUIDs` order), each
  /// listing its instances.
  static func referencedSeries(_ source: SegmentationSource) -> [DICOMDataset] {
    source.seriesInstanceUIDs.map { uid in
      var series = DICOMDataset()
      series.set(
        .referencedInstanceSequence,
        items: source.slices.filter { $0.seriesInstanceUID == uid }.map { slice in
          var item = DICOMDataset()
          item.set(.referencedSOPClassUID, "UI", text: slice.sopClassUID)
          item.set(.referencedSOPInstanceUID, "UI", text: slice.sopInstanceUID)
          return item
        })
      series.set(.seriesInstanceUID, "UI", text: uid)
      return series
    }
  }

  static func dimensionOrganization(_ uid: String) -> DICOMDataset {
    var item = DICOMDataset()
    item.set(.dimensionOrganizationUID, "UI", text: uid)
    return item
  }

  /// Two dimensions: ReferencedSegmentNumber in SegmentIdentificationSequence, then
  /// ImagePositionPatient in PlanePositionSequence.
  static func dimensionIndices(_ uid: String) -> [DICOMDataset] {
    [
      (DICOMTag.referencedSegmentNumber, DICOMTag.segmentIdentificationSequence),
      (.imagePositionPatient, .planePositionSequence),
    ]
    .map { pointer, group in
      var item = DICOMDataset()
      item.set(.dimensionOrganizationUID, "UI", text: uid)
      item.set(.dimensionIndexPointer, attributeTags: [pointer])
      item.set(.functionalGroupPointer, attributeTags: [group])
      return item
    }
  }

  /// Shared functional groups: the source's orientation and pixel measures.
  static func sharedGroups(_ source: SegmentationSource) -> DICOMDataset {
    var orientation = DICOMDataset()
    orientation.set(.imageOrientationPatient, decimals: source.orientation)
    var measures = DICOMDataset()
    measures.set(.pixelSpacing, decimals: source.pixelSpacing)
    if let thickness = source.sliceThickness { measures.set(.sliceThickness, decimals: [thickness]) }
    if let spacing = source.spacingBetweenSlices { measures.set(.spacingBetweenSlices, decimals: [spacing]) }
    var item = DICOMDataset()
    item.set(.planeOrientationSequence, items: [orientation])
    item.set(.pixelMeasuresSequence, items: [measures])
    return item
  }
}
