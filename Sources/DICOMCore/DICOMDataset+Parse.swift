/// Reading a whole explicit VR little endian Part-10 file into `DICOMDataset` trees: the file
/// meta group and the dataset with every sequence item and the pixel data. Meant for reading back
/// what VibeSeg wrote (tests, `vibeseg` self-checks); images to segment go through the bounded
/// `DICOMHeader` reader instead.
///
/// Untrusted bytes are handled as in `HeaderParser`: every length is checked against the bytes left
/// before it is used, odd lengths are refused, nesting is capped, defined- and undefined-length
/// sequences and items are both read.
extension DICOMDataset {
  /// Parses `bytes` (a whole file). Implicit VR, big endian and deflated files are refused.
  ///
  /// - Throws: `DICOMError` — `.notDICOM` (no `DICM` at byte 128), `.unsupported` (another
  ///   transfer syntax), `.truncated`, `.malformed`.
  public static func parse(part10 bytes: [UInt8], path: String) throws -> (meta: DICOMDataset, dataset: DICOMDataset) {
    guard bytes.count >= 132, bytes[128..<132].elementsEqual("DICM".utf8) else {
      throw DICOMError(.notDICOM, "no DICM marker at byte 128", path: path)
    }
    var reader = TreeReader(bytes: bytes, path: path, position: 132)
    let meta = try reader.readDataset(end: nil, depth: 0, metaOnly: true)
    let syntax = meta.string(.transferSyntaxUID) ?? ""
    guard syntax == TransferSyntax.explicitVRLittleEndian.uid else {
      throw DICOMError(
        .unsupported, "transfer syntax '\(syntax)': only explicit VR little endian is read back", path: path)
    }
    let dataset = try reader.readDataset(end: nil, depth: 0, metaOnly: false)
    return (meta, dataset)
  }
}

struct TreeReader {
  let bytes: [UInt8]
  let path: String
  var position: Int
  static let maxDepth = 16
  static let undefined = 0xFFFF_FFFF

  /// Elements until `end` (a byte offset), an item delimiter (`end == nil` inside an
  /// undefined-length item, depth > 0), or the end of the bytes; `metaOnly` stops before the first
  /// tag outside group 0002.
  mutating func readDataset(end: Int?, depth: Int, metaOnly: Bool) throws -> DICOMDataset {
    var dataset = DICOMDataset()
    var previous: DICOMTag? = nil
    while position < (end ?? bytes.count) {
      let tag = try peekTag()
      if metaOnly && tag.group != 0x0002 { break }
      if tag == .itemDelimitation {
        guard depth > 0, end == nil else { throw malformed("item delimiter outside an undefined-length item", tag) }
        position += 4
        guard try readUInt32() == 0 else { throw malformed("item delimiter with a non-zero length", tag) }
        return dataset
      }
      position += 4
      guard tag.group != 0xFFFE else { throw malformed("item or delimiter tag outside a sequence", tag) }
      if let previous, !(previous < tag) { throw malformed("tags not in ascending order (after \(previous))", tag) }
      previous = tag
      try need(2)
      let vr = String(decoding: bytes[position..<position + 2], as: UTF8.self)
      guard ValueRepresentation.all.contains(vr) else {
        throw malformed("'\(DICOMText.printable(vr))' is not a VR", tag)
      }
      position += 2
      let length: Int
      if ValueRepresentation.longLength.contains(vr) {
        try need(2)
        position += 2
        length = try readUInt32()
      } else {
        length = try Int(readUInt16())
      }
      if vr == "SQ" {
        dataset.set(tag, items: try readItems(length: length, depth: depth + 1, owner: tag))
        continue
      }
      guard length != Self.undefined else { throw malformed("undefined length for VR \(vr)", tag) }
      guard length % 2 == 0 else { throw malformed("odd value length \(length)", tag) }
      try need(length)
      dataset.set(tag, vr, bytes: Array(bytes[position..<position + length]))
      position += length
    }
    if let end, position != end { throw malformed("an item's elements overrun its length", nil) }
    guard depth == 0 || end != nil else {
      throw DICOMError(.truncated, "the file ends inside an undefined-length item", path: path)
    }
    return dataset
  }

  mutating func readItems(length: Int, depth: Int, owner: DICOMTag) throws -> [DICOMDataset] {
    guard depth <= Self.maxDepth else { throw malformed("sequences nested deeper than \(Self.maxDepth) levels", owner) }
    let end: Int? = length == Self.undefined ? nil : position + length
    if let end { try need(end - position) }
    var items: [DICOMDataset] = []
    while end.map({ position < $0 }) ?? true {
      let tag = try peekTag()
      position += 4
      let itemLength = try readUInt32()
      if tag == .sequenceDelimitation {
        guard end == nil, itemLength == 0 else { throw malformed("unexpected sequence delimiter", owner) }
        return items
      }
      guard tag == .item else { throw malformed("expected an item, found \(tag)", owner) }
      if itemLength == Self.undefined {
        items.append(try readDataset(end: nil, depth: depth, metaOnly: false))
      } else {
        guard itemLength % 2 == 0 else { throw malformed("odd item length \(itemLength)", owner) }
        try need(itemLength)
        items.append(try readDataset(end: position + itemLength, depth: depth, metaOnly: false))
      }
    }
    if let end, position != end { throw malformed("items overrun the sequence length", owner) }
    return items
  }

  func need(_ count: Int) throws {
    guard count <= bytes.count - position else {
      throw DICOMError(
        .truncated, "the file ends \(count - (bytes.count - position)) bytes short at byte \(position)", path: path)
    }
  }

  func peekTag() throws -> DICOMTag {
    try need(4)
    return DICOMTag(
      UInt16(bytes[position]) | UInt16(bytes[position + 1]) << 8,
      UInt16(bytes[position + 2]) | UInt16(bytes[position + 3]) << 8)
  }

  mutating func readUInt16() throws -> UInt16 {
    try need(2)
    defer { position += 2 }
    return UInt16(bytes[position]) | UInt16(bytes[position + 1]) << 8
  }

  mutating func readUInt32() throws -> Int {
    try need(4)
    defer { position += 4 }
    return Int(bytes[position]) | Int(bytes[position + 1]) << 8 | Int(bytes[position + 2]) << 16 | Int(
      bytes[position + 3]) << 24
  }

  func malformed(_ message: String, _ tag: DICOMTag?) -> DICOMError {
    DICOMError(.malformed, message, path: path, tag: tag?.label)
  }
}
