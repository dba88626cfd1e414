import DICOMCore
import Foundation
import Testing

/// The writer-side element encoder: even lengths, ascending tags, DS formatting, and reading its
/// output back with both readers (the bounded header reader and the tree reader).
@Suite("DICOM element encoder")
struct DICOMEncoderTests {
  /// PS3.5 DS grammar: optional sign, digits with at most one dot, optional exponent.
  static func isDS(_ text: String) -> Bool {
    text.count <= 16
      && text.range(of: #"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"#, options: .regularExpression) != nil
  }

  @Test(
    "DS values: at most 16 characters, valid grammar, read back close to the value",
    arguments: [
      0.0, -0.0, 1e-7, -1e-7, 123456789.123, -1234567.12345678901, 1.0 / 3.0, -2.0 / 3.0, 1e300, -4.9e-324, 2.232142925,
      -179.4, 0.70710678118654757, 12345678901234567890.0,
    ])
  func decimalStrings(value: Double) {
    let text = DICOMDecimalString.format(value)
    #expect(Self.isDS(text), "\(value) -> '\(text)'")
    let back = Double(text)!
    let tolerance = max(abs(value) * 1e-9, 1e-300)
    #expect(
      abs(back - value) <= tolerance || (value != 0 && abs(back - value) / abs(value) < 1e-9), "\(value) -> \(text)")
    if value == 0 { #expect(text == "0") }
  }

  @Test("short values round-trip exactly (no needless digits)")
  func exactDecimals() {
    #expect(DICOMDecimalString.format(-40) == "-40")
    #expect(DICOMDecimalString.format(2.5) == "2.5")
    #expect(DICOMDecimalString.format(123456789.123) == "123456789.123")
  }

  @Test("elements: ascending tags, even lengths, padding by VR, undefined-length sequences")
  func encoding() throws {
    var item = DICOMDataset()
    item.set(.codeMeaning, "LO", text: "Kidney")  // 6: even
    item.set(.codeValue, "SH", text: "64033007")
    var ds = DICOMDataset()
    ds.set(.seriesInstanceUID, "UI", text: "1.2.3")  // odd: NUL pad
    ds.set(.modality, "CS", text: "SEG")  // odd: space pad
    ds.set(.segmentSequence, items: [item, item])
    ds.set(.rows, unsignedShorts: [37])
    ds.set(.pixelData, "OB", bytes: [1, 2, 3])  // odd: zero pad
    ds.set(.imagePositionPatient, decimals: [-1234567.12345678901, 0.5, -0.0])
    let bytes = try DICOMEncoder.encode(ds)
    // Walk the top level independently of the encoder.
    var position = 0
    var previous: (UInt16, UInt16)? = nil
    var values: [String: [UInt8]] = [:]
    func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
    func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
    while position < bytes.count {
      let tag = (UInt16(u16(position)), UInt16(u16(position + 2)))
      if let previous { #expect(previous < tag, "tags out of order at \(position)") }
      previous = tag
      let vr = String(decoding: bytes[position + 4..<position + 6], as: UTF8.self)
      if vr == "SQ" {
        #expect(u32(position + 8) == 0xFFFF_FFFF)
        // Skip to the sequence delimiter (FFFE,E0DD) with length 0.
        var p = position + 12
        while !(u16(p) == 0xFFFE && u16(p + 2) == 0xE0DD) { p += 2 }
        #expect(u32(p + 4) == 0)
        position = p + 8
        continue
      }
      let long = ["OB", "OW", "UN", "UT"].contains(vr)
      let length = long ? u32(position + 8) : u16(position + 6)
      let start = position + (long ? 12 : 8)
      #expect(length % 2 == 0, "odd length for \(vr)")
      values[vr] = Array(bytes[start..<start + length])
      position = start + length
    }
    #expect(values["UI"] == Array("1.2.3".utf8) + [0])
    #expect(values["CS"] == Array("SEG ".utf8))
    #expect(values["OB"] == [1, 2, 3, 0])
    let ds16 = String(decoding: values["DS"]!, as: UTF8.self).trimmingCharacters(in: .whitespaces).split(
      separator: "\\")
    #expect(ds16.count == 3 && ds16.allSatisfy { Self.isDS(String($0)) })
  }

  @Test("a Part-10 file reads back through the header reader and the tree reader")
  func roundTrip() throws {
    var code = DICOMDataset()
    code.set(.codeValue, "SH", text: "7771000")
    code.set(.codingSchemeDesignator, "SH", text: "SCT")
    var type = DICOMDataset()
    type.set(.codeValue, "SH", text: "64033007")
    type.set(.segmentedPropertyTypeModifierCodeSequence, items: [code])
    var ds = DICOMDataset()
    ds.set(.sopInstanceUID, "UI", text: "2.25.42")
    ds.set(.patientName, "PN", text: "Müller^Jörg")
    ds.set(.segmentSequence, items: [type])
    ds.set(.numberOfFrames, integer: 3)
    ds.set(.pixelData, "OB", bytes: [0xFF, 0x01])
    var meta = DICOMDataset()
    meta.set(.mediaStorageSOPClassUID, "UI", text: "1.2.840.10008.5.1.4.1.1.66.4")
    let file = try DICOMEncoder.part10(meta: meta, dataset: ds)
    let header = try DICOMHeader(bytes: file, path: "mem")
    #expect(header.transferSyntax == .explicitVRLittleEndian)
    #expect(header.string(.sopInstanceUID) == "2.25.42")
    #expect(try header.integer(.numberOfFrames) == 3)
    #expect(header.pixelData?.length == 2)
    let (readMeta, back) = try DICOMDataset.parse(part10: file, path: "mem")
    #expect(readMeta.string(.transferSyntaxUID) == "1.2.840.10008.1.2.1")
    #expect(back.string(.patientName) == "Müller^Jörg")
    #expect(
      back.items(.segmentSequence)?.first?.items(.segmentedPropertyTypeModifierCodeSequence)?.first?.string(.codeValue)
        == "7771000")
    #expect(back.bytes(.pixelData) == [0xFF, 0x01])
  }

  @Test("part10Prefix + the trailing value appended = part10 with the value set; bad trailers refused")
  func trailingValue() throws {
    var ds = DICOMDataset()
    ds.set(.sopInstanceUID, "UI", text: "2.25.7")
    ds.set(.numberOfFrames, integer: 2)
    var meta = DICOMDataset()
    meta.set(.mediaStorageSOPClassUID, "UI", text: "1.2.840.10008.5.1.4.1.1.66.4")
    let value: [UInt8] = [1, 2, 3, 4, 5, 0]
    var prefix = try DICOMEncoder.part10Prefix(meta: meta, dataset: ds, trailing: .pixelData, vr: "OB", length: 6)
    #expect(prefix.capacity >= prefix.count + 6)
    prefix += value
    var whole = ds
    whole.set(.pixelData, "OB", bytes: value)
    #expect(prefix == (try DICOMEncoder.part10(meta: meta, dataset: whole)))
    // odd length, a short-length VR, a tag not after the dataset's last
    #expect(throws: DICOMError.self) {
      try DICOMEncoder.part10Prefix(meta: meta, dataset: ds, trailing: .pixelData, vr: "OB", length: 5)
    }
    #expect(throws: DICOMError.self) {
      try DICOMEncoder.part10Prefix(meta: meta, dataset: ds, trailing: .pixelData, vr: "LO", length: 6)
    }
    #expect(throws: DICOMError.self) {
      try DICOMEncoder.part10Prefix(meta: meta, dataset: whole, trailing: .sopInstanceUID, vr: "OB", length: 6)
    }
  }

  @Test("refused: a short-VR value over 65,534 bytes; a truncated file on read-back")
  func refusals() throws {
    var ds = DICOMDataset()
    ds.set(.seriesDescription, "LO", bytes: [UInt8](repeating: 0x41, count: 70_000))
    #expect(throws: DICOMError.self) { try DICOMEncoder.encode(ds) }
    var ok = DICOMDataset()
    ok.set(.segmentSequence, items: [DICOMDataset()])
    let file = try DICOMEncoder.part10(meta: DICOMDataset(), dataset: ok)
    #expect(throws: DICOMError.self) { try DICOMDataset.parse(part10: Array(file.dropLast(6)), path: "cut") }
  }
}
