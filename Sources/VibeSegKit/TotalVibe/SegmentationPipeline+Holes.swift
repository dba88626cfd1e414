import VolumeCore

extension SegmentationPipeline {
  /// Upstream `fill_holes_()` on the final label map (wired to Morphology's hole filling).
  func fillingHoles(_ labels: Volume<UInt8>) throws -> Volume<UInt8> {
    throw SegmentationError(.invalidOption, "--fill-holes is not available in this build yet", option: "--fill-holes")
  }
}
