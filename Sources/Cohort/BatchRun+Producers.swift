import Foundation
import NiftiIO
import VibeSegKit

/// The files a case writes, as producers: the label map, `--stats` and `--preview` (computed here
/// from the case's products when the task did not), and the task's extras.
extension BatchRun {
  /// The files to write for a case, in order: label map, statistics, preview, extras.
  func producers(_ item: CohortCase, _ products: CaseProducts, context: RunContext) throws
    -> [(OutputRole, (URL) throws -> Void)]
  {
    var result = [(OutputRole, (URL) throws -> Void)]()
    var writeOptions = NiftiWriteOptions()
    writeOptions.threads = options.taskOptions.writeThreads
    if let labelMap = products.labelMap {
      result.append((.labelMap, { try labelMap.write(to: $0, options: writeOptions) }))
    }
    var statistics = products.statistics
    if statistics == nil && options.statistics, let labels = products.labels {
      let images = products.background.map { [(name: "image", values: $0.scaledVolume(as: Double.self))] } ?? []
      var statisticsOptions = StatisticsOptions()
      if let names = products.labelNames { statisticsOptions.registry = StatisticsLabelRegistry(names: names) }
      statistics = try SegmentationStatistics.compute(
        labels: labels, images: images, options: statisticsOptions,
        source: context.layout.relativePath(.labelMap, for: item))
    }
    if let statistics {
      result.append((.statisticsCSV, { try ReportFile.write(statistics.csv, to: $0) }))
      result.append((.statisticsJSON, { try ReportFile.write(try ReportFile.json(statistics), to: $0) }))
    }
    if options.preview {
      guard let segmentation = products.labelMap ?? products.previewSegmentation, let image = products.background else {
        throw BatchError(.invalidArgument, "--preview: this task gave no image to draw on", path: item.inputs[0].path)
      }
      var previewOptions = PreviewOptions()
      if let names = products.labelNames { previewOptions.labelNames = names }
      let preview = try Preview(
        segmentation: segmentation, image: image, options: previewOptions,
        segmentationPath: context.layout.relativePath(.labelMap, for: item),
        imagePath: item.inputs.last?.path)
      result.append((.preview, { try preview.writePNG(to: $0) }))
    }
    for extra in products.extras { result.append((extra.role, extra.write)) }
    return result
  }
}
