import DICOMCore

/// Multi-frame (enhanced) images: one index record per frame, so grouping, stacking, station
/// assembly and the pixel reader treat a frame as they treat a classic slice.
///
/// Where each frame's attributes come from (PS3.3 C.7.6.16, Multi-frame Functional Groups): the
/// frame's item of PerFrameFunctionalGroupsSequence (5200,9230), else the one item of
/// SharedFunctionalGroupsSequence (5200,9229), else the top-level attribute:
///
/// | attribute | functional group macro |
/// |---|---|
/// | ImagePositionPatient | PlanePositionSequence (0020,9113) |
/// | ImageOrientationPatient | PlaneOrientationSequence (0020,9116) |
/// | PixelSpacing | PixelMeasuresSequence (0028,9110) |
/// | RescaleSlope/Intercept | PixelValueTransformationSequence (0028,9145) |
/// | ImageType (for the contrast rules) | FrameType (0008,9007) in MRImageFrameTypeSequence (0018,9226) |
/// | EchoTime | EffectiveEchoTime (0018,9082) in MREchoSequence (0018,9114) |
///
/// This is what dcm2niix reads too; a frame whose position it cannot find is refused here rather
/// than guessed.
extension DICOMFileRecord {
  /// What a frame's functional groups say (nil where they say nothing).
  struct FrameAttributes {
    var index: Int
    var count: Int
    var imagePosition: [Double]?
    var imageOrientation: [Double]?
    var pixelSpacing: [Double]?
    var rescaleSlope: Double?
    var rescaleIntercept: Double?
    var frameType: [String]?
    var echoTime: Double?
  }

  /// The records of a multi-frame image's frames, or why it is skipped or rejected.
  static func frameOutcome(for header: DICOMHeader, pixelData: DICOMHeader.PixelDataLocation, frames: Int)
    throws -> DICOMFileOutcome
  {
    guard header.layout == .part10, header.transferSyntax.encoding == .explicitVRLittleEndian else {
      return .skipped(
        reason: "multi-frame image (\(frames) frames) with an implicit VR dataset or no preamble: its per-frame functional groups are not read")
    }
    let tree = try header.datasetTree()
    let perFrame = tree.items(.perFrameFunctionalGroupsSequence) ?? []
    guard !perFrame.isEmpty else {
      return .skipped(
        reason: "multi-frame image (\(frames) frames) without PerFrameFunctionalGroupsSequence: no per-frame geometry")
    }
    guard perFrame.count == frames else {
      throw DICOMError(
        .invalidValue, "PerFrameFunctionalGroupsSequence has \(perFrame.count) items for NumberOfFrames \(frames)",
        path: header.path, tag: DICOMTag.perFrameFunctionalGroupsSequence.label)
    }
    let shared = tree.items(.sharedFunctionalGroupsSequence)?.first ?? DICOMDataset()
    var records: [DICOMFileRecord] = []
    records.reserveCapacity(frames)
    for (index, item) in perFrame.enumerated() {
      /// The first item of `sequence` in this frame's groups, else in the shared ones.
      func value<T>(_ sequence: DICOMTag, _ read: (DICOMDataset) -> T?) -> T? {
        for groups in [item, shared] {
          if let macro = groups.items(sequence)?.first, let v = read(macro) { return v }
        }
        return nil
      }
      let attributes = FrameAttributes(
        index: index, count: frames,
        imagePosition: value(.planePositionSequence) { $0.decimals(.imagePositionPatient) },
        imageOrientation: value(.planeOrientationSequence) { $0.decimals(.imageOrientationPatient) },
        pixelSpacing: value(.pixelMeasuresSequence) { $0.decimals(.pixelSpacing) },
        rescaleSlope: value(.pixelValueTransformationSequence) { $0.decimals(.rescaleSlope)?.first },
        rescaleIntercept: value(.pixelValueTransformationSequence) { $0.decimals(.rescaleIntercept)?.first },
        frameType: value(.mrImageFrameTypeSequence) { $0.strings(.frameType).isEmpty ? nil : $0.strings(.frameType) },
        echoTime: value(.mrEchoSequence) { $0.decimals(.effectiveEchoTime)?.first })
      for (name, count, found) in [
        ("ImagePositionPatient", 3, attributes.imagePosition), ("ImageOrientationPatient", 6, attributes.imageOrientation),
      ] where found != nil && found!.count != count {
        throw DICOMError(
          .invalidValue, "frame \(index + 1): \(name) has \(found!.count) values (\(count) required)", path: header.path)
      }
      guard attributes.imagePosition != nil || header.element(.imagePositionPatient) != nil else {
        throw DICOMError(
          .invalidValue, "frame \(index + 1) has no ImagePositionPatient (PlanePositionSequence)", path: header.path,
          tag: DICOMTag.planePositionSequence.label)
      }
      records.append(try DICOMFileRecord(header: header, pixelData: pixelData, frame: attributes))
    }
    return .frames(records)
  }
}

extension DICOMTag {
  static let pixelValueTransformationSequence = DICOMTag(0x0028, 0x9145)
  static let mrImageFrameTypeSequence = DICOMTag(0x0018, 0x9226)
  static let frameType = DICOMTag(0x0008, 0x9007)
  static let mrEchoSequence = DICOMTag(0x0018, 0x9114)
  static let effectiveEchoTime = DICOMTag(0x0018, 0x9082)
}
