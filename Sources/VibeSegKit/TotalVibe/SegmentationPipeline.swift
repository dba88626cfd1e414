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

  public init() {}
}

/// TotalVibeSegmentator's segmentation of one image (TPTBox `run_inference_on_file` +
/// `nnUnet_utils/inference_api.py run_inference`, 2025-2026), with nnU-Net's prediction done by
/// `NNUNetRuntime.Predictor`:
///
/// 1. reorient every channel to the model's `orientation` (axis permutation and flips only);
/// 2. rescale to `TotalVibeModel.targetSpacing` (TPTBox `rescale_`: `RescaleGeometry` shape and
///    affine, cubic B-spline with edge extension for images, order 0 for label channels, the
///    stored scalar type kept, skipped within 1e-3 mm);
/// 3. squash: when a channel's maximum exceeds 10000, divide it by `max / 1000` (Float);
/// 4. optional crop to the bounding box of first-channel voxels > 20;
/// 5. every channel rounded to float16 (upstream casts the arrays with `astype(np.float16)` before
///    handing them to nnU-Net), then nnU-Net's prediction (`Predictor`, no mirroring, step 0.5,
///    all folds) on the reader-order spacing of the rescaled grid;
/// 6. labels back onto the input grid with nearest neighbour, scipy `mode='nearest'` (TPTBox
///    `resample_from_to_(og, mode="nearest")`), unless `keepSize`.
///
/// A cascaded model (`roiModelID` set) first runs the ROI model through the same steps; its label
/// map on the input grid becomes channel 1 (a label channel: order 0 when rescaled).
public struct SegmentationPipeline {
  public var model: TotalVibeModel
  public var roiModel: TotalVibeModel?
  public var options: SegmentationOptions

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
      let roi = try run(roiModel, channels: channels, keepSize: false)
      channels.append((AnyVolume(roi), true))
    }
    let labels = try run(model, channels: channels, keepSize: options.keepSize)
    if options.fillHoles {
      return try fillingHoles(labels)
    }
    return labels
  }

  /// Steps 1-6 for one model; the labels on the channels' grid (or the model grid).
  func run(_ model: TotalVibeModel, channels: [(volume: AnyVolume, isLabel: Bool)], keepSize: Bool) throws -> Volume<UInt8> {
    let inputGrid = channels[0].volume.grid
    var prepared = [Volume<Float>]()
    for (volume, isLabel) in channels {
      var v = volume
      if let orientation = model.orientation {
        v = try v.reoriented(to: orientation)
      }
      v = try v.rescaled(toSpacing: model.targetSpacing, order: isLabel ? .nearest : .cubic, mode: .nearest)
      prepared.append(Self.squashedToFloat16(v))
    }
    if options.crop, let box = prepared[0].boundingBox(where: { $0 > 20 }) {
      prepared = prepared.map { $0.cropped(to: box) }
    }
    var predictionOptions = PredictionOptions()
    predictionOptions.stepSize = options.stepSize
    predictionOptions.mirroring = options.mirroring
    let prediction = try model.loaded.predictor(options: predictionOptions).predict(prepared)
    let labels = keepSize ? prediction.labels : prediction.labels.resampled(onto: inputGrid, order: .nearest, mode: .nearest)
    guard let top = labels.valueRange?.max, top <= 255 else {
      throw VibeSegKitError(.invalidInput, "the model produced label ids above 255, which a uint8 label map cannot hold", path: model.folder.path)
    }
    return labels.converted(to: UInt8.self)
  }

  /// Step 3 and the float16 cast of step 5: values as Float; when the maximum exceeds 10000 every
  /// value is divided by `max / 1000` (computed in Float, as NumPy does for float32 arrays);
  /// then each value is rounded to the nearest float16 (ties to even, as `astype(np.float16)`).
  static func squashedToFloat16(_ volume: AnyVolume) -> Volume<Float> {
    var v = volume.converted(to: Float.self)
    let top = v.voxels.max() ?? 0
    let divisor: Float? = top > 10000 ? top / 1000 : nil
    v.voxels.withUnsafeMutableBufferPointer { buffer in
      for n in buffer.indices {
        var x = buffer[n]
        if let divisor { x /= divisor }
        buffer[n] = Float(Float16(x))
      }
    }
    return v
  }
}
