/// Text handling for string values: decoding, trimming, and making untrusted text safe to print.
public enum DICOMText {
  /// The bytes as UTF-8 when they are valid UTF-8 (ASCII included), else as ISO 8859-1
  /// (`ISO_IR 100`, the usual Western European character set), one scalar per byte.
  public static func decode(_ bytes: [UInt8]) -> String {
    if let text = String(validating: bytes, as: UTF8.self) { return text }
    return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
  }

  /// Without the padding PS3.5 allows: leading and trailing spaces and trailing NULs.
  public static func trimmed(_ text: String) -> String {
    var scalars = Substring(text)
    while let last = scalars.last, last == " " || last == "\0" { scalars.removeLast() }
    while let first = scalars.first, first == " " { scalars.removeFirst() }
    return String(scalars)
  }

  /// Control characters (and DEL) written as `\u{..}` escapes: header strings are untrusted and
  /// reach terminals and logs (dicom.md 5.2).
  public static func printable(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
      if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
        out += "\\u{\(String(scalar.value, radix: 16))}"
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  static func hexBytes(_ bytes: [UInt8]) -> String {
    bytes.map { b in
      let digits = String(b, radix: 16, uppercase: true)
      return "0x" + (digits.count == 1 ? "0" : "") + digits
    }.joined(separator: " ")
  }
}
