#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// How the engine runs stride-1 3x3x3 convolutions (`UNet.Options.convolutionAlgorithm`).
public enum ConvolutionAlgorithm: String, Hashable, Sendable, CaseIterable {
  /// Winograd F(2x2x2, 3x3x3) on the layers `WinogradConvolution.isWorthwhile` picks (measured,
  /// BENCHMARKS.md), oneDNN's direct convolution on the others.
  case auto
  /// oneDNN's direct convolution on every layer.
  case direct
  /// Winograd on every eligible layer (3x3x3, stride 1, after the first), whatever its size
  /// (tests and benchmarks).
  case winograd

  /// The environment variable that sets the algorithm of the command-line tools' networks
  /// (an expert switch, like `VIBESEG_DCM2NIIX`): `auto` (also when unset or empty), `direct`,
  /// `winograd`.
  public static let environmentVariable = "VIBESEG_CONV"

  /// The algorithm `VIBESEG_CONV` names (`parse`).
  public static func fromEnvironment() throws -> ConvolutionAlgorithm {
    try parse(environmentValue: getenv(environmentVariable).map { String(cString: $0) })
  }

  /// `value` of `VIBESEG_CONV`: nil or empty is `.auto`.
  ///
  /// - Throws: `EngineError(.invalidInput)` naming the variable and the accepted values when it
  ///   holds anything else.
  public static func parse(environmentValue value: String?) throws -> ConvolutionAlgorithm {
    guard let value, !value.isEmpty else { return .auto }
    guard let algorithm = ConvolutionAlgorithm(rawValue: value) else {
      throw EngineError(
        .invalidInput,
        "\(environmentVariable)=\(value) is not a convolution algorithm; use one of \(allCases.map(\.rawValue).joined(separator: ", "))"
      )
    }
    return algorithm
  }
}
