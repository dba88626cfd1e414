/// Why an evaluation could not be computed.
///
/// `message` says what is wrong and what to do; `context` names the file, case or flag.
public struct EvaluationError: Error, CustomStringConvertible, Sendable {
  public enum Code: String, Sendable, CaseIterable, Codable {
    /// A label map holds a value that is not a whole number in 0...65535 (or NaN/Inf).
    case nonIntegerLabels
    /// Prediction and reference are not on the same voxel grid (shape or world geometry).
    case gridMismatch
    /// An input file or folder is missing.
    case missingInput
    /// Two samples to compare have different lengths, or too few values for a statistic.
    case invalidSample
    /// An output could not be written.
    case cannotCreateOutput
  }

  public var code: Code
  public var message: String
  public var context: String
  public var underlying: (any Error)?

  public init(_ code: Code, _ message: String, context: String, underlying: (any Error)? = nil) {
    self.code = code
    self.message = message
    self.context = context
    self.underlying = underlying
  }

  public var description: String { "\(context): \(message)" }
}
