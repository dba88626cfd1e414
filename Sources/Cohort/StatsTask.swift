import Foundation
import NiftiIO
import VibeSegKit

/// `--task stats`: per-label statistics of existing label maps, as `vibeseg stats SEG [--image
/// ...]` computes them (`SegmentationStatistics.run`). Channel 0 of a case is the label map;
/// further channels (CSV `channel_1`, ...) are intensity images named `image1`, `image2`, ...
/// Writes `statisticsCSV` and `statisticsJSON`; with `--preview`, the labels over channel 1.
public final class StatsTask: CohortTask, @unchecked Sendable {
  public static let kind = "stats"
  /// Its inputs are label maps: BIDS discovery keeps `*_msk` files.
  public static let readsSegmentations = true
  public let fingerprint: [String: String] = [:]
  public let modelLabel: String? = nil

  public init(_ options: CohortTaskOptions) throws {}

  public func prepare() throws {}

  public func load(_ item: CohortCase) throws -> [NiftiImage] {
    try item.inputs.map { try ImageInput.read($0).image }
  }

  public func run(_ item: CohortCase, _ images: [NiftiImage]) throws -> CaseProducts {
    let request = StatisticsRequest(
      segmentation: item.inputs[0],
      images: item.inputs.dropFirst().enumerated().map { (name: "image\($0.offset + 1)", url: $0.element) })
    let report = try SegmentationStatistics.run(request)
    return CaseProducts(
      background: images.dropFirst().first, previewSegmentation: images[0], statistics: report,
      warnings: report.warnings)
  }
}
