/// Why a VibeSegKit job (`segment`, `combine`, `spine`, `labels`, `stats`, `preview`, cohort
/// reports) could not go on: the one error type of this module.
///
/// `message` says what is wrong and how to fix it; `path` names the file involved and `option` the
/// setting that was refused (`--alpha`, `--roi-subset` ...). `underlying` keeps the causing error
/// (a `NiftiError`, `PlansError`, `ModelZooError`, a POSIX failure) when there is one. The CLI maps
/// `code` to an exit status (reliability.md): 66 missing input; 65 rejected data; 64 usage;
/// 69 model or tool unavailable; 70 internal error; 73 cannot create output; 74 I/O.
public struct VibeSegKitError: Error, CustomStringConvertible, Sendable {
  public enum Code: String, Sendable, CaseIterable, Codable {
    /// An input file does not exist or cannot be opened.
    case missingInput
    /// An input cannot be used (4-D without a volume index, no orientation, labels out of range).
    case invalidInput
    /// A segmentation is not a label map: negative, fractional or non-finite values, ids above
    /// the supported range, or more than one volume.
    case notALabelMap
    /// Inputs that must share a grid (a label map and its image, contrasts of one subject) do not.
    case gridMismatch
    /// An image cannot be shown (4-D, no orientation).
    case unsupportedImage
    /// A label-name file is not a JSON object of id -> name.
    case invalidLabelFile
    /// A setting is out of range, malformed or contradicts another.
    case invalidOption
    /// A structure name or id is not in the label registry or the model.
    case unknownLabel
    /// The model is not installed and cannot be downloaded, or its folder is unusable.
    case modelUnavailable
    /// An external program VibeSeg needs (dcm2niix for compressed DICOM) is not installed.
    case toolUnavailable
    /// Something that cannot happen unless VibeSeg itself is wrong (dcm2niix says the input list
    /// VibeSeg wrote is missing).
    case internalError
    /// An output file (or its temporary sibling) could not be created or moved into place.
    case cannotCreateOutput
    /// Writing failed at the operating-system level, or an encoder failed.
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

  /// The statistics jobs' form: `context` is the file or flag concerned.
  public init(_ code: Code, _ message: String, context: String, underlying: (any Error)? = nil) {
    self.init(code, message, path: context, underlying: underlying as? any Error & Sendable)
  }

  /// The file or flag concerned (`path`, else `option`, else empty).
  public var context: String { path ?? option ?? "" }

  /// `path: option: message`, the parts that are known.
  public var description: String {
    (path.map { "\($0): " } ?? "") + (option.map { "\($0): " } ?? "") + message
  }
}
