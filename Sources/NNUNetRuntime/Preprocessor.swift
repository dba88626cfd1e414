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
  /// Round the normalised channels to float16 (TPTBox), see `PredictionOptions.float16Input`.
  var float16Output = false

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
      try Self.requireFinite(data[c].values, channel: c, stage: nil)
      try IntensityNormalization.apply(configuration.normalizationSchemes[c], to: &data[c].values,
        useMask: configuration.useMaskForNorm[c], mask: croppedMask.values,
        properties: plans.foregroundIntensityProperties[c], channel: c)
      if float16Output {
        data[c].values.withUnsafeMutableBufferPointer { b in for n in b.indices { b[n] = Float(Float16(b[n])) } }
      }
      try Self.requireFinite(data[c].values, channel: c, stage: configuration.normalizationSchemes[c])
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

  /// The non-finite rule (README, "Reliability"): a NaN or infinite value in a channel, or one
  /// produced by normalisation (intensities so large that float32 sums overflow), is an error.
  /// nnU-Net itself would carry the NaN through every tile and its argmax would return an empty
  /// label map without a word; we refuse instead.
  ///
  /// - Parameter stage: nil for the raw channel, else the normalisation that was just applied.
  /// - Throws: `PlansError.invalidInput` naming the channel and the number of such values.
  static func requireFinite(_ values: [Float], channel: Int, stage: NormalizationScheme?) throws {
    var count = 0
    values.withUnsafeBufferPointer { buffer in
      for v in buffer {
        // v - v is 0 for finite v, NaN for NaN and ±infinity (one compare, vectorises).
        if v - v != 0 { count += 1 }
      }
    }
    guard count > 0 else { return }
    if let stage {
      throw PlansError(
        .invalidInput,
        "\(stage.rawValue) of channel \(channel) produced \(count) non-finite values: the intensities are too large for float32 arithmetic; rescale the image's intensities (e.g. to the scanner's usual range) and try again",
        path: "input")
    }
    throw PlansError(
      .invalidInput,
      "channel \(channel) holds \(count) non-finite values (NaN or infinite, in the image or produced from its intensities by resampling); a prediction over them would be meaningless. Replace them (e.g. by 0) or rescale the intensities first",
      path: "input")
  }
}
