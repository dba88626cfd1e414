import DICOMCore

/// What the index keeps of one DICOM image file: identity, grouping and geometry attributes, and
/// where its pixels lie. Built from a `DICOMHeader`; the pixels are not read.
public struct DICOMFileRecord: Sendable, Equatable {
  public var path: String
  public var sopInstanceUID: String
  public var studyInstanceUID: String
  public var seriesInstanceUID: String
  public var seriesNumber: Int?
  public var seriesDescription: String?
  public var protocolName: String?
  /// ImageType (0008,0008) values, verbatim.
  public var imageType: [String]
  /// EchoTime (0018,0081) in milliseconds.
  public var echoTime: Double?
  public var rows: Int
  public var columns: Int
  /// PixelSpacing (0028,0030): row spacing (between rows), column spacing, in mm.
  public var pixelSpacing: [Double]
  /// ImageOrientationPatient (0020,0037): row direction cosines, then column direction cosines (LPS).
  public var imageOrientation: [Double]
  /// ImagePositionPatient (0020,0032): the centre of the first voxel, mm (LPS).
  public var imagePosition: [Double]
  public var instanceNumber: Int?
  public var seriesTime: String?
  public var acquisitionTime: String?
  public var bitsAllocated: Int?
  /// BitsStored (0028,0101) and HighBit (0028,0102): which bits of each allocated value hold the
  /// pixel (bits HighBit - BitsStored + 1 ... HighBit); absent = all of them.
  public var bitsStored: Int? = nil
  public var highBit: Int? = nil
  public var pixelRepresentation: Int?
  public var transferSyntax: TransferSyntax
  public var pixelData: DICOMHeader.PixelDataLocation
  /// For one frame of a multi-frame (enhanced) image: its index in the file, 0-based, and the
  /// file's NumberOfFrames; nil and 1 for a single-frame image. Frame `frame`'s pixels follow
  /// `frame` whole frames in the pixel data.
  public var frame: Int? = nil
  public var frameCount = 1
  /// SamplesPerPixel (0028,0002); 1 when absent.
  public var samplesPerPixel: Int = 1
  /// PhotometricInterpretation (0028,0004), e.g. `MONOCHROME2`.
  public var photometricInterpretation: String? = nil
  /// RescaleSlope (0028,1053) and RescaleIntercept (0028,1052), when present.
  public var rescaleSlope: Double? = nil
  public var rescaleIntercept: Double? = nil

  /// The slice normal, row × column direction (unit length for a valid orientation).
  public var sliceNormal: [Double] { Geometry.cross(Array(imageOrientation[0..<3]), Array(imageOrientation[3..<6])) }
}

/// Why a file did not become a record.
public enum DICOMFileOutcome: Sendable {
  case image(DICOMFileRecord)
  /// A multi-frame image: one record per frame, in frame order.
  case frames([DICOMFileRecord])
  /// Not an image this index reads: not DICOM, no pixel data, no patient geometry, multi-frame
  /// without per-frame geometry.
  case skipped(reason: String)
  /// DICOM, but broken or refused: the set it belongs to cannot be trusted.
  case rejected(DICOMError)
}

extension DICOMFileRecord {
  /// SOP classes of enhanced (multi-frame) images, whose geometry lives in functional groups.
  static let enhancedSOPClasses: Set<String> = [
    "1.2.840.10008.5.1.4.1.1.4.1",  // Enhanced MR Image Storage
    "1.2.840.10008.5.1.4.1.1.4.3",  // Enhanced MR Color Image Storage
    "1.2.840.10008.5.1.4.1.1.4.4",  // Legacy Converted Enhanced MR Image Storage
    "1.2.840.10008.5.1.4.1.1.2.1",  // Enhanced CT Image Storage
  ]

  /// Classifies a header: an image record, a file to skip (with why), or a rejected file.
  public static func outcome(for header: DICOMHeader) -> DICOMFileOutcome {
    do {
      guard let pixelData = header.pixelData else {
        let sopClass = header.string(.sopClassUID) ?? header.string(.mediaStorageSOPClassUID)
        return .skipped(reason: "DICOM without pixel data (not an image\(sopClass.map { "; SOP class \($0)" } ?? ""))")
      }
      let enhanced = header.string(.sopClassUID).map(enhancedSOPClasses.contains) ?? false
      if let frames = try header.integer(.numberOfFrames), frames > 1 || enhanced {
        return try frameOutcome(for: header, pixelData: pixelData, frames: frames)
      }
      if enhanced {
        return .skipped(reason: "enhanced image without NumberOfFrames (no frames to index)")
      }
      guard header.element(.imagePositionPatient) != nil, header.element(.imageOrientationPatient) != nil else {
        return .skipped(
          reason: "image without ImagePositionPatient/ImageOrientationPatient (no patient geometry, e.g. a secondary capture)")
      }
      return .image(try DICOMFileRecord(header: header, pixelData: pixelData))
    } catch let error as DICOMError {
      return .rejected(error)
    } catch {
      return .rejected(DICOMError(.invalidValue, "\(error)", path: header.path))
    }
  }

