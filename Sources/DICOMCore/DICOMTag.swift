/// A data element tag `(gggg,eeee)`.
public struct DICOMTag: Hashable, Comparable, Sendable, CustomStringConvertible {
  public var group: UInt16
  public var element: UInt16

  public init(_ group: UInt16, _ element: UInt16) {
    self.group = group
    self.element = element
  }

  public static func < (a: DICOMTag, b: DICOMTag) -> Bool {
    (a.group, a.element) < (b.group, b.element)
  }

  /// `(0020,0032)`, upper-case hexadecimal as in PS3.6.
  public var description: String {
    "(\(Self.hex(group)),\(Self.hex(element)))"
  }

  /// `(0020,0032) ImagePositionPatient` for the tags this module names, else the bare tag.
  public var label: String {
    Self.names[self].map { "\(description) \($0)" } ?? description
  }

  static func hex(_ value: UInt16) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: 4 - digits.count) + digits
  }

  public var isPrivate: Bool { group % 2 == 1 }
}

extension DICOMTag {
  // File meta (group 0002).
  public static let fileMetaGroupLength = DICOMTag(0x0002, 0x0000)
  public static let mediaStorageSOPClassUID = DICOMTag(0x0002, 0x0002)
  public static let mediaStorageSOPInstanceUID = DICOMTag(0x0002, 0x0003)
  public static let transferSyntaxUID = DICOMTag(0x0002, 0x0010)
  // Dataset.
  public static let specificCharacterSet = DICOMTag(0x0008, 0x0005)
  public static let imageType = DICOMTag(0x0008, 0x0008)
  public static let sopClassUID = DICOMTag(0x0008, 0x0016)
  public static let sopInstanceUID = DICOMTag(0x0008, 0x0018)
  public static let seriesTime = DICOMTag(0x0008, 0x0031)
  public static let acquisitionTime = DICOMTag(0x0008, 0x0032)
  public static let modality = DICOMTag(0x0008, 0x0060)
  public static let manufacturer = DICOMTag(0x0008, 0x0070)
  public static let studyDescription = DICOMTag(0x0008, 0x1030)
  public static let seriesDescription = DICOMTag(0x0008, 0x103E)
  public static let echoTime = DICOMTag(0x0018, 0x0081)
  public static let protocolName = DICOMTag(0x0018, 0x1030)
  public static let studyInstanceUID = DICOMTag(0x0020, 0x000D)
  public static let seriesInstanceUID = DICOMTag(0x0020, 0x000E)
  public static let seriesNumber = DICOMTag(0x0020, 0x0011)
  public static let instanceNumber = DICOMTag(0x0020, 0x0013)
  public static let imagePositionPatient = DICOMTag(0x0020, 0x0032)
  public static let imageOrientationPatient = DICOMTag(0x0020, 0x0037)
  public static let samplesPerPixel = DICOMTag(0x0028, 0x0002)
  public static let photometricInterpretation = DICOMTag(0x0028, 0x0004)
  public static let numberOfFrames = DICOMTag(0x0028, 0x0008)
  public static let rows = DICOMTag(0x0028, 0x0010)
  public static let columns = DICOMTag(0x0028, 0x0011)
  public static let pixelSpacing = DICOMTag(0x0028, 0x0030)
  public static let bitsAllocated = DICOMTag(0x0028, 0x0100)
  public static let bitsStored = DICOMTag(0x0028, 0x0101)
  public static let pixelRepresentation = DICOMTag(0x0028, 0x0103)
  public static let rescaleIntercept = DICOMTag(0x0028, 0x1052)
  public static let rescaleSlope = DICOMTag(0x0028, 0x1053)
  public static let pixelData = DICOMTag(0x7FE0, 0x0010)
  // Items and delimiters (group FFFE, no VR in any transfer syntax).
  public static let item = DICOMTag(0xFFFE, 0xE000)
  public static let itemDelimitation = DICOMTag(0xFFFE, 0xE00D)
  public static let sequenceDelimitation = DICOMTag(0xFFFE, 0xE0DD)

  static let names: [DICOMTag: String] = [
    .fileMetaGroupLength: "FileMetaInformationGroupLength", .mediaStorageSOPClassUID: "MediaStorageSOPClassUID",
    .mediaStorageSOPInstanceUID: "MediaStorageSOPInstanceUID", .transferSyntaxUID: "TransferSyntaxUID",
    .specificCharacterSet: "SpecificCharacterSet", .imageType: "ImageType", .sopClassUID: "SOPClassUID",
    .sopInstanceUID: "SOPInstanceUID", .seriesTime: "SeriesTime", .acquisitionTime: "AcquisitionTime",
    .modality: "Modality", .manufacturer: "Manufacturer", .studyDescription: "StudyDescription",
    .seriesDescription: "SeriesDescription", .echoTime: "EchoTime", .protocolName: "ProtocolName",
    .studyInstanceUID: "StudyInstanceUID", .seriesInstanceUID: "SeriesInstanceUID", .seriesNumber: "SeriesNumber",
    .instanceNumber: "InstanceNumber", .imagePositionPatient: "ImagePositionPatient",
    .imageOrientationPatient: "ImageOrientationPatient", .samplesPerPixel: "SamplesPerPixel",
    .numberOfFrames: "NumberOfFrames", .rows: "Rows", .columns: "Columns", .pixelSpacing: "PixelSpacing",
    .bitsAllocated: "BitsAllocated", .pixelRepresentation: "PixelRepresentation", .pixelData: "PixelData",
    .photometricInterpretation: "PhotometricInterpretation", .bitsStored: "BitsStored",
    .rescaleIntercept: "RescaleIntercept", .rescaleSlope: "RescaleSlope",
  ]
}
