/// Value decoders. Each accessor returns nil when the element is absent (or empty) and throws
/// `DICOMError.invalidValue`, naming the file and the tag, when it is present but does not decode:
/// bad data throws, it is never replaced by a default.
///
/// In implicit VR the reader knows no VR, so the accessor's own type decides how the bytes are
/// read; in explicit VR a VR that contradicts the accessor (and is not `UN`) is refused.
extension DICOMHeader {
  /// A single string value (LO, SH, PN, DA, TM, UI, CS, ...), trimmed of padding; nil when absent
  /// or empty.
  public func string(_ tag: DICOMTag) -> String? {
    guard let element = element(tag), !element.isSequence else { return nil }
    let text = DICOMText.trimmed(DICOMText.decode(element.value))
    return text.isEmpty ? nil : text
  }

  /// A multi-valued string (CS such as ImageType: `ORIGINAL\PRIMARY\M\ND`), split at backslashes,
  /// each value trimmed; empty when absent.
  public func strings(_ tag: DICOMTag) -> [String] {
    guard let element = element(tag), !element.isSequence, !element.value.isEmpty else { return [] }
    return DICOMText.decode(element.value).split(separator: "\\", omittingEmptySubsequences: false).map {
      DICOMText.trimmed(String($0))
    }
  }

  /// Decimal strings (DS). Each value must be a plain decimal number (`[+-]digits[.digits][e[+-]digits]`,
  /// no `nan`, `inf` or hexadecimal, which Swift's `Double(_:)` would accept) and finite.
  ///
  /// - Parameter count: the required number of values (VM), when fixed.
  public func decimals(_ tag: DICOMTag, count: Int? = nil) throws -> [Double]? {
    guard let values = try textValues(tag, allowedVRs: ["DS"]) else { return nil }
    if let count, values.count != count {
      throw invalid(tag, "\(values.count) values where \(count) are required")
    }
    return try values.map { text in
      guard Self.isDecimalString(text), let value = Double(text), value.isFinite else {
        throw invalid(tag, "'\(DICOMText.printable(text))' is not a decimal number")
      }
      return value
    }
  }

  /// One decimal string (DS) value.
  public func decimal(_ tag: DICOMTag) throws -> Double? { try decimals(tag, count: 1)?.first }

  /// One integer string (IS) value: `[+-]digits`, within a 32-bit signed range (PS3.5).
  public func integer(_ tag: DICOMTag) throws -> Int? {
    guard let values = try textValues(tag, allowedVRs: ["IS"]) else { return nil }
    guard values.count == 1 else { throw invalid(tag, "\(values.count) values where 1 is required") }
    let text = values[0]
    let digits = text.hasPrefix("+") || text.hasPrefix("-") ? text.dropFirst() : Substring(text)
    guard !digits.isEmpty, digits.count <= 10, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
      let value = Int(text.hasPrefix("+") ? String(text.dropFirst()) : text), (-(1 << 31)..<(1 << 31)).contains(value)
    else { throw invalid(tag, "'\(DICOMText.printable(text))' is not an integer string") }
    return value
  }

  /// Unsigned 16-bit values (US); nil when absent.
  public func unsignedShorts(_ tag: DICOMTag) throws -> [Int]? {
    try binary(tag, width: 2, allowedVRs: ["US"]).map { $0.map { Int(UInt16(truncatingIfNeeded: $0)) } }
  }

  /// One unsigned 16-bit value (US: Rows, Columns, BitsAllocated ...).
  public func unsignedShort(_ tag: DICOMTag) throws -> Int? { try single(tag, try unsignedShorts(tag)) }

  /// Signed 16-bit values (SS).
  public func signedShorts(_ tag: DICOMTag) throws -> [Int]? {
    try binary(tag, width: 2, allowedVRs: ["SS"]).map { $0.map { Int(Int16(truncatingIfNeeded: $0)) } }
  }

  /// Unsigned 32-bit values (UL).
  public func unsignedLongs(_ tag: DICOMTag) throws -> [Int]? {
    try binary(tag, width: 4, allowedVRs: ["UL"]).map { $0.map { Int(UInt32(truncatingIfNeeded: $0)) } }
  }

  /// One unsigned 32-bit value (UL).
  public func unsignedLong(_ tag: DICOMTag) throws -> Int? { try single(tag, try unsignedLongs(tag)) }

  // MARK: - Helpers

  static func isDecimalString(_ text: String) -> Bool {
    var chars = Substring(text)
    if chars.first == "+" || chars.first == "-" { chars.removeFirst() }
    var mantissaDigits = 0, sawDot = false
    while let c = chars.first, c.isASCII, c.isNumber || c == "." {
      if c == "." {
        if sawDot { return false }
        sawDot = true
      } else {
        mantissaDigits += 1
      }
      chars.removeFirst()
    }
    guard mantissaDigits > 0 else { return false }
    guard let e = chars.first else { return true }
    guard e == "e" || e == "E" else { return false }
    chars.removeFirst()
    if chars.first == "+" || chars.first == "-" { chars.removeFirst() }
    return !chars.isEmpty && chars.allSatisfy { $0.isASCII && $0.isNumber }
  }

  private func textValues(_ tag: DICOMTag, allowedVRs: Set<String>) throws -> [String]? {
    guard let element = element(tag), !element.value.isEmpty else { return nil }
    try checkVR(element, allowedVRs)
    let values = strings(tag)
    if let empty = values.firstIndex(where: \.isEmpty) {
      throw invalid(tag, "value \(empty + 1) of \(values.count) is empty")
    }
    return values
  }

  private func binary(_ tag: DICOMTag, width: Int, allowedVRs: Set<String>) throws -> [UInt64]? {
    guard let element = element(tag), !element.value.isEmpty else { return nil }
    try checkVR(element, allowedVRs)
    guard element.value.count % width == 0 else {
      throw invalid(tag, "\(element.value.count) bytes is not a multiple of \(width)")
    }
    return stride(from: 0, to: element.value.count, by: width).map { start in
      (0..<width).reduce(UInt64(0)) { $0 | UInt64(element.value[start + $1]) << (8 * UInt64($1)) }
    }
  }

  private func single(_ tag: DICOMTag, _ values: [Int]?) throws -> Int? {
    guard let values else { return nil }
    guard values.count == 1 else { throw invalid(tag, "\(values.count) values where 1 is required") }
    return values[0]
  }

  private func checkVR(_ element: DICOMElement, _ allowed: Set<String>) throws {
    guard element.isSequence == false else { throw invalid(element.tag, "a sequence where a value is required") }
    if let vr = element.vr, vr != "UN", !allowed.contains(vr) {
      throw invalid(element.tag, "VR \(vr) where \(allowed.sorted().joined(separator: " or ")) is required")
    }
  }

  private func invalid(_ tag: DICOMTag, _ message: String) -> DICOMError {
    DICOMError(.invalidValue, message, path: path, tag: tag.label)
  }
}
