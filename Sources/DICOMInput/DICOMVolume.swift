import DICOMCore
import Foundation

/// The stored pixel values of one slice or a stack, in the type the files declare.
public enum DICOMPixelValues: Sendable, Equatable {
  case uint8([UInt8])
  case int8([Int8])
  case uint16([UInt16])
  case int16([Int16])
  /// Slices whose RescaleSlope/RescaleIntercept differ, with each slice's rescale applied.
  case float32([Float])

  public var count: Int {
    switch self {
    case .uint8(let v): v.count
    case .int8(let v): v.count
    case .uint16(let v): v.count
    case .int16(let v): v.count
    case .float32(let v): v.count
    }
  }

  /// Every value as `Double` (tests, small volumes).
  public var doubles: [Double] {
    switch self {
    case .uint8(let v): v.map(Double.init)
    case .int8(let v): v.map(Double.init)
    case .uint16(let v): v.map(Double.init)
    case .int16(let v): v.map(Double.init)
    case .float32(let v): v.map(Double.init)
    }
  }
}

/// One series group stacked into a volume, as dcm2niix writes a classic stack (without its row
/// flip): voxel (i, j, k) is column i, row j of the k-th slice in ascending position along the
/// slice normal; i runs fastest. The affine maps (i, j, k) to NIfTI RAS+ world (mm).
///
/// ```swift
/// let index = try DICOMIndex(scanning: folder)
/// let volume = try DICOMVolume(group: index.groups[0])   // reads only each file's pixel range
/// ```
public struct DICOMVolume: Sendable {
  /// Columns, rows, slices.
  public var shape: [Int]
  /// 4 x 4 voxel-to-world, RAS+ (DICOM LPS with x and y negated).
  public var affine: [[Double]]
  /// The stored values (no rescale applied, unless `float32`).
  public var values: DICOMPixelValues
  /// RescaleSlope/RescaleIntercept shared by every slice; nil for none (or slope 1, intercept 0)
  /// and for `float32` values (already applied).
  public var scaling: (slope: Double, intercept: Double)?
  /// The files, slice order.
  public var files: [String]
  /// What was noticed while stacking (each line names a file or the series).
  public var warnings: [String]

  /// Reads the pixels of every file of `group` and stacks them.
  ///
  /// - Throws: `DICOMError.unsupported` (compressed pixel data, colour, bit depths other than
  ///   8 and 16, slices that disagree on their pixel format), `.truncated`/`.invalidValue` (pixel
  ///   data of the wrong length), `.ioFailure`.
  public init(group: SeriesGroup) throws {
    let files = group.files
    let first = group.first
    let format = try PixelFormat(first)
    for file in files.dropFirst() {
      let other = try PixelFormat(file)
      guard other == format else {
        throw DICOMError(
          .unsupported, "pixel format \(other) differs from \(format) of \(first.path) in the same series", path: file.path,
          tag: DICOMTag.bitsAllocated.label)
      }
    }
    let rescales = files.map { ($0.rescaleSlope ?? 1, $0.rescaleIntercept ?? 0) }
    let shared = rescales.allSatisfy { $0 == rescales[0] }
    var raw: [[UInt8]] = []
    raw.reserveCapacity(files.count)
    for file in files { raw.append(try Self.pixelBytes(of: file, format: format)) }
    let bytes = raw.flatMap { $0 }
    let perSlice = first.rows * first.columns
    if shared {
      values = format.decode(bytes)
      scaling = rescales[0] == (1, 0) ? nil : rescales[0]
    } else {
      var out: [Float] = []
      out.reserveCapacity(perSlice * files.count)
      for (k, slice) in raw.enumerated() {
        let (slope, intercept) = rescales[k]
        out += format.decode(slice).doubles.map { Float($0 * slope + intercept) }
      }
      values = .float32(out)
      scaling = nil
    }
    self.files = files.map(\.path)
    (shape, affine, warnings) = Self.geometry(of: group)
  }

