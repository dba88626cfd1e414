/// The element-stream walker behind `DICOMHeader`. Every read goes through `need(_:what:)`, which
/// compares the requested length with the bytes left before any index is formed; lengths are
/// `Int` from `UInt32`, so no arithmetic here can overflow on a 64-bit platform.
struct HeaderParser {
  /// Thrown when the prefix ends inside the header but the file goes on and the cap allows a
  /// longer read.
  struct NeedMoreBytes: Error {}

  static let undefinedLength = 0xFFFF_FFFF

  let bytes: [UInt8]
  let fileSize: Int
  let path: String
  let limits: DICOMReadLimits
  var position = 0

  init(bytes: [UInt8], fileSize: Int, path: String, limits: DICOMReadLimits) {
    self.bytes = bytes
    self.fileSize = fileSize
    self.path = path
    self.limits = limits
  }

  mutating func parse() throws -> DICOMHeader {
    guard !bytes.isEmpty else { throw DICOMError(.notDICOM, "empty file", path: path) }
    let marker: [UInt8] = Array("DICM".utf8)
    if bytes.count >= 132, Array(bytes[128..<132]) == marker {
      position = 132
      return try parsePart10(layout: .part10)
    }
    if bytes.count >= 4, Array(bytes[0..<4]) == marker {
      position = 4
      return try parsePart10(layout: .part10WithoutPreamble)
    }
    return try parseBareDataset()
  }

  // MARK: - File layouts

  private mutating func parsePart10(layout: DICOMHeader.Layout) throws -> DICOMHeader {
    var meta: [DICOMTag: DICOMElement] = [:]
    while !(position == bytes.count && bytes.count == fileSize), try peekGroup() == 0x0002 {
      let element = try readElement(explicit: true, depth: 0)
      guard !element.isSequence else {
        throw DICOMError(.malformed, "a sequence in the file meta group", path: path, tag: element.tag.label)
      }
      guard meta[element.tag] == nil else {
        throw DICOMError(.malformed, "appears twice in the file meta group", path: path, tag: element.tag.label)
      }
      meta[element.tag] = element
    }
    guard let syntaxElement = meta[.transferSyntaxUID] else {
      throw DICOMError(.malformed, "the file meta group has no (0002,0010) TransferSyntaxUID", path: path, tag: "file meta")
    }
    let uid = DICOMText.trimmed(DICOMText.decode(syntaxElement.value))
    let syntax: TransferSyntax
    switch TransferSyntax.named(uid) {
    case .success(let s): syntax = s
    case .failure(let refused):
      throw DICOMError(.unsupported, refused.reason, path: path, tag: DICOMTag.transferSyntaxUID.label)
    }
    var header = DICOMHeader(
      path: path, layout: layout, fileSize: fileSize, transferSyntax: syntax, meta: meta, elements: [:], pixelData: nil)
    try parseDataset(into: &header)
    return header
  }

  private mutating func parseBareDataset() throws -> DICOMHeader {
    let notDICOM = DICOMError(.notDICOM, "no DICM marker at byte 128 or 0, and not a bare DICOM dataset", path: path)
    guard bytes.count >= 8, bytes[0] == 0x08, bytes[1] == 0x00 else { throw notDICOM }
    let explicit = ValueRepresentation.isVR(bytes[4], bytes[5])
    var header = DICOMHeader(
      path: path, layout: .bareDataset, fileSize: fileSize,
      transferSyntax: explicit ? .explicitVRLittleEndian : .implicitVRLittleEndian, meta: [:], elements: [:],
      pixelData: nil)
    do {
      try parseDataset(into: &header)
    } catch let error as DICOMError where [.malformed, .truncated, .tooLarge].contains(error.code) {
      // Without the marker a parse failure more likely means "some other file" than "broken DICOM".
      throw DICOMError(.notDICOM, "\(notDICOM.message) (\(error.message))", path: path)
    }
    return header
  }

