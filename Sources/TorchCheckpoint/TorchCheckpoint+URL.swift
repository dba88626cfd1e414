import Foundation

extension TorchCheckpoint {
  /// Opens a checkpoint file at a file URL.
  public init(contentsOf url: URL, limits: CheckpointLimits = .default) throws(CheckpointError) {
    try self.init(path: url.path, limits: limits)
  }
}
