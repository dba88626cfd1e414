/// A DICOM dataset as a tree, for writing (the DICOM-SEG writer builds one) and for reading back
/// what was written (`DICOMDataset.parse`): every element with its VR and either value bytes or the
/// items of a sequence. Unlike `DICOMHeader`, which keeps only top-level values of a bounded
/// prefix, this keeps sequence contents and the pixel data.
///
/// ```swift
/// var item = DICOMDataset()
/// item.set(.codeValue, "CS", text: "121322")
/// var ds = DICOMDataset()
/// ds.set(.purposeOfReferenceCodeSequence, items: [item])
/// ds.set(.imagePositionPatient, decimals: [-3.5, 12.25, -40])   // DS, each value <= 16 characters
/// let bytes = try DICOMEncoder.encode(ds)                        // explicit VR LE, tags ascending
/// ```
///
/// Values are stored unpadded or padded; the encoder pads odd lengths (UI with NUL, OB/UN with 0,
/// text with a space). Setting a tag again replaces it.
public struct DICOMDataset: Sendable, Equatable {
  public enum Value: Sendable, Equatable {
    case bytes([UInt8])
    case sequence([DICOMDataset])
  }

  public struct Entry: Sendable, Equatable {
    public var vr: String
    public var value: Value
  }

  public private(set) var entries: [DICOMTag: Entry] = [:]

  public init() {}

  /// The tags in ascending order (the order they are encoded in).
  public var tags: [DICOMTag] { entries.keys.sorted() }

  public subscript(tag: DICOMTag) -> Entry? {
    get { entries[tag] }
    set { entries[tag] = newValue }
  }

  // MARK: - Setters

  public mutating func set(_ tag: DICOMTag, _ vr: String, bytes: [UInt8]) {
    entries[tag] = Entry(vr: vr, value: .bytes(bytes))
  }

  /// A string value (or several joined by backslashes); its bytes as UTF-8 (ASCII for every value
  /// VibeSeg writes itself; copied values keep their source bytes through `set(_:_:bytes:)`).
  public mutating func set(_ tag: DICOMTag, _ vr: String, text: String) {
    set(tag, vr, bytes: Array(text.utf8))
  }

  public mutating func set(_ tag: DICOMTag, _ vr: String, texts: [String]) {
    set(tag, vr, text: texts.joined(separator: "\\"))
  }

  /// DS values, each formatted by `DICOMDecimalString.format` (at most 16 characters).
  public mutating func set(_ tag: DICOMTag, decimals: [Double]) {
    set(tag, "DS", texts: decimals.map(DICOMDecimalString.format))
  }

  /// One IS value.
  public mutating func set(_ tag: DICOMTag, integer: Int) { set(tag, "IS", text: String(integer)) }

  /// US values, little endian.
  public mutating func set(_ tag: DICOMTag, unsignedShorts: [UInt16]) {
    set(tag, "US", bytes: unsignedShorts.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
  }

  /// UL values, little endian.
  public mutating func set(_ tag: DICOMTag, unsignedLongs: [UInt32]) {
    set(tag, "UL", bytes: unsignedLongs.flatMap { v in (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xFF) } })
  }

  /// AT values: each tag as group then element, little endian.
  public mutating func set(_ tag: DICOMTag, attributeTags: [DICOMTag]) {
    set(
      tag, "AT",
      bytes: attributeTags.flatMap {
        [UInt8($0.group & 0xFF), UInt8($0.group >> 8), UInt8($0.element & 0xFF), UInt8($0.element >> 8)]
      })
  }

  public mutating func set(_ tag: DICOMTag, items: [DICOMDataset]) {
    entries[tag] = Entry(vr: "SQ", value: .sequence(items))
  }

  // MARK: - Getters (reading back)

  /// The value bytes, nil for an absent tag or a sequence.
  public func bytes(_ tag: DICOMTag) -> [UInt8]? {
    guard case .bytes(let b)? = entries[tag]?.value else { return nil }
    return b
  }

  /// The items of a sequence, nil when absent or not a sequence.
  public func items(_ tag: DICOMTag) -> [DICOMDataset]? {
    guard case .sequence(let items)? = entries[tag]?.value else { return nil }
    return items
  }

  /// The text, trimmed of padding; nil when absent.
  public func string(_ tag: DICOMTag) -> String? {
    bytes(tag).map { DICOMText.trimmed(DICOMText.decode($0)) }
  }

  /// Backslash-separated values, each trimmed.
  public func strings(_ tag: DICOMTag) -> [String] {
    guard let text = bytes(tag).map({ DICOMText.decode($0) }), !text.isEmpty else { return [] }
    return text.split(separator: "\\", omittingEmptySubsequences: false).map { DICOMText.trimmed(String($0)) }
  }

  /// DS values parsed as `Double` (nil when absent or when one is not a number).
  public func decimals(_ tag: DICOMTag) -> [Double]? {
    let values = strings(tag)
    guard !values.isEmpty else { return nil }
    let parsed = values.compactMap(Double.init)
    return parsed.count == values.count ? parsed : nil
  }

  public func unsignedShorts(_ tag: DICOMTag) -> [Int]? {
    bytes(tag).map { b in stride(from: 0, to: b.count - 1, by: 2).map { Int(b[$0]) | Int(b[$0 + 1]) << 8 } }
  }

  public func unsignedLongs(_ tag: DICOMTag) -> [Int]? {
    bytes(tag).map { b in
      stride(from: 0, to: b.count - 3, by: 4).map {
        Int(b[$0]) | Int(b[$0 + 1]) << 8 | Int(b[$0 + 2]) << 16 | Int(b[$0 + 3]) << 24
      }
    }
  }
}
