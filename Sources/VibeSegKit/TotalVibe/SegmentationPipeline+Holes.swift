import Morphology
import VolumeCore

extension SegmentationPipeline {
  /// Upstream `fill_holes_()` on the final label map: per label in ascending order, background
  /// not 6-connected to the volume border becomes that label, only where voxels are still 0
  /// (`HoleFilling.filledHoles`, TPTBox `fill_holes` in 3-D).
  func fillingHoles(_ labels: Volume<UInt8>) throws -> Volume<UInt8> {
    HoleFilling.filledHoles(labels)
  }
}