  /// The shape (columns, rows, slices) and RAS+ affine of `group`'s stack, from the headers alone
  /// (as `init(group:)` stacks it; also the check of what dcm2niix writes), and what was noticed.
  public static func geometry(of group: SeriesGroup) -> (shape: [Int], affine: [[Double]], warnings: [String]) {
    let files = group.files
    let first = group.first
    let shape = [first.columns, first.rows, files.count]
    var warnings: [String] = []

    // World geometry in LPS, then to RAS.
    let row = Array(first.imageOrientation[0..<3]), column = Array(first.imageOrientation[3..<6])
    let origin = first.imagePosition
    let step: [Double]
    if files.count > 1 {
      // As dcm2niix: the slice normal times the distance between the first two positions (the
      // index has checked that the spacing is uniform and the slices stacked along the normal).
      let gap = Geometry.norm(zip(files[1].imagePosition, origin).map { $0 - $1 })
      step = first.sliceNormal.map { $0 * gap }
    } else {
      step = first.sliceNormal
      warnings.append("\(first.path): a single slice; its thickness is unknown here, 1 mm assumed along the slice normal")
    }
    let columns: [[Double]] = [
      row.map { $0 * first.pixelSpacing[1] }, column.map { $0 * first.pixelSpacing[0] }, step, origin,
    ]
    var affine = (0..<3).map { r in (0..<4).map { c in columns[c][r] } } + [[0, 0, 0, 1]]
    for r in 0..<2 { affine[r] = affine[r].map { $0 == 0 ? 0 : -$0 } }
    return (shape, affine, warnings)
  }

  /// How one file stores its pixels (PS3.5 8.1.1, PS3.3 C.7.6.3.1): `bitsAllocated` per value,
  /// of which bits `highBit - bitsStored + 1 ... highBit` hold the pixel, two's complement when
  /// `signed`. Other bits (old overlays, garbage) are masked off and a signed pixel is sign-extended
  /// from `bitsStored` bits, as pydicom's `pixel_array` does.
  struct PixelFormat: Equatable, CustomStringConvertible {
    var bitsAllocated: Int
    var bitsStored: Int
    var highBit: Int
    var signed: Bool

    init(_ file: DICOMFileRecord) throws {
      if file.transferSyntax.isEncapsulated {
        throw DICOMError(
          .unsupported,
          "compressed pixel data (transfer syntax \(file.transferSyntax.uid)): not decoded natively (ImageInput converts it through dcm2niix)",
          path: file.path, tag: DICOMTag.pixelData.label)
      }
      guard file.samplesPerPixel == 1 else {
        throw DICOMError(
          .unsupported, "\(file.samplesPerPixel) samples per pixel (colour): only greyscale images are read",
          path: file.path, tag: DICOMTag.samplesPerPixel.label)
      }
      if let photometric = file.photometricInterpretation, !["MONOCHROME1", "MONOCHROME2"].contains(photometric) {
        throw DICOMError(
          .unsupported, "photometric interpretation \(photometric): only MONOCHROME1/2 images are read",
          path: file.path, tag: DICOMTag.photometricInterpretation.label)
      }
      let bits = file.bitsAllocated ?? 16
      guard bits == 8 || bits == 16 else {
        throw DICOMError(
          .unsupported, "BitsAllocated \(bits): only 8- and 16-bit pixels are read", path: file.path,
          tag: DICOMTag.bitsAllocated.label)
      }
      let representation = file.pixelRepresentation ?? 0
      guard representation == 0 || representation == 1 else {
        throw DICOMError(
          .invalidValue, "PixelRepresentation \(representation) (0 or 1 required)", path: file.path,
          tag: DICOMTag.pixelRepresentation.label)
      }
      let stored = file.bitsStored ?? bits
      let high = file.highBit ?? stored - 1
      guard (1...bits).contains(stored), (stored - 1..<bits).contains(high) else {
        throw DICOMError(
          .invalidValue,
          "BitsStored \(stored) with HighBit \(high) does not fit BitsAllocated \(bits) (1 <= BitsStored <= HighBit + 1 <= BitsAllocated)",
          path: file.path, tag: DICOMTag.bitsStored.label)
      }
      bitsAllocated = bits
      bitsStored = stored
      highBit = high
      signed = representation == 1
    }