  /// - Throws: `DICOMError.invalidValue` for a missing or malformed required attribute,
  ///   `.truncated` for native pixel data shorter than Rows × Columns × BitsAllocated.
  init(header: DICOMHeader, pixelData: DICOMHeader.PixelDataLocation, frame: FrameAttributes? = nil) throws {
    func required<T>(_ tag: DICOMTag, _ value: T?) throws -> T {
      guard let value else { throw DICOMError(.invalidValue, "missing (required for an image)", path: header.path, tag: tag.label) }
      return value
    }
    path = header.path
    sopInstanceUID = try required(.sopInstanceUID, header.string(.sopInstanceUID) ?? header.string(.mediaStorageSOPInstanceUID))
    studyInstanceUID = try required(.studyInstanceUID, header.string(.studyInstanceUID))
    seriesInstanceUID = try required(.seriesInstanceUID, header.string(.seriesInstanceUID))
    seriesNumber = try header.integer(.seriesNumber)
    seriesDescription = header.string(.seriesDescription)
    protocolName = header.string(.protocolName)
    imageType = frame?.frameType ?? header.strings(.imageType)
    echoTime = try frame?.echoTime ?? header.decimal(.echoTime)
    rows = try required(.rows, header.unsignedShort(.rows))
    columns = try required(.columns, header.unsignedShort(.columns))
    pixelSpacing = try required(.pixelSpacing, frame?.pixelSpacing ?? header.decimals(.pixelSpacing, count: 2))
    imageOrientation = try required(
      .imageOrientationPatient, frame?.imageOrientation ?? header.decimals(.imageOrientationPatient, count: 6))
    imagePosition = try required(
      .imagePositionPatient, frame?.imagePosition ?? header.decimals(.imagePositionPatient, count: 3))
    instanceNumber = try header.integer(.instanceNumber)
    seriesTime = header.string(.seriesTime)
    acquisitionTime = header.string(.acquisitionTime)
    bitsAllocated = try header.unsignedShort(.bitsAllocated)
    bitsStored = try header.unsignedShort(.bitsStored)
    highBit = try header.unsignedShort(.highBit)
    pixelRepresentation = try header.unsignedShort(.pixelRepresentation)
    transferSyntax = header.transferSyntax
    self.pixelData = pixelData
    samplesPerPixel = try header.unsignedShort(.samplesPerPixel) ?? 1
    photometricInterpretation = header.string(.photometricInterpretation)
    rescaleSlope = try frame?.rescaleSlope ?? header.decimal(.rescaleSlope)
    rescaleIntercept = try frame?.rescaleIntercept ?? header.decimal(.rescaleIntercept)
    self.frame = frame?.index
    frameCount = frame?.count ?? 1

    func invalid(_ tag: DICOMTag, _ message: String) -> DICOMError {
      DICOMError(.invalidValue, message, path: header.path, tag: tag.label)
    }
    guard rows > 0, columns > 0 else { throw invalid(.rows, "an image of \(rows) x \(columns) pixels") }
    guard pixelSpacing.allSatisfy({ $0 > 0 }) else {
      throw invalid(.pixelSpacing, "spacings must be positive, found \(pixelSpacing)")
    }
    guard Geometry.isOrthonormal(imageOrientation) else {
      throw invalid(.imageOrientationPatient, "\(imageOrientation) is not two orthogonal unit vectors (tolerance 1e-3)")
    }
    if !transferSyntax.isEncapsulated, let length = pixelData.length {
      let bits = bitsAllocated ?? 16
      let samples = try header.unsignedShort(.samplesPerPixel) ?? 1
      guard bits > 0, bits % 8 == 0 else { throw invalid(.bitsAllocated, "BitsAllocated \(bits) (a multiple of 8 is required)") }
      let needed = rows * columns * samples * (bits / 8) * frameCount  // < 2^63: 16-bit factors, frames < 2^31
      guard length >= needed else {
        throw DICOMError(
          .truncated,
          "pixel data holds \(length) bytes; \(frameCount) frame(s) x \(rows) rows x \(columns) columns x \(samples) sample(s) x \(bits) bits need \(needed)",
          path: header.path, tag: DICOMTag.pixelData.label)
      }
    }
  }
}

/// Vector helpers on `[Double]` triples.
enum Geometry {
  static func cross(_ a: [Double], _ b: [Double]) -> [Double] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
  }

  static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

  static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }

  /// Two unit vectors at right angles, each to 1e-3 (DS values carry about 6 significant digits).
  static func isOrthonormal(_ iop: [Double]) -> Bool {
    let r = Array(iop[0..<3]), c = Array(iop[3..<6])
    return abs(norm(r) - 1) < 1e-3 && abs(norm(c) - 1) < 1e-3 && abs(dot(r, c)) < 1e-3
  }

  /// Lower-case axis name of the normal's dominant LPS component: axial (z), coronal (y), sagittal (x).
  static func plane(of normal: [Double]) -> String {
    let m = normal.map(abs)
    if m[2] >= m[0] && m[2] >= m[1] { return "axial" }
    return m[1] >= m[0] ? "coronal" : "sagittal"
  }
}
