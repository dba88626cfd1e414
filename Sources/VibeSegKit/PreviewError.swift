/// Why a preview picture or a cohort report could not be made.
///
/// `message` says what is wrong and how to fix it; `path` names the file involved (input, output or
/// label-name file) and `option` the setting that was refused (`--alpha`, `--labels` ...).
/// `underlying` keeps the error that caused this one (a `NiftiError`, an `OrientationError`, a
/// POSIX failure) when there is one.
public struct PreviewError: Error, CustomStringConvertible, Sendable {
  public enum Code: String, Sendable, CaseIterable {
    /// An input file (segmentation, image, label names) does not exist or cannot be opened.
    case missingInput
    /// The segmentation and the image do not share one voxel grid (shape or affine differ).
    case gridMismatch
    /// The segmentation is not a label map: negative, fractional or non-finite values, ids above
    /// 65535, or more than one volume (4-D).
    case notALabelMap
    /// The image cannot be shown: 4-D, or its affine has no orientation.
    case unsupportedImage
    /// A setting is out of range (alpha, slice count, tile size, label list) or a label-name file is
    /// malformed.
    case invalidOption
    /// The output file (or its temporary sibling) could not be created or moved into place.
    case cannotCreateOutput
    /// Writing failed at the operating-system level, or the PNG encoder failed.
    case ioFailure
  }

  public var code: Code
  public var message: String
  public var path: String?
  public var option: String?
  public var underlying: (any Error & Sendable)?

  public init(
    _ code: Code, _ message: String, path: String? = nil, option: String? = nil,
    underlying: (any Error & Sendable)? = nil
  ) {
    self.code = code
    self.message = message
    self.path = path
    self.option = option
    self.underlying = underlying
  }

  /// `path: option: message`, the parts that are known.
  public var description: String {
    (path.map { "\($0): " } ?? "") + (option.map { "\($0): " } ?? "") + message
  }
}
