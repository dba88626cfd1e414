import Foundation
import VolumeCore

/// What `Predictor.predict` returns, on the input's grid.
public struct Prediction: Sendable {
  /// Label values (`LabelLayout.allLabels`, or `regions_class_order` values).
  public var labels: Volume<UInt16>
  /// Per-class probabilities (softmax, or sigmoid per region) as channels, when requested.
  public var probabilities: Volume<Float>?
  public var record: PreprocessingRecord
}

/// Settings of one prediction run; defaults equal `nnUNetv2_predict`'s.
public struct PredictionOptions: Sendable {
  /// `tile_step_size` (fraction of the patch), nnU-Net's default 0.5.
  public var stepSize = 0.5
  /// Test-time mirroring over the axes the checkpoint allows (`--disable_tta` turns it off).
  public var mirroring = true
  public var saveProbabilities = false
  /// Threads for the work around the network (float16 accumulation, normalisation, argmax);
  /// `LoadedModel.predictor` sets it to the network's thread count, so that `--threads 1`
  /// processes side by side (`batch --jobs`) do not each spread over every core.
  public var threads = UsableCores.count
  /// The sliding window's Gaussian weighting: nnU-Net's (`vibeseg predict`) or TPTBox's
  /// (`vibeseg segment`, TotalVibeSegmentator's predictor).
  public var importanceMap = ImportanceMap.nnUNet
  /// Round the normalised network input to float16, as TPTBox does (it normalises in float32
  /// and stores the result back into its float16 array). nnU-Net keeps float32.
  public var float16Input = false
  /// Keep logits that overflowed float16 (±infinity) instead of refusing them, as TPTBox does:
  /// with its ×1000 Gaussian, weighted sums above 65504 become infinite, and its argmax takes
  /// an infinite logit as the largest. NaN logits are refused either way.
  public var keepInfiniteLogits = false
  /// Told after every tile of the sliding window: tiles done, tiles in all (for progress and an
  /// ETA); called on the predicting thread. Does not change outputs.
  public var tileProgress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil
  public init() {}
}

/// The Gaussian importance map of the sliding window (`compute_gaussian`, σ = patch/8, peak at
/// patch/2, zeros replaced by the smallest non-zero weight).
public enum ImportanceMap: String, Sendable, Hashable, Codable {
  /// nnU-Net v2: the float64 map normalised to a peak of 10, then cast to float16.
  case nnUNet
  /// TPTBox 1.1.0 (`nnUnet_utils/sliding_window_prediction.py`): the float64 map cast to float16
  /// first (small weights underflow to 0, then to the floor value), divided by its float16
  /// maximum and multiplied by 1000 in float16.
  case tptbox
}

/// nnU-Net v2's `predict_from_files` for one case, step by step (nnunet-inference.md 5–8).
///
/// ```swift
/// let predictor = Predictor(bundle: bundle, networks: foldNetworks, mirrorAxes: [0, 1, 2])
/// let prediction = try predictor.predict(channels)
/// ```
public struct Predictor {
  public let bundle: ModelBundle
  /// One network per fold, in fold order.
  public let networks: [TileNetwork]
  /// `inference_allowed_mirroring_axes` from the first fold's checkpoint (nil: no mirroring).
  public let mirrorAxes: [Int]?
  public var options: PredictionOptions

  public init(bundle: ModelBundle, networks: [TileNetwork], mirrorAxes: [Int]?, options: PredictionOptions = PredictionOptions()) {
    self.bundle = bundle
    self.networks = networks
    self.mirrorAxes = mirrorAxes
    self.options = options
  }

