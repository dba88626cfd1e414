import Foundation
import NiftiIO
import VolumeCore

/// A quality-control picture of a segmentation over its image: a mosaic with one row per view
/// (axial, coronal, sagittal), a few slices per row, the label map blended over the windowed image in
/// the fixed colours of `LabelColorTable`, and a legend of the labels present.
///
/// ```swift
/// let preview = try Preview(segmentationAt: segURL, imageAt: imageURL)
/// try preview.writePNG(to: outURL)
/// ```
///
/// Geometry. Both volumes are read in the canonical display frame LPS (DICOM patient axes: i to the
/// patient's left, j posterior, k superior), found with nibabel's `io_orientation` as
/// `reoriented(to: .lps)` does, so any input orientation shows the same way: radiological
/// convention, patient right on the viewer's left in axial and coronal tiles, anterior on the left
/// in sagittal tiles, anterior/superior at the top. No voxels are copied; tiles read the file's
/// voxels through index maps. Every display pixel covers the same number of millimetres in every
/// view (`largest physical extent / tileSize`), so aspect ratios follow the voxel spacing; pixels
/// sample the nearest voxel at their centre (no interpolation: label edges stay crisp).
///
/// Slices. Each view shows `slicesPerView` slices (fewer when the extent is shorter) at the centres of
/// equal parts of the bounding box of the shown labels along the view's axis, or of the whole axis
/// when no shown label is present. Captions name the file axis and indices (`axial k=3,7,11`).
///
/// Intensities. `PreviewWindow.robust`: the 0.5th and 99.5th percentiles by default.
///
/// Legend. One entry per shown label id present anywhere in the volume (not only in the drawn
/// slices), ascending: a swatch in the label's colour (full opacity) and `<id> <name>`.
///
/// Complexity: one pass over the segmentation (validation and census) and one over the image
/// (histogram or selection), then O(canvas pixels).
public struct Preview: Sendable {
  /// One entry of the legend.
  public struct LegendEntry: Sendable, Equatable {
    public var id: Int
    public var name: String
    public var color: RGBColor
    /// Voxels with this id in the whole segmentation.
    public var voxelCount: Int
    /// The swatch's pixels on the canvas (filled with `color`).
    public var swatch: PixelRect
  }

  public var canvas: PreviewCanvas
  public var legend: [LegendEntry]
  public var tiles: [PreviewTile]
  public var window: PreviewWindow
  /// Millimetres per display pixel, the same along rows and columns of every tile.
  public var pixelSizeMillimeters: Double
}

extension Preview {
  /// Renders a preview from images in memory. `segmentationPath` and `imagePath` only name the
  /// files in error messages.
  ///
  /// - Throws: `VibeSegKitError`: `.invalidOption` (options), `.notALabelMap`, `.gridMismatch` (shapes
  ///   differ, or affines differ by more than 1e-3 in any entry: float32 header rounding stays far
  ///   below that), `.unsupportedImage` (4-D image, affine without orientation).
  public init(
    segmentation: NiftiImage, image: NiftiImage, options: PreviewOptions = PreviewOptions(),
    segmentationPath: String? = nil, imagePath: String? = nil
  ) throws(VibeSegKitError) {
    try options.validate()
    guard image.volume.channelCount == 1 else {
      throw VibeSegKitError(
        .unsupportedImage,
        "the image has \(image.volume.channelCount) volumes (4-D); pass one 3-D volume", path: imagePath)
    }
    let segGrid = segmentation.grid
    let imageGrid = image.grid
    guard segGrid.shape == imageGrid.shape, segGrid.affine.maxAbsDifference(to: imageGrid.affine) <= 1e-3 else {
      throw VibeSegKitError(
        .gridMismatch,
        "the segmentation's grid (shape \(segGrid.shape), affine \(segGrid.affine)) differs from the image's "
          + "(shape \(imageGrid.shape), affine \(imageGrid.affine)); a segmentation must lie on its image's voxel "
          + "grid: pass the image it was made from, or resample it onto that grid first",
        path: segmentationPath)
    }
    var shown = [Bool](repeating: options.labels == nil, count: 65536)
    shown[0] = false
    if let labels = options.labels { for id in labels { shown[id] = true } }
    let labels = try PreviewLabelMap(segmentation, path: segmentationPath, shown: shown)
    let frame = try PreviewFrame(grid: imageGrid)
    let window = PreviewWindow.robust(
      image.volume, scaling: image.scaling, lowerPercentile: options.lowerPercentile,
      upperPercentile: options.upperPercentile)
    self = Self.compose(
      labels: labels, shown: shown, image: image, frame: frame, window: window, options: options)
  }

  /// Reads both files (concurrently) and renders them; see `init(segmentation:image:options:)`.
  ///
  /// - Throws: `NiftiError` when a file is missing or not valid NIfTI (the segmentation's error
  ///   first), otherwise `VibeSegKitError`.
  public init(segmentationAt segmentationURL: URL, imageAt imageURL: URL, options: PreviewOptions = PreviewOptions())
    throws
  {
    try options.validate()
    let slots = ReadSlots()
    DispatchQueue.concurrentPerform(iterations: 2) { index in
      let url = index == 0 ? segmentationURL : imageURL
      slots.store(index, Result { try ImageInput.read(url).image })
    }
    let segmentation = try slots.take(0)
    let image = try slots.take(1)
    try self.init(
      segmentation: segmentation, image: image, options: options,
      segmentationPath: segmentationURL.path, imagePath: imageURL.path)
  }

  /// Writes the canvas as PNG, atomically or staged in `outputs` (`PreviewCanvas.writePNG(to:fast:in:)`).
  public func writePNG(to url: URL, fast: Bool = false, in outputs: OutputTransaction? = nil) throws(VibeSegKitError) {
    try canvas.writePNG(to: url, fast: fast, in: outputs)
  }
}

/// Two result slots filled by `concurrentPerform`, each index written by exactly one iteration and
/// read after the call returns (which orders the accesses), hence `@unchecked Sendable`.
private final class ReadSlots: @unchecked Sendable {
  private var results: [Result<NiftiImage, any Error>?] = [nil, nil]
  private let lock = NSLock()

  func store(_ index: Int, _ result: Result<NiftiImage, any Error>) {
    lock.lock()
    results[index] = result
    lock.unlock()
  }

  func take(_ index: Int) throws -> NiftiImage { try results[index]!.get() }
}
