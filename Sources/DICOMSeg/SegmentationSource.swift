import DICOMCore

/// The source series a SEG is written for: the slices' identities and positions, the shared
/// in-plane geometry, and the Patient, Study and Frame of Reference attributes to copy.
///
/// Geometry is DICOM's own (LPS, mm): `orientation` is ImageOrientationPatient (row direction
/// cosines r, then column direction cosines c), `pixelSpacing` is PixelSpacing (row spacing Δrow
/// = distance between rows, along c; column spacing Δcol = distance between columns, along r),
/// `slices[k].position` is the ImagePositionPatient p_k of slice k: the centre of its pixel
/// (row 0, column 0). Slices are sorted by p_k · (r × c) ascending, as `DICOMVolume` stacks them,
/// so slice k here is slice k of the label map dcm2niix (or VibeSeg) makes of the series.
public struct SegmentationSource: Sendable {
  public struct Slice: Sendable, Equatable {
    public var sopClassUID: String
    public var sopInstanceUID: String
    public var position: [Double]
    /// The series the slice belongs to (several in a `combining` source).
    public var seriesInstanceUID: String
  }

  /// The (first) source series; `seriesInstanceUIDs` lists all of a `combining` source.
  public var seriesInstanceUID: String
  /// Every referenced series, in the order given.
  public var seriesInstanceUIDs: [String]
  public var rows: Int
  public var columns: Int
  public var orientation: [Double]
  public var pixelSpacing: [Double]
  /// SliceThickness of the first slice, else the spacing between slices.
  public var sliceThickness: Double?
  /// The distance between neighbouring slice positions along the normal (first two; nil for one).
  public var spacingBetweenSlices: Double?
  public var slices: [Slice]
  /// Patient, General Study and Frame of Reference attributes of the first slice, bytes
  /// verbatim (Type 2 ones present and empty when the source lacks them), and its
  /// SpecificCharacterSet when it has one.
  public var copied: DICOMDataset

  /// The attributes copied from the source, with the VR to write them with (implicit VR sources
  /// carry none) and whether an absent one is written empty (Type 2) or left out (Type 3).
  static let copiedAttributes: [(tag: DICOMTag, vr: String, type2: Bool)] = [
    (.specificCharacterSet, "CS", false),
    (.studyDate, "DA", true), (.studyTime, "TM", true), (.accessionNumber, "SH", true),
    (.referringPhysicianName, "PN", true), (.studyDescription, "LO", false),
    (.patientName, "PN", true), (.patientID, "LO", true), (.patientBirthDate, "DA", true), (.patientSex, "CS", true),
    (.studyInstanceUID, "UI", false), (.studyID, "SH", true), (.frameOfReferenceUID, "UI", false),
    (.positionReferenceIndicator, "LO", true),
  ]

