/// The one error type of the InferenceEngine module.
///
/// `message` is a complete sentence for a person: what is wrong and how to fix it, starting with
/// the offending parameter key where there is one (the strict weight binding names the key with
/// the expected and found shapes, for example
/// `decoder.stages.2.convs.0.conv.weight: expected [64, 128, 3, 3, 3], found [64, 96, 3, 3, 3]`).
public struct EngineError: Error, CustomStringConvertible, Sendable {
  /// What kind of failure this is.
  public enum Code: Sendable, Hashable {
    /// The `ArchitectureSpec` is inconsistent (list lengths, kernel sizes, channel counts).
    case invalidArchitecture
    /// A parameter the network needs is absent from the weight source.
    case missingParameter
    /// A parameter has a different shape than the architecture implies.
    case shapeMismatch
    /// The weight source holds parameters the network does not have.
    case unexpectedParameters
    /// A tensor's value count disagrees with its own shape, or a value is not finite.
    case invalidWeightData
    /// The input's shape or value count does not fit the network.
    case invalidInput
    /// oneDNN returned an error status (out of memory, unsupported configuration).
    case backendFailure
  }

  public var code: Code
  public var message: String
  /// The parameter key the error is about, when there is one.
  public var key: String?

  public init(_ code: Code, _ message: String, key: String? = nil) {
    self.code = code
    self.message = message
    self.key = key
  }

  public var description: String { message }
}

/// `[64, 128, 3, 3, 3]`: the spelling of shapes in messages (PyTorch's `list(t.shape)`).
func describeShape(_ shape: [Int]) -> String {
  "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
