/// Why a cohort run (`vibeseg batch`, `batch-report`) could not start or finish.
///
/// Per-case failures are recorded in the manifest, not thrown; this error is for the run itself
/// (unreadable case list, unusable output folder, corrupt manifest, bad shard spec).
public struct BatchError: Error, CustomStringConvertible, Sendable {
  public enum Code: String, Sendable, CaseIterable {
    case invalidArgument
    case missingInput
    case manifestFailure
    case cannotCreateOutput
  }

  public var code: Code
  public var message: String
  public var path: String?
  public var underlying: (any Error & Sendable)?

  public init(_ code: Code, _ message: String, path: String? = nil, underlying: (any Error & Sendable)? = nil) {
    self.code = code
    self.message = message
    self.path = path
    self.underlying = underlying
  }

  public var description: String { (path.map { "\($0): " } ?? "") + message }
}
