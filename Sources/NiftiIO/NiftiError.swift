/// Why a NIfTI file was rejected or could not be written.
///
/// `message` says what is wrong and, where it helps, what to do; `path` names the file and
/// `field` the header field (`dim[2]`, `vox_offset`, `gzip trailer` ...).
public struct NiftiError: Error, CustomStringConvertible, Sendable {
  public enum Code: String, Sendable, CaseIterable {
    /// The file does not exist or cannot be opened.
    case fileNotFound
    /// Not a NIfTI-1/2 file at all (empty, too short, wrong magic or header size).
    case notNifti
    /// A header field holds a value we refuse (datatype, dims, vox_offset, scaling, transforms...).
    case invalidHeader
    /// The file ends before the data it declares.
    case truncated
    /// The gzip stream is damaged (CRC, length, deflate data, trailing garbage).
    case corruptCompression
    /// The declared size exceeds a resource cap or overflows.
    case tooLarge
    /// Valid NIfTI we do not support (e.g. RGB24, complex, 5-D+).
    case unsupported
    /// Reading or writing failed at the operating-system level.
    case ioFailure
    /// The output file could not be created.
    case cannotCreateOutput
  }

  public var code: Code
  public var message: String
  public var path: String
  public var field: String?

  public init(_ code: Code, _ message: String, path: String, field: String? = nil) {
    self.code = code
    self.message = message
    self.path = path
    self.field = field
  }

  public var description: String {
    "\(path): \(field.map { "\($0): " } ?? "")\(message)"
  }
}

/// A problem found in a header that does not prevent reading (nibabel's low-level "fixable"
/// checks): reported to the caller, never silently applied without a trace.
public struct NiftiWarning: Sendable, Equatable, CustomStringConvertible {
  public var field: String
  public var message: String
  public init(field: String, message: String) {
    self.field = field
    self.message = message
  }
  public var description: String { "\(field): \(message)" }
}
