import VolumeCore

/// Everything needed to map a prediction back onto the input (nnU-Net's `properties` dict, typed).
/// Shapes and boxes are in transposed axis order unless named otherwise.
public struct PreprocessingRecord: Sendable, Equatable {
  /// Reader-order (z, y, x) shape of the input: its NIfTI shape reversed.
  public var readerShape: [Int]
  /// Reader-order spacing (mm).
  public var readerSpacing: [Double]
  /// Spacing after `transpose_forward`.
  public var transposedSpacing: [Double]
  public var shapeBeforeCropping: [Int]
  /// Half-open crop box (`bbox_used_for_cropping`).
  public var cropLower: [Int]
  public var cropUpper: [Int]
  public var shapeAfterCropping: [Int]
  public var shapeAfterResampling: [Int]
}

/// nnU-Net's `DefaultPreprocessor.run_case` for inference (nnunet-inference.md 5): read order →
/// float32 → transpose → crop to non-zero → normalise → resample to the configuration's spacing.
struct Preprocessor {
  let plans: Plans
  let configuration: Configuration

  /// - Parameter channels: float32 channel volumes on one grid (checked by the caller).
  func prepare(_ channels: [Volume<Float>]) throws -> ([DenseArray<Float>], PreprocessingRecord) {
    let grid = channels[0].grid
    let readerShape = Array(grid.shape.reversed())
    let readerSpacing = Array(grid.spacingMillimeters.reversed())
    let tf = plans.transposeForward
    var data = channels.map { DenseArray(shape: readerShape, values: $0.voxels).transposed(tf) }
    let spacing = tf.map { readerSpacing[$0] }
    let shapeBeforeCropping = data[0].shape
    let mask = NonzeroCrop.mask(data)
    let box = NonzeroCrop.boundingBox(mask)
    data = data.map { $0.cropped(lower: box.lower, upper: box.upper) }
    let croppedMask = mask.cropped(lower: box.lower, upper: box.upper)
    let shapeAfterCropping = data[0].shape
    let newShape = try NNUNetResampling.newShape(shape: shapeAfterCropping, spacing: spacing, target: configuration.spacing)
    for c in data.indices {
      try IntensityNormalization.apply(configuration.normalizationSchemes[c], to: &data[c].values,
        useMask: configuration.useMaskForNorm[c], mask: croppedMask.values,
        properties: plans.foregroundIntensityProperties[c], channel: c)
    }
    let settings = configuration.dataResampling
    data = try data.map { channel in
      let resampled = try NNUNetResampling.resample(DenseArray(shape: channel.shape, values: channel.values.map(Double.init)),
        to: newShape, current: spacing, new: configuration.spacing, order: settings.order, orderZ: settings.orderZ,
        forceSeparateZ: settings.forceSeparateZ)
      return resampled.shape == channel.shape && newShape == channel.shape
        ? channel : DenseArray(shape: newShape, values: resampled.values.map { Float($0) })
    }
    let record = PreprocessingRecord(readerShape: readerShape, readerSpacing: readerSpacing, transposedSpacing: spacing,
      shapeBeforeCropping: shapeBeforeCropping, cropLower: box.lower, cropUpper: box.upper,
      shapeAfterCropping: shapeAfterCropping, shapeAfterResampling: newShape)
    return (data, record)
  }
}