  /// The top-level dataset: elements until (7FE0,0010) or the end of the file.
  private mutating func parseDataset(into header: inout DICOMHeader) throws {
    let explicit = header.transferSyntax.encoding == .explicitVRLittleEndian
    while true {
      if position == bytes.count && bytes.count == fileSize { return }  // no pixel data
      let tag = try peekTag()
      if tag == .pixelData {
        header.pixelData = try readPixelDataHeader(explicit: explicit, encapsulated: header.transferSyntax.isEncapsulated)
        return
      }
      let element = try readElement(explicit: explicit, depth: 0)
      guard header.elements[element.tag] == nil else {
        throw DICOMError(.malformed, "appears twice in the dataset", path: path, tag: element.tag.label)
      }
      header.elements[element.tag] = element
    }
  }

  // MARK: - Elements

  /// Reads one element header and value (or walks its sequence). Items and delimiters are not
  /// elements: meeting one here is an error.
  private mutating func readElement(explicit: Bool, depth: Int) throws -> DICOMElement {
    let tag = try readTag()
    guard tag.group != 0xFFFE else {
      throw DICOMError(.malformed, "item or delimiter tag outside a sequence at byte \(position - 4)", path: path, tag: tag.description)
    }
    var vr: String? = nil
    let length: Int
    if explicit {
      try need(2, what: "the VR of \(tag.label)")
      let (a, b) = (bytes[position], bytes[position + 1])
      let name = String(decoding: [a, b], as: UTF8.self)
      guard ValueRepresentation.all.contains(name) else {
        throw DICOMError(
          .malformed, "bytes \(DICOMText.hexBytes([a, b])) at \(position) are not a VR (explicit VR little endian expected)",
          path: path, tag: tag.label)
      }
      position += 2
      vr = name
      if ValueRepresentation.longLength.contains(name) {
        try need(6, what: "the length of \(tag.label)")
        position += 2  // reserved
        length = readUInt32()
      } else {
        try need(2, what: "the length of \(tag.label)")
        length = Int(readUInt16())
      }
    } else {
      try need(4, what: "the length of \(tag.label)")
      length = readUInt32()
    }
    let offset = position
    if length == Self.undefinedLength {
      // Explicit VR: only SQ, and UN (whose undefined-length value is an implicit VR sequence,
      // PS3.5 6.2.2). Implicit VR: an undefined length can only be a sequence.
      guard vr == nil || vr == "SQ" || vr == "UN" else {
        throw DICOMError(.malformed, "undefined length for VR \(vr!)", path: path, tag: tag.label)
      }
      try walkSequence(explicit: explicit && vr != "UN", depth: depth + 1, tag: tag)
      return DICOMElement(tag: tag, vr: vr, value: [], isSequence: true, offset: offset)
    }
    guard length % 2 == 0 else {
      throw DICOMError(.malformed, "odd value length \(length) (DICOM values have even lengths)", path: path, tag: tag.label)
    }
    let isSequence = vr == "SQ"
    guard isSequence || length <= limits.maxElementBytes else {
      throw DICOMError(
        .tooLarge, "value length \(length) exceeds the \(limits.maxElementBytes)-byte cap on one element", path: path,
        tag: tag.label)
    }
    try need(length, what: "the \(length)-byte value of \(tag.label)")
    let value = isSequence || depth > 0 ? [] : Array(bytes[position..<position + length])
    position += length
    return DICOMElement(tag: tag, vr: vr, value: value, isSequence: isSequence, offset: offset)
  }

  /// Walks an undefined-length sequence: items (defined length: skipped; undefined: their
  /// elements walked until the item delimiter) until the sequence delimiter.
  private mutating func walkSequence(explicit: Bool, depth: Int, tag owner: DICOMTag) throws {
    guard depth <= limits.maxSequenceDepth else {
      throw DICOMError(
        .malformed, "sequences nested deeper than \(limits.maxSequenceDepth) levels", path: path, tag: owner.label)
    }
    while true {
      let tag = try readTag()
      try need(4, what: "an item length in \(owner.label)")
      let length = readUInt32()
      if tag == .sequenceDelimitation {
        guard length == 0 else {
          throw DICOMError(.malformed, "sequence delimiter with length \(length) (must be 0)", path: path, tag: owner.label)
        }
        return
      }
      guard tag == .item else {
        throw DICOMError(
          .malformed, "expected an item (FFFE,E000) or the sequence delimiter, found \(tag)", path: path, tag: owner.label)
      }
      if length == Self.undefinedLength {
        try walkItem(explicit: explicit, depth: depth, owner: owner)
      } else {
        guard length % 2 == 0 else {
          throw DICOMError(.malformed, "odd item length \(length)", path: path, tag: owner.label)
        }
        try need(length, what: "a \(length)-byte item of \(owner.label)")
        position += length
      }
    }
  }

