/// Why a TotalVibeSegmentator-style run (`segment`, `combine`, `spine`, `labels`) could not go on.
///
/// `message` says what is wrong and how to fix it; `path` names the file involved and `option` the
/// setting that was refused. `underlying` keeps the causing error (a `NiftiError`, `PlansError`,
/// `ModelZooError` ...) when there is one.
public struct SegmentationError: Error, CustomStringConvertible, Sendable {
  public enum Code: String, Sendable, CaseIterable {
    /// An input file does not exist or cannot be opened.
    case missingInput
    /// An input cannot be segmented (4-D without a volume index, no orientation, not a label map ...).
    case invalidInput
    /// Inputs that must share a grid (contrasts of one subject, a label map and its image) do not.
    case gridMismatch
    /// A setting is out of range or contradicts another.
    case invalidOption
    /// A structure name or id is not in the model's label registry.
    case unknownLabel
    /// The model is not installed and cannot be downloaded, or its folder is unusable.
    case modelUnavailable
    /// An output file (or its temporary sibling) could not be created or moved into place.
    case cannotCreateOutput
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
