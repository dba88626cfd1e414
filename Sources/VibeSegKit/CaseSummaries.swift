import Foundation
import NiftiIO
import VolumeCore

/// The per-case summaries `segment --stats/--preview` and `batch --stats/--preview` both write:
/// label statistics over the image the map was made from, and the QC picture — computed once, here.
public enum CaseSummaries {
  /// `SegmentationStatistics.compute` of `labels` with `background`'s intensities as the `image`
  /// column, label names from `names` (the map's own) when given.
  public static func statistics(labels: Volume<UInt16>, background: NiftiImage?, names: [Int: String]?, source: String) throws
    -> StatisticsReport
  {
    let images = background.map { [(name: "image", values: $0.scaledVolume(as: Double.self))] } ?? []
    var options = StatisticsOptions()
    if let names { options.registry = StatisticsLabelRegistry(names: names) }
    return try SegmentationStatistics.compute(labels: labels, images: images, options: options, source: source)
  }

  /// The QC picture of `segmentation` over `image` (default `PreviewOptions`, the map's names).
  public static func preview(
    segmentation: NiftiImage, image: NiftiImage, names: [Int: String]?, segmentationPath: String, imagePath: String?
  ) throws -> Preview {
    var options = PreviewOptions()
    if let names { options.labelNames = names }
    return try Preview(
      segmentation: segmentation, image: image, options: options, segmentationPath: segmentationPath, imagePath: imagePath)
  }
}
