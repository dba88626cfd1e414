import DICOMCore

/// Hand-built DICOM byte streams for the reader tests.
enum DICOMBytes {
  static func u16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
  static func u32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xFF) } }
  static func tag(_ g: UInt16, _ e: UInt16) -> [UInt8] { u16(g) + u16(e) }
  static let undefined: UInt32 = 0xFFFF_FFFF

  /// A string value padded to even length (spaces; NUL for UIDs).
  static func text(_ s: String, pad: UInt8 = 0x20) -> [UInt8] {
    let b = Array(s.utf8)
    return b.count % 2 == 0 ? b : b + [pad]
  }

  /// An explicit VR little endian element (long form for OB, SQ, UN, ...).
  static func explicit(_ g: UInt16, _ e: UInt16, _ vr: String, _ value: [UInt8], length: UInt32? = nil) -> [UInt8] {
    let long = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"].contains(vr)
    let n = length ?? UInt32(value.count)
    return tag(g, e) + Array(vr.utf8) + (long ? [0, 0] + u32(n) : u16(UInt16(n))) + value
  }

  /// An implicit VR little endian element.
  static func implicit(_ g: UInt16, _ e: UInt16, _ value: [UInt8], length: UInt32? = nil) -> [UInt8] {
    tag(g, e) + u32(length ?? UInt32(value.count)) + value
  }

  static func item(_ content: [UInt8], undefinedLength: Bool = true) -> [UInt8] {
    undefinedLength
      ? tag(0xFFFE, 0xE000) + u32(undefined) + content + tag(0xFFFE, 0xE00D) + u32(0)
      : tag(0xFFFE, 0xE000) + u32(UInt32(content.count)) + content
  }

  static let sequenceEnd = tag(0xFFFE, 0xE0DD) + u32(0)

  /// Preamble, `DICM`, a file meta group naming `syntax`, then `dataset`.
  static func part10(syntax: String, dataset: [UInt8], preamble: Bool = true) -> [UInt8] {
    let meta =
      explicit(0x0002, 0x0001, "OB", [0, 1]) + explicit(0x0002, 0x0002, "UI", text("1.2.840.10008.5.1.4.1.1.4", pad: 0))
      + explicit(0x0002, 0x0010, "UI", text(syntax, pad: 0))
    let group = explicit(0x0002, 0x0000, "UL", u32(UInt32(meta.count)))
    return (preamble ? [UInt8](repeating: 0, count: 128) : []) + Array("DICM".utf8) + group + meta + dataset
  }

  /// A small MR-like dataset in explicit VR: description, rows/columns, spacing, then 4x2 16-bit pixels.
  static func explicitImage(pixels: [UInt8] = [UInt8](repeating: 7, count: 16)) -> [UInt8] {
    explicit(0x0008, 0x0008, "CS", text("DERIVED\\PRIMARY\\DIXON\\WATER"))
      + explicit(0x0008, 0x103E, "LO", text("Dixon_BH_17s_W"))
      + explicit(0x0028, 0x0010, "US", u16(4)) + explicit(0x0028, 0x0011, "US", u16(2))
      + explicit(0x0028, 0x0030, "DS", text("2.232142925\\2.232142925"))
      + explicit(0x7FE0, 0x0010, "OW", pixels)
  }

  static func implicitImage(pixels: [UInt8] = [UInt8](repeating: 7, count: 16)) -> [UInt8] {
    implicit(0x0008, 0x0008, text("DERIVED\\PRIMARY\\DIXON\\WATER"))
      + implicit(0x0008, 0x103E, text("Dixon_BH_17s_W"))
      + implicit(0x0028, 0x0010, u16(4)) + implicit(0x0028, 0x0011, u16(2))
      + implicit(0x0028, 0x0030, text("2.232142925\\2.232142925"))
      + implicit(0x7FE0, 0x0010, pixels)
  }
}
