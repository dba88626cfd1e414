import Foundation
import NNUNetRuntime
import VolumeCore
import VolumeTransforms

/// Settings of `vibeseg segment` that change the label map.
public struct SegmentationOptions: Sendable, Hashable, Codable {
  /// Sliding-window step as a fraction of the patch (upstream and nnU-Net: 0.5).
  public var stepSize = 0.5
  /// Mirroring test-time augmentation. Upstream never mirrors (`use_mirroring=False` in TPTBox
  /// `load_inf_model`); model 100's trainer does not allow it either.
  public var mirroring = false
  /// Upstream `crop=True`: predict only inside the bounding box of voxels > 20 of the first
  /// channel (after reorientation, rescaling and the float16 squash).
  public var crop = false
  /// Upstream `keep_size=True`: return the labels on the model's grid (reoriented and rescaled)
  /// instead of resampling them back onto the input grid.
  public var keepSize = false
  /// Upstream `fill_holes=True`: fill the holes of every label after resampling back.
  public var fillHoles = false
  /// Upstream `padd`: voxels of reflect padding on every side of every axis of every channel on
  /// the model grid, cut off again after prediction. 5 is the default of `run_vibeseg` and of
  /// VIBESegmentator's run script (`--padd`); 0 is `run_inference_on_file`'s own default.
  public var padding = 5

  public init() {}

  enum CodingKeys: String, CodingKey { case stepSize, mirroring, crop, keepSize, fillHoles, padding }

  /// Reads sidecars and manifests written before `padding` existed (it was always 0 then).
  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    stepSize = try c.decode(Double.self, forKey: .stepSize)
    mirroring = try c.decode(Bool.self, forKey: .mirroring)
    crop = try c.decode(Bool.self, forKey: .crop)
    keepSize = try c.decode(Bool.self, forKey: .keepSize)
    fillHoles = try c.decode(Bool.self, forKey: .fillHoles)
    padding = try c.decodeIfPresent(Int.self, forKey: .padding) ?? 0
  }
}

/// TotalVibeSegmentator's segmentation of one image as TPTBox 1.1.0 does it
/// (`run_inference_on_file`, `docs/tptbox-pipeline.md` has the step-by-step reading of its code),
/// with the network and nnU-Net's preprocessing done by `NNUNetRuntime.Predictor` in TPTBox's
/// numerics:
///
/// 1. reorient every channel to the model's `orientation` (axis permutation and flips only);
/// 2. squash (images): when the maximum exceeds 10000, divide by `max / 1000` — in float64 for
///    integer and float64 images, in float32 for float32 images (NumPy's promotion rules);
/// 3. rescale to `TotalVibeModel.targetSpacing` (TPTBox `rescale_(out_dtype=float16)`:
///    `RescaleGeometry` shape and affine, cubic B-spline with edge extension for images, order 0
///    for label channels, computed in float64, stored float32, then rounded to float16; skipped
///    within 1e-3 mm, then the values are rounded to float16 directly);
/// 4. optional crop to the bounding box of first-channel voxels > 20 (never undone);
/// 5. reflect padding of `options.padding` voxels on every side (`np.pad(mode="reflect")`);
/// 6. nnU-Net's prediction (`Predictor`: no mirroring, step 0.5, all folds) with TPTBox's
///    Gaussian (`ImportanceMap.tptbox`) and the normalised input rounded to float16;
/// 7. the padding cut off; labels back onto the input grid with nearest neighbour, scipy
///    `mode='nearest'`, where the input grid's affine is rounded to 7 decimals as TPTBox's `Grid`
///    does (`resample_from_to_(og, mode="nearest")`), unless `keepSize`.
///
/// A cascaded model (`roiModelID` set) first runs the ROI model through the same steps; its label
/// map on the input grid becomes channel 1 (a label channel: order 0 when rescaled), as
/// TotalVibeSegmentator's run script chains the two calls.
public struct SegmentationPipeline {
  public var model: TotalVibeModel
  public var roiModel: TotalVibeModel?
  public var options: SegmentationOptions
  /// Told what starts next ("ROI model 978 (folder)", "model ..."), for the CLI's progress lines.
  public var progress: ((String) -> Void)? = nil
  /// Told after every sliding-window tile of each model (`PredictionOptions.tileProgress`).
  public var tileProgress: (@Sendable (Int, Int) -> Void)? = nil

