/// Why a DICOM file (or a path given as DICOM input) was rejected.
///
/// `message` says what is wrong and, where it helps, what to do; `path` names the file and `tag`
/// the element (`(0020,0032) ImagePositionPatient`, `file meta`, `pixel data` ...).
public struct DICOMError: Error, CustomStringConvertible, Sendable, Equatable {
  public enum Code: String, Sendable, CaseIterable {
    /// The path does not exist or cannot be opened.
    case fileNotFound
    /// Not a DICOM file at all (no `DICM` marker at byte 0 or 128, not a bare dataset).
    case notDICOM
    /// The file ends before an element or the pixel data it declares.
    case truncated
    /// The element stream breaks the encoding rules: odd or impossible lengths, an unknown VR,
    /// items outside a sequence, sequences nested too deep, a missing file meta element.
    case malformed
    /// An element decodes to a value we refuse (a DS that is not a number, 5 values where 3 are
    /// required, a missing required attribute).
    case invalidValue
    /// Valid DICOM we do not read: big-endian or deflated transfer syntaxes, unknown ones.
    case unsupported
    /// A declared size exceeds a resource cap (header prefix, element length, file count).
    case tooLarge
    /// An input form this version does not read yet (a zip archive).
    case unsupportedInput
    /// Reading failed at the operating-system level.
    case ioFailure
  }

  public var code: Code
  public var message: String
  public var path: String
  /// The element or part of the file the message is about, when there is one.
  public var tag: String?

  public init(_ code: Code, _ message: String, path: String, tag: String? = nil) {
    self.code = code
    self.message = message
    self.path = path
    self.tag = tag
  }

  public var description: String {
    "\(path): \(tag.map { "\($0): " } ?? "")\(message)"
  }
}
