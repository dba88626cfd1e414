import VolumeCore

/// Why a volume could not be reoriented (nibabel raises `ValueError` / `OrientationError` /
/// `LinAlgError` in the same situations).
public struct OrientationError: Error, Sendable, CustomStringConvertible {
  public enum Code: Sendable, Hashable {
    /// The affine is non-finite or rank-deficient: `io_orientation` leaves a voxel axis without a
    /// world axis, so there is no permutation to a target orientation.
    case undeterminedOrientation
  }

  public var code: Code
  /// What is wrong and how to fix it.
  public var message: String
  /// The affine whose orientation was asked for.
  public var affine: Affine

  public init(code: Code, message: String, affine: Affine) {
    self.code = code
    self.message = message
    self.affine = affine
  }

  public var description: String { message }
}
