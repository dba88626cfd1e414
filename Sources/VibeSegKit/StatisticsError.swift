/// Why `vibeseg stats` could not compute its report.
///
/// `message` says what is wrong and what to do; `context` names the file or flag.
public struct StatisticsError: Error, CustomStringConvertible, Sendable {
  public enum Code: String, Sendable, CaseIterable {
    /// An input file is missing or unreadable.
    case missingInput
    /// The segmentation is not a label map (non-integer or negative values).
    case nonIntegerLabels
    /// An image is not on the segmentation's grid.
    case gridMismatch
    /// `--labels` names a label that the label table does not know.
    case unknownLabel
    /// The `--label-names` file is not a JSON id -> name object.
    case invalidLabelFile
    /// An image argument is malformed (`--image NAME=PATH`).
    case invalidArgument
    /// The output could not be written.
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