  /// - Throws: `VibeSegKitError.modelUnavailable` when `model` is cascaded and no `roiModel` is
  ///   given, or the channel counts do not fit (the main model must take 1 image channel plus the
  ///   ROI channel; the ROI model 1 channel).
  public init(model: TotalVibeModel, roiModel: TotalVibeModel? = nil, options: SegmentationOptions = SegmentationOptions()) throws {
    let expected = 1 + (model.roiModelID == nil ? 0 : 1)
    guard model.inputChannelCount == expected else {
      throw VibeSegKitError(
        .modelUnavailable,
        "the model takes \(model.inputChannelCount) channels; segment feeds \(expected) (the image\(expected == 2 ? " and the ROI model's labels" : ""))",
        path: model.folder.path)
    }
    if let id = model.roiModelID {
      guard let roiModel else {
        throw VibeSegKitError(
          .modelUnavailable, "the model is cascaded: it needs the labels of model \(id) as channel 1; give that model too",
          path: model.folder.path)
      }
      guard roiModel.inputChannelCount == 1, roiModel.roiModelID == nil else {
        throw VibeSegKitError(.modelUnavailable, "the ROI model must take exactly the image (1 channel, no ROI of its own)", path: roiModel.folder.path)
      }
    }
    self.model = model
    self.roiModel = model.roiModelID == nil ? nil : roiModel
    self.options = options
  }

  /// Segments `image` (one 3-D volume with an invertible affine, any scalar type, already scaled
  /// by the file's slope/intercept when it has one). Returns the label map on `image.grid`
  /// (or on the model's grid with `keepSize`).
  ///
  /// - Throws: `VibeSegKitError.invalidInput` for a 4-D image or labels above 255,
  ///   `OrientationError` for an affine without orientation, `ResamplingError` when the rescale
  ///   (or nnU-Net's resampling) would pass `ResamplingLimits.maxVoxels`, prediction errors from
  ///   nnU-Net's steps.
  public func segment(_ image: AnyVolume) throws -> Volume<UInt8> {
    guard image.channelCount == 1 else {
      throw VibeSegKitError(.invalidInput, "the image has \(image.channelCount) volumes; give one 3-D volume")
    }
    var channels: [(volume: AnyVolume, isLabel: Bool)] = [(image, false)]
    if let roiModel {
      progress?("ROI model \(roiModel.folder.deletingLastPathComponent().lastPathComponent) (\(roiModel.bundle.folds.count) fold(s))")
      let roi = try run(roiModel, channels: channels, keepSize: false)
      // Upstream's chain hands the main model the ROI map as TPTBox returned it: on the input
      // grid with the affine rounded to 7 decimals (`resample_from_to_` gives the target `Grid`'s
      // affine), while the image keeps the file's affine. On oblique inputs the ROI channel's own
      // rescale onto the model grid depends on that difference.
      let roiGrid = ImageGrid(shape: roi.grid.shape, affine: Self.roundedToSevenDecimals(image.grid.affine))
      channels.append((AnyVolume(Volume(grid: roiGrid, voxels: roi.voxels)), true))
    }
    progress?("model \(model.folder.deletingLastPathComponent().lastPathComponent) (\(model.bundle.folds.count) fold(s))")
    let labels = try run(model, channels: channels, keepSize: options.keepSize)
    if options.fillHoles {
      return try fillingHoles(labels)
    }
    return labels
  }

