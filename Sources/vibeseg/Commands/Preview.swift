import ArgumentParser
import Foundation
import NiftiIO
import VibeSegKit

extension VibeSegCommand {
  struct Preview: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Draw a PNG of a segmentation over its image: slices in up to three views and a legend.",
      discussion: """
        Both files must share one voxel grid. The picture shows the volume in LPS display orientation \
        (radiological: patient right on the viewer's left; anterior left in sagittal tiles), square \
        millimetres per pixel in every view, slices spread evenly over the extent of the shown labels. \
        The image is windowed from its 0.5th to 99.5th intensity percentile (all finite voxels). \
        Labels are blended in fixed colours per id (docs/preview.md) and listed in a legend: every shown \
        id present in the volume. Names default to TotalVibeSegmentator's; --label-names takes \
        {"1": "spleen", ...} or an nnU-Net dataset.json. The PNG is written to a temporary file and \
        renamed into place.

        Examples:
          vibeseg preview seg.nii.gz --image water.nii.gz -o qc.png
          vibeseg preview seg.nii.gz --image water.nii.gz -o liver.png --labels liver --views axial
        """)

    @Argument(help: "Segmentation: a label map (.nii or .nii.gz) with whole ids 0...65535.")
    var segmentation: String

    @Option(help: "The image the segmentation was made from: PATH or NAME=PATH (default: the input recorded in the map's sidecar by segment).")
    var image: String?

    @Option(name: .shortAndLong, help: "Output .png file.")
    var output: String

    @Option(help: "Comma-separated views, one mosaic row each, in this order.")
    var views = "axial,coronal,sagittal"

    @Option(help: "Slices per view, 1...64.")
    var slices = 5

    @Option(help: "Labels to overlay and list: ids, ranges or names, e.g. 1,2,5-7 or liver,spleen (default: all present).")
    var labels: String?

    @Option(help: "Opacity of the label colours, 0...1.")
    var alpha = 0.4

    @Option(help: "Label names: a vibeseg sidecar, a dataset.json, {\"1\": \"spleen\"}, {\"spleen\": 1} or an ITK-SNAP label file (default: the sidecar beside the map).")
    var labelNames: String?

    @Option(help: "Pixels along the volume's largest physical extent, 16...4096.")
    var tileSize = 320

    @Option(help: "Font pixel size of captions and legend, 1...4.")
    var fontScale = 2

    @Flag(help: "Replace an existing output (never one of the inputs).")
    var overwrite = false

    /// The options these flags describe (validated), without the label names.
    func options() throws -> PreviewOptions {
      var options = PreviewOptions()
      options.views = try views.split(separator: ",", omittingEmptySubsequences: false).map { name in
        let trimmed = name.trimmingCharacters(in: .whitespaces).lowercased()
        guard let view = PreviewView(rawValue: trimmed) else {
          throw ValidationError("--views: '\(name)' is not one of axial, coronal, sagittal")
        }
        return view
      }
      options.slicesPerView = slices
      options.alpha = alpha
      options.tileSize = tileSize
      options.fontScale = fontScale
      do {
        // Syntax here; names are looked up in run(), once the map's label names are known.
        if let labels { _ = try LabelSelection.parse([labels], option: "--labels", ids: 1...65535) }
        try options.validate()
      } catch {
        throw ValidationError(error.description)
      }
      return options
    }

    func validate() throws {
      _ = try options()
      guard output.lowercased().hasSuffix(".png") else {
        throw ValidationError("--output must end in .png")
      }
    }

    func run() throws {
      try reportingErrors {
        let segmentationURL = URL(fileURLWithPath: segmentation)
        guard let imageURL = try image.map({ URL(fileURLWithPath: try ImageArgument($0).path) })
          ?? Provenance.recordedInput(besides: segmentationURL)
        else {
          throw ValidationError("give the image with --image (no sidecar beside \(segmentation) records the input it was made from)")
        }
        let outputs = try OutputTransaction(
          outputs: [URL(fileURLWithPath: output)], inputs: [segmentationURL, imageURL], overwrite: overwrite)
        var options = try options()
        if let labelNames {
          options.labelNames = try PreviewLabelNames.load(contentsOf: URL(fileURLWithPath: labelNames))
        } else if let sidecar = LabelNameFile.sidecar(besides: URL(fileURLWithPath: segmentation)) {
          options.labelNames = sidecar.names
        }
        if let labels { options.labels = try PreviewOptions.parseLabelList(labels, names: options.labelNames) }
        let preview = try VibeSegKit.Preview(
          segmentationAt: segmentationURL, imageAt: imageURL, options: options)
        try preview.writePNG(to: URL(fileURLWithPath: output), in: outputs)
        try outputs.commit()
        printWritten([output])
      }
    }
  }
}
