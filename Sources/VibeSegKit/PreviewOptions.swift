import Foundation

/// A slice direction of the preview mosaic, in the canonical display orientation (see `Preview`).
public enum PreviewView: String, CaseIterable, Sendable, Codable {
  /// Slices across S (feet to head): patient right on the viewer's left, anterior at the top.
  case axial
  /// Slices across A: patient right on the viewer's left, superior at the top.
  case coronal
  /// Slices across R: anterior on the viewer's left, superior at the top.
  case sagittal
}

/// What to draw and how; every field has a default that suits a quick look at one subject.
public struct PreviewOptions: Sendable {
  /// Rows of the mosaic, top to bottom. Default all three. Must be non-empty without repeats.
  public var views: [PreviewView] = PreviewView.allCases
  /// Slices per view (1...64), default 5, evenly spread over the labelled extent (see `Preview`).
  public var slicesPerView = 5
  /// Label ids to overlay and list; nil (default) means every id present.
  public var labels: Set<Int>? = nil
  /// Opacity of the label colours over the image, 0...1 (default 0.4): a labelled pixel becomes
  /// `round((1 - alpha) · gray + alpha · colour)` per channel, rounding half to even.
  public var alpha = 0.4
  /// Names shown in the legend; ids without a name are shown as `label <id>`. Default:
  /// TotalVibeSegmentator's names (`LabelColorTable.totalVibeNames`).
  public var labelNames: [Int: String] = LabelColorTable.totalVibeNames
  /// Pixels along the largest physical extent of the volume (16...4096, default 320). One display
  /// pixel is `largest extent in mm / tileSize` mm in every view, so aspect ratios are true.
  public var tileSize = 320
  /// Intensity window: these percentiles (NumPy's default linear method) of all finite image
  /// voxels, background included, map to black and white. Default 0.5 and 99.5.
  public var lowerPercentile = 0.5
  public var upperPercentile = 99.5
  /// Pixel size of a font pixel in the captions and legend (1...4, default 2).
  public var fontScale = 2
  /// Encode the PNG with `PNG_IMAGE_FLAG_FAST` (larger file, faster). Default false.
  public var fastPNG = false

  public init() {}

  /// Checks every field; the message names the command-line flag.
  public func validate() throws(VibeSegKitError) {
    func refuse(_ flag: String, _ message: String) -> VibeSegKitError {
      VibeSegKitError(.invalidOption, message, option: flag)
    }
    guard !views.isEmpty, Set(views).count == views.count else {
      throw refuse("--views", "name each of axial, coronal, sagittal at most once, at least one")
    }
    guard (1...64).contains(slicesPerView) else { throw refuse("--slices", "must be 1...64, got \(slicesPerView)") }
    guard alpha >= 0 && alpha <= 1 else { throw refuse("--alpha", "must be between 0 and 1, got \(alpha)") }
    guard (16...4096).contains(tileSize) else {
      throw refuse("--tile-size", "must be 16...4096 pixels, got \(tileSize)")
    }
    guard (1...4).contains(fontScale) else { throw refuse("--font-scale", "must be 1...4, got \(fontScale)") }
    guard lowerPercentile >= 0, upperPercentile <= 100, lowerPercentile < upperPercentile else {
      throw refuse("--window", "percentiles must satisfy 0 <= lower < upper <= 100")
    }
    if let labels, labels.isEmpty || labels.contains(where: { !(1...65535).contains($0) }) {
      throw refuse("--labels", "label ids must be 1...65535 and at least one must be given")
    }
  }

  /// Parses `--labels` (`LabelSelection`'s syntax: ids 1...65535, ranges, names looked up in
  /// `names`), e.g. `1,2,5-7` or `liver,spleen`.
  ///
  /// - Throws: `VibeSegKitError.Code.invalidOption` / `.unknownLabel` naming `--labels`.
  public static func parseLabelList(_ text: String, names: [Int: String] = LabelColorTable.totalVibeNames) throws(VibeSegKitError) -> Set<Int> {
    Set(try LabelSelection.resolve([text], names: names, option: "--labels", ids: 1...65535))
  }

}
