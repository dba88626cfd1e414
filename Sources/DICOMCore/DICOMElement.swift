/// One top-level data element as read: its tag, VR (explicit VR only) and value bytes.
public struct DICOMElement: Sendable, Equatable {
  public var tag: DICOMTag
  /// The VR as written in explicit VR; nil in implicit VR (the reader keeps no dictionary).
  public var vr: String?
  /// The value bytes; empty for a sequence, whose items are walked for structure and dropped.
  public var value: [UInt8]
  /// A sequence (explicit VR `SQ`, or an undefined length in implicit VR).
  public var isSequence: Bool
  /// Byte offset of the value in the file.
  public var offset: Int

  public init(tag: DICOMTag, vr: String?, value: [UInt8], isSequence: Bool = false, offset: Int = 0) {
    self.tag = tag
    self.vr = vr
    self.value = value
    self.isSequence = isSequence
    self.offset = offset
  }
}

/// The VRs of PS3.5 table 6.2-1.
enum ValueRepresentation {
  static let all: Set<String> = [
    "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "OB", "OD", "OF", "OL", "OV", "OW",
    "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV",
  ]
  /// VRs whose explicit-VR header has two reserved bytes and a 32-bit length (PS3.5 7.1.2).
  static let longLength: Set<String> = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]

  static func isVR(_ a: UInt8, _ b: UInt8) -> Bool {
    all.contains(String(decoding: [a, b], as: UTF8.self))
  }
}