    var bytesPerPixel: Int { bitsAllocated / 8 }

    var description: String {
      let stored = bitsStored == bitsAllocated ? "" : " (\(bitsStored) stored, high bit \(highBit))"
      return "\(signed ? "signed" : "unsigned") \(bitsAllocated)-bit\(stored)"
    }

    /// Little-endian bytes to values, masked to the stored bits.
    func decode(_ bytes: [UInt8]) -> DICOMPixelValues {
      guard bitsStored == bitsAllocated else { return decodeMasked(bytes) }
      switch (bitsAllocated, signed) {
      case (8, false): return .uint8(bytes)
      case (8, true): return .int8(bytes.map { Int8(bitPattern: $0) })
      case (_, false):
        return .uint16(stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 })
      case (_, true):
        return .int16(
          stride(from: 0, to: bytes.count, by: 2).map { Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8) })
      }
    }

    /// `decode` when only some bits hold the pixel: value = (raw >> (highBit + 1 - bitsStored)) &
    /// (2^bitsStored - 1), minus 2^bitsStored when signed and its top stored bit is set.
    func decodeMasked(_ bytes: [UInt8]) -> DICOMPixelValues {
      let shift = highBit + 1 - bitsStored
      let mask = (1 << bitsStored) - 1
      let top = 1 << (bitsStored - 1)
      let step = bytesPerPixel
      let values: [Int] = stride(from: 0, to: bytes.count - step + 1, by: step).map { i in
        let raw = step == 1 ? Int(bytes[i]) : Int(bytes[i]) | Int(bytes[i + 1]) << 8
        let v = (raw >> shift) & mask
        return signed && v & top != 0 ? v - (mask + 1) : v
      }
      switch (bitsAllocated, signed) {
      case (8, false): return .uint8(values.map { UInt8($0) })
      case (8, true): return .int8(values.map { Int8($0) })
      case (_, false): return .uint16(values.map { UInt16($0) })
      case (_, true): return .int16(values.map { Int16($0) })
      }
    }
  }

  /// The bytes of one file's (or one frame's) pixels: only the recorded PixelData range is read,
  /// and its length must be frames x Rows x Columns x bytes per pixel (one pad byte allowed for an
  /// odd count); frame f's bytes start f frames into it.
  static func pixelBytes(of file: DICOMFileRecord, format: PixelFormat) throws -> [UInt8] {
    let needed = file.rows * file.columns * format.bytesPerPixel
    let total = needed * file.frameCount
    let start = file.pixelData.offset + needed * (file.frame ?? 0)
    guard let length = file.pixelData.length else {
      throw DICOMError(
        .unsupported, "pixel data of undefined length (encapsulated): not decoded natively (ImageInput converts it through dcm2niix)",
        path: file.path, tag: DICOMTag.pixelData.label)
    }
    guard length == total || (total % 2 == 1 && length == total + 1) else {
      let frames = file.frameCount == 1 ? "" : "\(file.frameCount) frames x "
      throw DICOMError(
        .invalidValue,
        "pixel data holds \(length) bytes; \(frames)\(file.rows) rows x \(file.columns) columns x \(format.bytesPerPixel) byte(s) need \(total) (a wrong header?)",
        path: file.path, tag: DICOMTag.pixelData.label)
    }
    guard let handle = FileHandle(forReadingAtPath: file.path) else {
      throw DICOMError(.ioFailure, "cannot be opened for reading", path: file.path)
    }
    defer { try? handle.close() }
    let data: Data
    do {
      try handle.seek(toOffset: UInt64(start))
      data = try handle.read(upToCount: needed) ?? Data()
    } catch {
      throw DICOMError(.ioFailure, "read failed: \(error.localizedDescription)", path: file.path)
    }
    guard data.count == needed else {
      throw DICOMError(
        .truncated, "pixel data ends after \(data.count) of \(needed) bytes (the file changed since it was indexed?)",
        path: file.path, tag: DICOMTag.pixelData.label)
    }
    return [UInt8](data)
  }
}
