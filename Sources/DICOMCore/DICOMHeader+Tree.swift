import Foundation

extension DICOMHeader {
  /// The dataset before the pixel data as a tree with every sequence item: what an enhanced
  /// (multi-frame) image keeps in its functional groups, which `DICOMHeader` checks and drops.
  /// Reads the file's first bytes again, up to the PixelData element (no further than the header
  /// reader already read, so within `DICOMReadLimits.maxHeaderBytes`), with the tree reader's
  /// checks (lengths against the bytes left, even lengths, nesting cap).
  ///
  /// Only Part-10 files whose dataset is explicit VR little endian (native or encapsulated pixel
  /// data, PS3.5 A.4) are read this way.
  ///
  /// - Throws: `DICOMError` — `.unsupported` (no preamble, implicit VR, no pixel data),
  ///   `.truncated`/`.malformed` from the tree reader, `.ioFailure`.
  public func datasetTree() throws -> DICOMDataset {
    guard layout == .part10, transferSyntax.encoding == .explicitVRLittleEndian, let pixelData else {
      throw DICOMError(
        .unsupported,
        "multi-frame functional groups are read from Part-10 files with an explicit VR little endian dataset only",
        path: path)
    }
    // Tag, VR, two reserved bytes and a 32-bit length precede an OB/OW value.
    let end = pixelData.offset - 12
    guard end > 132, end <= fileSize else {
      throw DICOMError(.malformed, "pixel data at byte \(pixelData.offset) leaves no dataset", path: path)
    }
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw DICOMError(.ioFailure, "cannot be opened for reading", path: path)
    }
    defer { try? handle.close() }
    let bytes: [UInt8]
    do {
      bytes = [UInt8](try handle.read(upToCount: end) ?? Data())
    } catch {
      throw DICOMError(.ioFailure, "read failed: \(error.localizedDescription)", path: path)
    }
    guard bytes.count == end else {
      throw DICOMError(.truncated, "the file ends after \(bytes.count) of \(end) header bytes", path: path)
    }
    var reader = TreeReader(bytes: bytes, path: path, position: 132)
    _ = try reader.readDataset(end: nil, depth: 0, metaOnly: true)
    return try reader.readDataset(end: nil, depth: 0, metaOnly: false)
  }
}
