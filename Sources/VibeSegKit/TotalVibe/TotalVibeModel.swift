import Foundation
import NNUNetRuntime
import VolumeCore

/// One TotalVibeSegmentator model, loaded once: an nnU-Net v2 model folder (every fold's network
/// built) plus the keys upstream adds to its `dataset.json`.
///
/// Upstream (TPTBox `segmentation/VibeSeg/inference_nnunet.py`, `run_inference_on_file`) takes
/// every `fold_*` folder it finds, `checkpoint_final.pth` with a fallback to
/// `checkpoint_best.pth`, and the `3d_fullres` configuration; so does `ModelBundle` by default.
public struct TotalVibeModel {
  public let loaded: LoadedModel
  /// The axis codes `dataset.json` asks the image to be reoriented to (nibabel semantics: the
  /// direction each voxel axis points to), or nil when the model has none (no reorientation).
  public let orientation: Orientation?
  /// The id of the model whose label map is input channel 1 (`dataset.json` `roi`), if any.
  public let roiModelID: Int?
  /// The voxel size (mm) the image is rescaled to, in the image's (i, j, k) axis order after
  /// reorientation: `plans.configurations.3d_fullres.spacing` (network axis order) permuted by
  /// `transpose_backward` (reader order z, y, x), then reversed (NIfTI i, j, k) — upstream's
  /// `zoom = [s[tb[0]], s[tb[1]], s[tb[2]]][::-1]`.
  public let targetSpacing: [Double]
  /// The folder, folds and files' SHA-256 (`ModelFingerprint`), for sidecars.
  public let provenance: Provenance.Model

  /// Loads `folder` (a `<Trainer>__<Plans>__<configuration>` folder).
  ///
  /// - Throws: `PlansError`/`CheckpointError` for an unusable folder (missing files exit 69 in
  ///   the CLI), `VibeSegKitError.modelUnavailable` for an orientation that is not three
  ///   distinct axis codes.
  /// `maxFolds` keeps the first N default folds (TPTBox's `max_folds`); upstream's cascade never
  /// limits the ROI model's folds, so callers pass it for the main model only. `sha256`: the
  /// model's `ModelFingerprint` when the caller already has it (batch runs hash the model for
  /// their manifest); nil hashes the files here.
  public init(
    folder: URL, folds: [String]? = nil, maxFolds: Int? = nil, checkpoint: CheckpointName = .final, threads: Int = 2,
    sha256: String? = nil
  ) throws {
    let bundle = try ModelBundle(directory: folder, folds: folds, checkpoint: checkpoint, rule: .tptbox, maxFolds: maxFolds)
    if let code = bundle.dataset.orientation {
      guard let orientation = Orientation(code.uppercased()) else {
        throw VibeSegKitError(
          .modelUnavailable, "dataset.json: orientation '\(code)' is not three distinct axis codes such as RAS",
          path: folder.appendingPathComponent("dataset.json").path)
      }
      self.orientation = orientation
    } else {
      self.orientation = nil
    }
    roiModelID = bundle.dataset.roi
    // The first fold's checkpoint may name another configuration (LoadedModel switches to it).
    loaded = try LoadedModel(bundle: bundle, threads: threads)
    let spacing = loaded.bundle.configuration.spacing
    let backward = loaded.bundle.plans.transposeBackward
    targetSpacing = Array(backward.map { spacing[$0] }.reversed())
    provenance = Provenance.Model(loaded.bundle, sha256: try sha256 ?? ModelFingerprint.sha256(of: loaded.bundle))
  }

  public var folder: URL { loaded.bundle.directory }
  public var bundle: ModelBundle { loaded.bundle }
  public var inputChannelCount: Int { bundle.dataset.channelNames.count }

  /// Label id -> name from `dataset.json` (plain labels only; `background` and `ignore` left out).
  public var labelNames: [Int: String] { bundle.dataset.structureNames }
}
