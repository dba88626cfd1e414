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
      statistics = try CaseSummaries.statistics(
        labels: labels, background: products.background, names: products.labelNames,
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
      let preview = try CaseSummaries.preview(
        segmentation: segmentation, image: image, names: products.labelNames,
        segmentationPath: context.layout.relativePath(.labelMap, for: item), imagePath: item.inputs.last?.path)
      result.append((.preview, { try preview.writePNG(to: $0) }))
    }
    for extra in products.extras { result.append((extra.role, extra.write)) }
    return result
  }
}