  /// Steps 1-7 for one model; the labels on the channels' grid (or the model grid).
  func run(_ model: TotalVibeModel, channels: [(volume: AnyVolume, isLabel: Bool)], keepSize: Bool) throws -> Volume<UInt8> {
    let inputGrid = channels[0].volume.grid
    var prepared = [Volume<Float>]()
    for (volume, isLabel) in channels {
      var v = volume
      if let orientation = model.orientation {
        v = try v.reoriented(to: orientation)
      }
      prepared.append(try Self.rescaledToFloat16(isLabel ? v : Self.squashed(v), spacing: model.targetSpacing, isLabel: isLabel))
    }
    if options.crop, let box = prepared[0].boundingBox(where: { $0 > 20 }) {
      prepared = prepared.map { $0.cropped(to: box) }
    }
    let pad = options.padding
    if pad > 0 {
      prepared = prepared.map { $0.reflectPadded(by: pad) }
    }
    var predictionOptions = PredictionOptions()
    predictionOptions.stepSize = options.stepSize
    predictionOptions.mirroring = options.mirroring
    predictionOptions.importanceMap = .tptbox
    predictionOptions.float16Input = true
    predictionOptions.keepInfiniteLogits = true
    predictionOptions.tileProgress = tileProgress
    var labels = try model.loaded.predictor(options: predictionOptions).predict(prepared).labels
    if pad > 0 {
      labels = labels.cropped(to: VoxelBox(lower: [pad, pad, pad], upper: labels.shape.map { $0 - pad }))
    }
    if !keepSize {
      // TPTBox maps onto a `Grid` made from the input, whose affine is rounded to 7 decimals
      // (a float32 2.8 becomes exactly 2.8); that decides exact half-voxel ties.
      let target = ImageGrid(shape: inputGrid.shape, affine: Self.roundedToSevenDecimals(inputGrid.affine))
      labels = Volume(grid: inputGrid, voxels: labels.resampled(onto: target, order: .nearest, mode: .nearest).voxels)
    }
    guard let top = labels.valueRange?.max, top <= 255 else {
      throw VibeSegKitError(.invalidInput, "the model produced label ids above 255, which a uint8 label map cannot hold", path: model.folder.path)
    }
    return labels.converted(to: UInt8.self)
  }

  /// Step 2, upstream `squash`: `arr / (arr.max() / 1000)` when the maximum exceeds 10000, with
  /// NumPy's types: float32 images in float32, integer and float64 images in float64 (an integer
  /// image that needs no squash keeps its type).
  static func squashed(_ volume: AnyVolume) -> AnyVolume {
    guard let top = volume.valueRange?.max, top > 10000 else { return volume }
    if case .float32(var v) = volume {
      let divisor = Float(top) / 1000
      v.voxels.withUnsafeMutableBufferPointer { b in for n in b.indices { b[n] /= divisor } }
      return .float32(v)
    }
    var v = volume.converted(to: Double.self)
    let divisor = top / 1000
    v.voxels.withUnsafeMutableBufferPointer { b in for n in b.indices { b[n] /= divisor } }
    return .float64(v)
  }

  /// Step 3, TPTBox `rescale_(zoom, mode="nearest", out_dtype=np.float16)`: scipy
  /// `affine_transform` (computed in float64) into a float32 array, then `astype(float16)`; when
  /// the spacing is already within 1e-3 mm nothing is resampled and the stored values are
  /// rounded to float16 directly (NumPy converts float64 to float16 in one rounding).
  static func rescaledToFloat16(_ volume: AnyVolume, spacing: [Double], isLabel: Bool) throws -> Volume<Float> {
    let source = volume.grid.spacingMillimeters
    if RescaleGeometry.isAlreadyAt(source, newSpacing: spacing) {
      let voxels = volume.converted(to: Double.self).voxels.map { Float(Float16($0)) }
      return Volume(grid: volume.grid, channelCount: volume.channelCount, voxels: voxels)
    }
    // Integers are resampled as float64 (scipy computes in float64 and writes float32).
    let input: AnyVolume
    switch volume {
    case .float32, .float64: input = volume
    default: input = .float64(volume.converted(to: Double.self))
    }
    var rescaled = try input.rescaled(toSpacing: spacing, order: isLabel ? .nearest : .cubic, mode: .nearest)
      .converted(to: Float.self)
    rescaled.voxels.withUnsafeMutableBufferPointer { b in for n in b.indices { b[n] = Float(Float16(b[n])) } }
    return rescaled
  }

  /// NumPy `np.round(affine, 7)`: each entry `rint(x · 1e7) / 1e7`.
  static func roundedToSevenDecimals(_ affine: Affine) -> Affine {
    Affine(rows: affine.rows.map { row in row.map { ($0 * 1e7).rounded(.toNearestOrEven) / 1e7 } })
  }
}