  /// Checks the channels: the model's count, one shape, one spacing (nnU-Net's SimpleITKIO).
  public static func checkChannels(_ channels: [Volume<Float>], names: [String], expected: Int) throws {
    guard channels.count == expected else {
      throw PlansError(.invalidField, "the model needs \(expected) input channel(s), \(channels.count) given", path: names.first ?? "input")
    }
    for (n, c) in channels.enumerated().dropFirst() {
      guard c.grid.shape == channels[0].grid.shape else {
        throw PlansError(.invalidField, "channel \(n) has shape \(c.grid.shape), channel 0 has \(channels[0].grid.shape)", path: names[n])
      }
      let a = c.grid.spacingMillimeters, b = channels[0].grid.spacingMillimeters
      guard zip(a, b).allSatisfy({ abs($0 - $1) <= 1e-5 * max(1, abs($1)) }) else {
        throw PlansError(.invalidField, "channel \(n) has spacing \(a), channel 0 has \(b)", path: names[n])
      }
      guard c.channelCount == 1 else {
        throw PlansError(.invalidField, "channel files must be 3-D (this one has \(c.channelCount) volumes)", path: names[n])
      }
    }
  }

  /// Predicts one case. `channels` are consumed: once preprocessed they are released (when the
  /// caller handed them over with `consume`), so the raw and the preprocessed arrays are not held
  /// together during the sliding window.
  public func predict(_ channels: consuming [Volume<Float>]) throws -> Prediction {
    let configuration = bundle.configuration
    guard configuration.architecture.dimension == 3 else {
      throw PlansError(.unsupported, "2-D configurations are not supported yet", path: bundle.directory.path)
    }
    let preprocessor = Preprocessor(plans: bundle.plans, configuration: configuration, float16Output: options.float16Input)
    let (data, record) = try preprocessor.prepare(channels)
    let grid = channels[0].grid
    _ = consume channels
    let axes = options.mirroring ? (mirrorAxes ?? []) : []
    guard !networks.isEmpty else { throw PlansError(.missingFile, "no fold to run", path: bundle.directory.path) }
    let exporter = Exporter(plans: bundle.plans, configuration: configuration, labels: bundle.labels, threads: options.threads)
    var probabilityVolume: Volume<Float>? = nil
    var segmentation: DenseArray<UInt16>
    if record.shapeAfterResampling == record.shapeAfterCropping && !options.saveProbabilities {
      // Streamed: each finished slab of logits becomes labels at once; the K-class logits of the
      // whole volume never exist (nnunet-inference.md 7.1 is a no-op when the shapes match).
      segmentation = DenseArray(shape: record.shapeAfterCropping, repeating: 0)
      try SlidingWindow.predict(data, patch: configuration.patchSize, networks: networks, mirrorAxes: axes,
        stepSize: options.stepSize, importance: options.importanceMap, keepInfiniteLogits: options.keepInfiniteLogits,
        workers: options.threads, progress: options.tileProgress) { slab in
        let labels = bundle.labels.hasRegions ? exporter.segmentation(exporter.probabilities(slab.logits)) : exporter.segmentation(slab.logits)
        slab.scatter(labels.values, into: &segmentation.values, shape: record.shapeAfterCropping)
      }
    } else {
      let logits = try SlidingWindow.predict(data, patch: configuration.patchSize, networks: networks, mirrorAxes: axes,
        stepSize: options.stepSize, importance: options.importanceMap, keepInfiniteLogits: options.keepInfiniteLogits,
        workers: options.threads, progress: options.tileProgress)
      let restored = try exporter.restoreLogits(logits, using: record)
      if options.saveProbabilities || bundle.labels.hasRegions {
        let probabilities = exporter.probabilities(restored)
        segmentation = exporter.segmentation(probabilities)
        if options.saveProbabilities {
          let background: Float = bundle.labels.hasRegions ? 0 : 1
          var values = [Float]()
          for (c, p) in probabilities.enumerated() {
            values += exporter.revert(p, using: record, fill: c == 0 ? background : 0).values
          }
          probabilityVolume = Volume(grid: grid, channelCount: probabilities.count, voxels: values)
        }
      } else {
        segmentation = exporter.segmentation(restored)
      }
    }
    let labels = exporter.revert(segmentation, using: record, fill: 0)
    return Prediction(labels: Volume(grid: grid, voxels: labels.values), probabilities: probabilityVolume, record: record)
  }
}