  /// The elements of an undefined-length item, up to its delimiter.
  private mutating func walkItem(explicit: Bool, depth: Int, owner: DICOMTag) throws {
    while true {
      if try peekTag() == .itemDelimitation {
        position += 4
        try need(4, what: "the item delimiter length in \(owner.label)")
        guard readUInt32() == 0 else {
          throw DICOMError(.malformed, "item delimiter with a non-zero length", path: path, tag: owner.label)
        }
        return
      }
      _ = try readElement(explicit: explicit, depth: depth)
    }
  }

  private mutating func readPixelDataHeader(explicit: Bool, encapsulated: Bool) throws -> DICOMHeader.PixelDataLocation {
    let start = position
    let tag = try readTag()
    var vr: String? = nil
    let length: Int
    if explicit {
      try need(8, what: "the header of \(tag.label)")
      let name = String(decoding: bytes[position..<position + 2], as: UTF8.self)
      guard ["OB", "OW", "UN"].contains(name) else {
        throw DICOMError(.malformed, "pixel data with VR '\(DICOMText.printable(name))' (OB or OW expected)", path: path, tag: tag.label)
      }
      vr = name
      position += 4
      length = readUInt32()
    } else {
      try need(4, what: "the length of \(tag.label)")
      length = readUInt32()
    }
    if length == Self.undefinedLength {
      guard encapsulated else {
        throw DICOMError(
          .malformed, "undefined pixel data length in a native (uncompressed) transfer syntax", path: path, tag: tag.label)
      }
      return .init(offset: position, length: nil, vr: vr)
    }
    guard length % 2 == 0 else {
      throw DICOMError(.malformed, "odd value length \(length) (DICOM values have even lengths)", path: path, tag: tag.label)
    }
    guard length <= fileSize - position else {
      throw DICOMError(
        .truncated,
        "pixel data at byte \(start) declares \(length) bytes; the file ends \(fileSize - position) bytes after its header",
        path: path, tag: tag.label)
    }
    return .init(offset: position, length: length, vr: vr)
  }

  // MARK: - Bounded primitive reads

  /// Checks that `count` more bytes are available before anything reads them.
  private func need(_ count: Int, what: String) throws {
    guard count > bytes.count - position else { return }
    if bytes.count < fileSize {
      if bytes.count < limits.maxHeaderBytes { throw NeedMoreBytes() }
      throw DICOMError(
        .tooLarge, "no pixel data within the first \(limits.maxHeaderBytes) bytes (the header cap) while reading \(what)",
        path: path)
    }
    throw DICOMError(
      .truncated, "the file ends at byte \(fileSize), \(count - (bytes.count - position)) bytes short of \(what)", path: path)
  }

  private func peekGroup() throws -> UInt16 {
    try need(2, what: "the next element")
    return UInt16(bytes[position]) | UInt16(bytes[position + 1]) << 8
  }

  private func peekTag() throws -> DICOMTag {
    try need(4, what: "the next element")
    return DICOMTag(
      UInt16(bytes[position]) | UInt16(bytes[position + 1]) << 8,
      UInt16(bytes[position + 2]) | UInt16(bytes[position + 3]) << 8)
  }

  private mutating func readTag() throws -> DICOMTag {
    let tag = try peekTag()
    position += 4
    return tag
  }

  /// Callers have checked `need(2)`.
  private mutating func readUInt16() -> UInt16 {
    defer { position += 2 }
    return UInt16(bytes[position]) | UInt16(bytes[position + 1]) << 8
  }

  /// Callers have checked `need(4)`.
  private mutating func readUInt32() -> Int {
    defer { position += 4 }
    return Int(bytes[position]) | Int(bytes[position + 1]) << 8 | Int(bytes[position + 2]) << 16
      | Int(bytes[position + 3]) << 24
  }
}
