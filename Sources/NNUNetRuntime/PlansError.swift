/// Why an nnU-Net model folder, its `plans.json` or `dataset.json` was refused.
public struct PlansError: Error, CustomStringConvertible, Sendable {
  public enum Code: String, Sendable {
    /// A required file or folder is missing.
    case missingFile
    /// A file is not valid JSON.
    case invalidJSON
    /// A field is missing or has the wrong type or value.
    case invalidField
    /// Valid nnU-Net, but something VibeSeg does not run (2-D, custom network classes, custom
    /// normalisation).
    case unsupported
    /// The input image, or a value computed from it (normalised intensities, logits), cannot be
    /// used: non-finite values, channels that do not match the model.
    case invalidInput
  }

  public var code: Code
  public var message: String
  /// The file (plans.json, dataset.json, a fold folder).
  public var path: String
  /// The field path inside the file, e.g. `configurations.3d_fullres.patch_size`.
  public var field: String?

  public init(_ code: Code, _ message: String, path: String, field: String? = nil) {
    self.code = code
    self.message = message
    self.path = path
    self.field = field
  }

  public var description: String { "\(path): \(field.map { "\($0): " } ?? "")\(message)" }
}
