import Foundation

/// Writes `DICOMDataset`s as explicit VR little endian (`1.2.840.10008.1.2.1`), the only syntax
/// VibeSeg writes. The rules that readers and `dciodvfy` enforce (dicom.md 3.1, "encoding rules
/// that bite"):
///
/// - tags strictly ascending in every dataset and item (`DICOMDataset.tags` is sorted);
/// - even value lengths: an odd value gets one pad byte, NUL for UI, OB and UN, a space for text;
/// - VRs of `ValueRepresentation.longLength` (OB, SQ, UT ...) take 2 reserved bytes and a 32-bit
///   length, the others a 16-bit length, so their values may be at most 65,534 bytes;
/// - sequences and items use undefined length with delimiters (PS3.5 7.5.2), so no length has to
///   be known before an item is written.
///
/// Complexity: linear in the output size; the result is built in one `[UInt8]`.
public enum DICOMEncoder {
  /// The dataset's elements, in tag order.
  ///
  /// - Throws: `DICOMError.invalidValue` for an unknown VR, a short-form value over 65,534 bytes,
  ///   or a group 0xFFFE tag.
  public static func encode(_ dataset: DICOMDataset) throws -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(encodedLength(dataset))
    try append(dataset, to: &out)
    return out
  }

  /// A Part-10 file: 128-byte preamble, `DICM`, the file meta group (with its group length),
  /// then `dataset`. `meta` holds the group 0002 elements other than (0002,0000); (0002,0001) and
  /// (0002,0010) are added when absent (version `00\01`, explicit VR little endian).
  ///
  /// With `deflate` (Deflated Explicit VR Little Endian, `1.2.840.10008.1.2.1.99`, PS3.5 A.5): the
  /// encoded dataset is handed to `deflate` (raw RFC 1951 deflate, no zlib or gzip wrapper) and its
  /// result follows the meta group, padded with one NUL byte to even length; the caller sets
  /// `meta`'s TransferSyntaxUID to that syntax.
  public static func part10(
    meta: DICOMDataset, dataset: DICOMDataset, deflate: (([UInt8]) throws -> [UInt8])? = nil
  ) throws -> [UInt8] {
    try check(dataset)
    var out = try filePrefix(meta: meta, reserving: encodedLength(dataset))
    if let deflate {
      out += try deflate(try encode(dataset))
      if out.count % 2 == 1 { out.append(0) }
      return out
    }
    try append(dataset, to: &out)
    return out
  }

  /// A Part-10 file (as `part10`, no deflate) up to and including the header of one last
  /// element, `tag` with long-length VR `vr` and a value of `length` bytes, which the caller
  /// appends itself: for values too large to hold twice (a SEG's packed bits are built straight
  /// into the returned array, whose capacity already holds them). `tag` must follow every tag of
  /// `dataset`; `length` must be even.
  ///
  /// - Throws: `DICOMError.invalidValue` as `part10`, or for a tag, VR or length that breaks these
  ///   rules.
  public static func part10Prefix(
    meta: DICOMDataset, dataset: DICOMDataset, trailing tag: DICOMTag, vr: String, length: Int
  ) throws -> [UInt8] {
    try check(dataset)
    guard dataset.tags.last.map({ $0 < tag }) ?? true, ValueRepresentation.longLength.contains(vr),
      length >= 0, length % 2 == 0, length < 0xFFFF_FFFF
    else {
      throw DICOMError(
        .invalidValue, "a trailing \(vr) element of \(length) bytes after the dataset", path: "<encoder>",
        tag: tag.label)
    }
    var out = try filePrefix(meta: meta, reserving: encodedLength(dataset) + 12 + length)
    try append(dataset, to: &out)
    appendTag(tag, to: &out)
    out += Array(vr.utf8) + [0, 0]
    appendUInt32(UInt32(length), to: &out)
    return out
  }

  static func check(_ dataset: DICOMDataset) throws {
    guard dataset.tags.allSatisfy({ $0.group > 0x0002 }) else {
      throw DICOMError(.invalidValue, "dataset elements must come after group 0002", path: "<encoder>")
    }
  }

  /// Preamble, `DICM` and the meta group with its length, in an array with room for `reserving`
  /// more bytes (reserved once: a SEG's pixel data is tens of MB, and growing by doubling would
  /// hold two copies at the moment of a reallocation).
  static func filePrefix(meta: DICOMDataset, reserving: Int) throws -> [UInt8] {
    var meta = meta
    if meta[DICOMTag(0x0002, 0x0001)] == nil { meta.set(DICOMTag(0x0002, 0x0001), "OB", bytes: [0, 1]) }
    if meta[.transferSyntaxUID] == nil {
      meta.set(.transferSyntaxUID, "UI", text: TransferSyntax.explicitVRLittleEndian.uid)
    }
    guard meta.tags.allSatisfy({ $0.group == 0x0002 && $0 != .fileMetaGroupLength }) else {
      throw DICOMError(
        .invalidValue, "file meta elements must be group 0002 (without the group length)", path: "<encoder>")
    }
    let metaBytes = try encode(meta)
    var length = DICOMDataset()
    length.set(.fileMetaGroupLength, unsignedLongs: [UInt32(metaBytes.count)])
    var out = [UInt8]()
    out.reserveCapacity(132 + 12 + metaBytes.count + reserving)
    out += [UInt8](repeating: 0, count: 128) + Array("DICM".utf8)
    out += try encode(length)
    out += metaBytes
    return out
  }

  /// The value padded to even length (see the type's documentation).
  public static func padded(_ value: [UInt8], vr: String) -> [UInt8] {
    guard value.count % 2 == 1 else { return value }
    return value + [["UI", "OB", "UN"].contains(vr) ? 0 : 0x20]
  }

  /// The number of bytes `encode` writes for `dataset` (headers, padding, delimiters).
  public static func encodedLength(_ dataset: DICOMDataset) -> Int {
    dataset.entries.reduce(0) { total, pair in
      switch pair.value.value {
      case .sequence(let items): return total + 12 + items.reduce(0) { $0 + 16 + encodedLength($1) } + 8
      case .bytes(let raw):
        let padded = raw.count + raw.count % 2
        return total + (ValueRepresentation.longLength.contains(pair.value.vr) ? 12 : 8) + padded
      }
    }
  }

  static func append(_ dataset: DICOMDataset, to out: inout [UInt8]) throws {
    for tag in dataset.tags {
      let entry = dataset[tag]!
      guard tag.group != 0xFFFE else {
        throw DICOMError(
          .invalidValue, "item and delimiter tags are not elements", path: "<encoder>", tag: tag.description)
      }
      guard ValueRepresentation.all.contains(entry.vr) else {
        throw DICOMError(.invalidValue, "unknown VR '\(entry.vr)'", path: "<encoder>", tag: tag.label)
      }
      appendTag(tag, to: &out)
      out += Array(entry.vr.utf8)
      switch entry.value {
      case .sequence(let items):
        guard entry.vr == "SQ" else {
          throw DICOMError(.invalidValue, "items under VR \(entry.vr)", path: "<encoder>", tag: tag.label)
        }
        out += [0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
        for item in items {
          appendTag(.item, to: &out)
          out += [0xFF, 0xFF, 0xFF, 0xFF]
          try append(item, to: &out)
          appendTag(.itemDelimitation, to: &out)
          out += [0, 0, 0, 0]
        }
        appendTag(.sequenceDelimitation, to: &out)
        out += [0, 0, 0, 0]
      case .bytes(let raw):
        let value = padded(raw, vr: entry.vr)
        if ValueRepresentation.longLength.contains(entry.vr) {
          guard value.count < 0xFFFF_FFFF else {
            throw DICOMError(.invalidValue, "a value of \(value.count) bytes", path: "<encoder>", tag: tag.label)
          }
          out += [0, 0]
          appendUInt32(UInt32(value.count), to: &out)
        } else {
          guard value.count <= 0xFFFE else {
            throw DICOMError(
              .invalidValue, "\(value.count) bytes exceed the 16-bit length of VR \(entry.vr)", path: "<encoder>",
              tag: tag.label)
          }
          out += [UInt8(value.count & 0xFF), UInt8(value.count >> 8)]
        }
        out += value
      }
    }
  }

  static func appendTag(_ tag: DICOMTag, to out: inout [UInt8]) {
    out += [UInt8(tag.group & 0xFF), UInt8(tag.group >> 8), UInt8(tag.element & 0xFF), UInt8(tag.element >> 8)]
  }

  static func appendUInt32(_ v: UInt32, to out: inout [UInt8]) {
    out += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
  }
}

/// Decimal strings (DS, PS3.5 table 6.2-1): at most 16 characters from `0-9 + - E e .`.
public enum DICOMDecimalString {
  /// The shortest text that reads back as `value` (Swift's round-trip description, without a
  /// trailing `.0`) when it fits in 16 characters; else `%.Ng` with the largest N that fits.
  /// `-0` is written `0`. rt-utils' 19-character coordinates failed dciodvfy (dicom.md 3.1).
  ///
  /// - Precondition: `value` is finite (callers check geometry before writing).
  public static func format(_ value: Double) -> String {
    precondition(value.isFinite, "DICOMDecimalString: \(value) is not finite")
    if value == 0 { return "0" }
    var text = "\(value)"
    if text.hasSuffix(".0") { text.removeLast(2) }
    if text.count <= 16 && !text.contains("inf") { return text }
    for digits in stride(from: 16, through: 1, by: -1) {
      let candidate = String(format: "%.\(digits)g", value)
      if candidate.count <= 16 { return candidate }
    }
    return String(format: "%.1g", value)
  }
}