  /// The source from the headers of every slice of one series (any order).
  ///
  /// - Throws: `DICOMError.invalidValue` naming the file and attribute: a missing SOP, study,
  ///   series or frame of reference UID, geometry that is missing or differs between slices
  ///   (Rows, Columns, PixelSpacing, ImageOrientationPatient to 1e-4), two series, no slice.
  public init(headers: [DICOMHeader]) throws {
    guard let first = headers.first else {
      throw DICOMError(.invalidValue, "no source slice for the segmentation", path: "<source series>")
    }
    func required(_ header: DICOMHeader, _ tag: DICOMTag) throws -> String {
      guard let value = header.string(tag) else {
        throw DICOMError(
          .invalidValue, "missing (the segmentation must reference it)", path: header.path, tag: tag.label)
      }
      return value
    }
    seriesInstanceUID = try required(first, .seriesInstanceUID)
    seriesInstanceUIDs = [seriesInstanceUID]
    for tag in [DICOMTag.studyInstanceUID, .frameOfReferenceUID] { _ = try required(first, tag) }
    rows = try first.unsignedShort(.rows) ?? 0
    columns = try first.unsignedShort(.columns) ?? 0
    orientation = try first.decimals(.imageOrientationPatient, count: 6) ?? []
    pixelSpacing = try first.decimals(.pixelSpacing, count: 2) ?? []
    guard rows > 0, columns > 0, orientation.count == 6, pixelSpacing.count == 2, pixelSpacing.allSatisfy({ $0 > 0 })
    else {
      throw DICOMError(
        .invalidValue, "Rows, Columns, ImageOrientationPatient and PixelSpacing are required", path: first.path,
        tag: DICOMTag.imageOrientationPatient.label)
    }
    var slices: [Slice] = []
    let (rows, columns, orientation, pixelSpacing) = (self.rows, self.columns, self.orientation, self.pixelSpacing)
    func close(_ a: [Double]?, _ b: [Double]) -> Bool {
      a.map { zip($0, b).allSatisfy { abs($0 - $1) < 1e-4 } } ?? false
    }
    for header in headers {
      guard try required(header, .seriesInstanceUID) == seriesInstanceUID else {
        throw DICOMError(
          .invalidValue, "a second series in one segmentation source", path: header.path,
          tag: DICOMTag.seriesInstanceUID.label)
      }
      let sameSize = try header.unsignedShort(.rows) == rows && header.unsignedShort(.columns) == columns
      let spacing = try header.decimals(.pixelSpacing, count: 2)
      let iop = try header.decimals(.imageOrientationPatient, count: 6)
      guard sameSize, close(spacing, pixelSpacing), close(iop, orientation) else {
        throw DICOMError(
          .invalidValue, "Rows, Columns, PixelSpacing or ImageOrientationPatient differ from \(first.path)",
          path: header.path)
      }
      guard let position = try header.decimals(.imagePositionPatient, count: 3) else {
        throw DICOMError(.invalidValue, "missing", path: header.path, tag: DICOMTag.imagePositionPatient.label)
      }
      let sopClass = header.string(.sopClassUID) ?? header.string(.mediaStorageSOPClassUID)
      guard let sopClass else {
        throw DICOMError(.invalidValue, "missing", path: header.path, tag: DICOMTag.sopClassUID.label)
      }
      slices.append(
        Slice(
          sopClassUID: sopClass, sopInstanceUID: try required(header, .sopInstanceUID), position: position,
          seriesInstanceUID: seriesInstanceUID))
    }
    let normal = SegmentationGeometry.cross(Array(orientation[0..<3]), Array(orientation[3..<6]))
    slices.sort { SegmentationGeometry.dot($0.position, normal) < SegmentationGeometry.dot($1.position, normal) }
    self.slices = slices
    var spacing: Double? = nil
    if slices.count > 1 {
      let step = zip(slices[1].position, slices[0].position).map { $0 - $1 }
      spacing = abs(SegmentationGeometry.dot(step, normal))
    }
    spacingBetweenSlices = spacing
    let thickness = try first.decimal(.sliceThickness)
    sliceThickness = thickness ?? spacing
    var copied = DICOMDataset()
    for (tag, vr, type2) in Self.copiedAttributes {
      if let element = first.element(tag), !element.isSequence {
        copied.set(tag, element.vr.flatMap { $0 == "UN" ? nil : $0 } ?? vr, bytes: element.value)
      } else if type2 {
        copied.set(tag, vr, bytes: [])
      }
    }
    self.copied = copied
  }

  /// One source for the series of several stations (`batch`'s one SEG per stitched case): the
  /// slices of all, sorted along the normal, each keeping its series; geometry and copied
  /// attributes from the first. A SEG has one Rows x Columns, and VibeSeg writes one shared
  /// PixelSpacing and orientation and one frame of reference, so the sources must agree on them.
  ///
  /// - Throws: `DICOMError.invalidValue` naming the series that differs: Rows, Columns,
  ///   PixelSpacing or ImageOrientationPatient (1e-4), StudyInstanceUID or FrameOfReferenceUID.
  public init(combining sources: [SegmentationSource]) throws {
    guard var combined = sources.first else {
      throw DICOMError(.invalidValue, "no source series for the segmentation", path: "<source series>")
    }
    func close(_ a: [Double], _ b: [Double]) -> Bool { a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) < 1e-4 } }
    for other in sources.dropFirst() {
      let differing = [
        ("Rows", other.rows == combined.rows), ("Columns", other.columns == combined.columns),
        ("PixelSpacing", close(other.pixelSpacing, combined.pixelSpacing)),
        ("ImageOrientationPatient", close(other.orientation, combined.orientation)),
        ("StudyInstanceUID", other.copied.bytes(.studyInstanceUID) == combined.copied.bytes(.studyInstanceUID)),
        ("FrameOfReferenceUID", other.copied.bytes(.frameOfReferenceUID) == combined.copied.bytes(.frameOfReferenceUID)),
      ].filter { !$0.1 }.map(\.0)
      guard differing.isEmpty else {
        throw DICOMError(
          .invalidValue,
          "series \(other.seriesInstanceUID) differs from series \(combined.seriesInstanceUID) in \(differing.joined(separator: ", ")): one SEG cannot reference both; write one SEG per station (vibeseg segment)",
          path: "<source series>")
      }
      combined.slices += other.slices
      combined.seriesInstanceUIDs.append(other.seriesInstanceUID)
    }
    let normal = SegmentationGeometry.cross(Array(combined.orientation[0..<3]), Array(combined.orientation[3..<6]))
    combined.slices.sort { SegmentationGeometry.dot($0.position, normal) < SegmentationGeometry.dot($1.position, normal) }
    self = combined
  }
}
