/// Why a cohort run (`vibeseg batch`, `batch-report`) could not start or finish.
///
/// Per-case failures are recorded in the manifest, not thrown; this error is for the run itself
/// (unreadable case list, unusable output folder, corrupt or unwritable manifest, bad shard spec,
/// shard already being run by another process).
public struct BatchError: Error, CustomStringConvertible, Sendable {
  public enum Code: String, Sendable, CaseIterable {
    case invalidArgument
    case missingInput
    case manifestFailure
    case cannotCreateOutput
    /// Another process holds this shard's lock (`ShardLock`): exit 75 (EX_TEMPFAIL, try later).
    case locked
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
