import Foundation
import NNUNetRuntime
import NiftiIO
import VibeSegKit
import VolumeCore

/// One kind of per-case work in a cohort run (`vibeseg batch --task KIND`).
///
/// The runner (`BatchRun`) owns everything around the work: finding cases, sharding, the
/// manifest, resume, retries, signals, atomic output commits, `--stats` and `--preview`. A task
/// only says what identifies its results, loads its model once, reads a case and computes it.
///
/// Life cycle, per run:
/// 1. `init` (by the registry's factory) checks options and reads cheap facts (no model weights);
///    `fingerprint` must be known after it, since resume compares it before any loading.
/// 2. `prepare()` once, on the main thread, only if at least one case needs work: load weights.
/// 3. Per case: `load(_:)` on a background prefetch thread (reads and decodes the inputs of the
///    next case while the current one computes), then `run(_:_:)` on the main thread. `load` may
///    run concurrently with `run` of the previous case: it must not touch what `prepare` built.
/// 4. The runner writes what `run` returns on a writer thread (staging name, fsync, rename) while
///    the next case computes, then records the output hashes in the manifest.
///
/// Errors thrown by `load` or `run` fail that case only (recorded with their message). Errors
/// whose type says the input is bad (`NiftiError` other than I/O, `PlansError`, `VibeSegKitError`
/// about the input: missing, not a label map, wrong grid ...) are final for that input; anything
/// else is retried up to `--retries` attempts.
///
/// ## Adding a task (segment, combine, spine)
///
/// ```swift
/// final class SegmentTask: CohortTask, @unchecked Sendable {
///   static let kind = "segment"
///   let fingerprint: [String: String]          // model sha256, options that change outputs
///   let modelLabel: String? = "TotalVibeSegmentator"
///   var pipeline: SegmentationPipeline?       // built in prepare()
///   init(_ options: CohortTaskOptions) throws {
///     let folder = ... resolve options.model (an id or a folder) ...
///     let bundle = try ModelBundle(directory: folder, ...)               // every file the model reads
///     fingerprint = ["model_sha256": try ModelFingerprint.sha256(of: bundle),
///                    "fill_holes": "\(options...)"]                       // every output-affecting option
///   }
///   func prepare() throws { pipeline = try SegmentationPipeline(...) }     // load weights once
///   func load(_ item: CohortCase) throws -> [NiftiImage] { try item.inputs.map { try NiftiImage(contentsOf: $0) } }
///   func run(_ item: CohortCase, _ images: [NiftiImage]) throws -> CaseProducts {
///     let result = try pipeline!.segment(images)
///     return CaseProducts(labelMap: result.image, labels: result.labels, background: images[0])
///   }
/// }
/// // and one line in CohortTasks.registry:  SegmentTask.kind: { try SegmentTask($0) },
/// ```
/// Remove the kind from `CohortTasks.pending` at the same time. Options the task needs beyond
/// `CohortTaskOptions` go there (and into `vibeseg batch`'s flags). Outputs other than the label
/// map, statistics and preview go into `CaseProducts.extras` with an `OutputRole.extra` name
/// (listed in `extraRoles`); the runner stages, hashes, commits and records them like the rest.
public protocol CohortTask: AnyObject, Sendable {
  /// What `load` hands to `run`.
  associatedtype Loaded: Sendable
  /// The `--task` name.
  static var kind: String { get }
  /// Whether the task's inputs are label maps (default false; `stats`): BIDS discovery then keeps
  /// `*_msk` files.
  static var readsSegmentations: Bool { get }
  /// Refuses a case source the task cannot use, with `BatchError.invalidArgument` (default: every
  /// source is accepted). Called before the manifest is opened or any model is loaded.
  static func checkSource(_ source: CaseSource) throws
  /// Everything besides the inputs that changes this task's outputs: model sha256, settings.
  /// The runner adds the tool version, the task kind and its own output flags. A case is redone
  /// when any value differs from the one recorded with its outputs. Leave out what does not
  /// change the bytes written (thread counts).
  var fingerprint: [String: String] { get }
  /// The BIDS `seg-` value of the label maps this task writes (letters and digits); nil for a
  /// task that writes no label map.
  var modelLabel: String? { get }
  /// The `OutputRole.extra` roles every case's `CaseProducts.extras` holds (default none): the
  /// runner checks their names for collisions and cleans up their staging files after a crash.
  var extraRoles: [OutputRole] { get }
  /// Facts of one case besides its input bytes that change its outputs (default none): e.g.
  /// which contrast each file is, or file names written into an output. Added to the case's
  /// fingerprint, so a change redoes that case. Cheap: no file access.
  func caseFingerprint(_ item: CohortCase) -> [String: String]
  /// Loads what is shared by all cases (model weights). Called at most once, before the first `run`.
  func prepare() throws
  /// Reads one case's inputs (background thread).
  func load(_ item: CohortCase) throws -> Loaded
  /// Computes one case (main thread).
  func run(_ item: CohortCase, _ loaded: Loaded) throws -> CaseProducts
}

extension CohortTask {
  public static var readsSegmentations: Bool { false }
  public static func checkSource(_ source: CaseSource) throws {}
  public var extraRoles: [OutputRole] { [] }
  public func caseFingerprint(_ item: CohortCase) -> [String: String] { [:] }
}

/// What one case produced, still in memory: written by the runner.
public struct CaseProducts: @unchecked Sendable {
  /// The label map to write (`OutputRole.labelMap`), headers already set.
  public var labelMap: NiftiImage?
  /// The same labels as integers, for `--stats` (and the image behind `--preview`).
  public var labels: Volume<UInt16>?
  /// The image `--preview` draws the labels over, and `--stats` measures intensities of (as
  /// `image`); nil gives no intensity columns and refuses `--preview` for the case.
  public var background: NiftiImage?
  /// A label map that is not an output but is drawn by `--preview` when `labelMap` is nil (the
  /// `stats` task's input).
  public var previewSegmentation: NiftiImage?
  /// Names of the label values (the model's `dataset.json`) for `--stats` and `--preview`; nil
  /// uses TotalVibeSegmentator's table.
  public var labelNames: [Int: String]?
  /// Statistics the task computed itself (the `stats` task); written as `statisticsCSV/JSON`.
  public var statistics: StatisticsReport?
  /// Further files: role and a function writing the file at a given URL (the runner gives a
  /// staging name in the destination folder and renames it afterwards).
  public var extras: [(role: OutputRole, write: (URL) throws -> Void)]
  /// Shown to the user and kept in the manifest.
  public var warnings: [String]

  public init(
    labelMap: NiftiImage? = nil, labels: Volume<UInt16>? = nil, background: NiftiImage? = nil,
    previewSegmentation: NiftiImage? = nil, labelNames: [Int: String]? = nil, statistics: StatisticsReport? = nil,
    extras: [(role: OutputRole, write: (URL) throws -> Void)] = [],
    warnings: [String] = []
  ) {
    self.labelMap = labelMap
    self.labels = labels
    self.background = background
    self.previewSegmentation = previewSegmentation
    self.labelNames = labelNames
    self.statistics = statistics
    self.extras = extras
    self.warnings = warnings
  }
}

/// The command line's settings that tasks may read.
public struct CohortTaskOptions: Sendable {
  /// `--model`: a model id, model folder or dataset folder, resolved by `modelLocator`.
  public var model: String?
  /// `--roi-model`: the ROI model of a cascaded model (segment, spine, combine), an id or a
  /// folder; nil: the id the model's `dataset.json` names, resolved by `modelLocator`.
  public var roiModel: String?
  /// Resolves `--model`/`--roi-model` (the CLI passes the model zoo's locator; the default
  /// resolves folders only and refuses ids).
  public var modelLocator = ModelLocator(zoo: nil, allowDownload: false)
  public var folds: [String]?
  /// `--max-folds` (segment, spine, combine): the first N default folds of the main model
  /// (TPTBox's `max_folds`); the ROI model always runs every fold.
  public var maxFolds: Int?
  public var checkpoint: String = "final"
  public var stepSize: Double = 0.5
  /// `--pad` (segment, spine, combine): upstream's reflect padding on the model grid.
  public var padding: Int = 5
  public var mirroring: Bool = true
  /// Network threads (does not change outputs).
  public var threads: Int = 2
  /// `--female` (combine): prostate is never written.
  public var female: Bool = false
  /// `--fill-holes` (combine, segment): fill holes in every structure of the (combined) map.
  public var fillHoles: Bool = false
  /// `--roi-subset` (segment): keep only these structures (names as in `vibeseg labels`).
  public var roiSubset: [String] = []
  /// `--contrast`/`--series` (segment, spine, predict): the series every DICOM case reads.
  public var dicomSelection = DICOMSelection()
  /// `--spine-labels` (spine): relabel a model folder as model 511 or 512 (default: from its
  /// plans.json `dataset_name`; `SpineModel.resolve`).
  public var spineLabels: Int?
  /// `--crop` (segment): predict inside the bounding box of voxels > 20 (upstream crop).
  public var crop: Bool = false
  /// `--keep-size` (segment): the label map on the model's grid (upstream keep_size).
  public var keepSize: Bool = false
  /// `--split-masks` (segment, spine): one binary mask per structure, `<id>.mask-<name>.nii.gz`.
  public var splitMasks: Bool = false
  /// segment, combine: `both` also writes `<id>.seg.dcm`, a DICOM-SEG of each DICOM case's map
  /// (`DICOMSegOutput`); a NIfTI case then fails (no source images to reference).
  public var outputType = SegmentationOutputType.nifti
  /// `--dicom-compress` (segment, combine): the SEG files' encoding.
  public var dicomCompression = DICOMSegCompression.none
  /// Thread count for gzip compression of outputs (does not change bytes).
  public var writeThreads: Int = UsableCores.count

  public init() {}
}

/// The tasks `vibeseg batch --task` knows.
public enum CohortTasks {
  /// Factories by kind.
  nonisolated(unsafe) public static var registry: [String: (CohortTaskOptions) throws -> any CohortTask] = [
    PredictTask.kind: { try PredictTask($0) },
    StatsTask.kind: { try StatsTask($0) },
    SegmentTask.kind: { try SegmentTask($0) },
    SpineTask.kind: { try SpineTask($0) },
    CombineTask.kind: { try CombineTask($0) },
  ]

  /// Kinds that are announced but not registered yet (refused with a clear message).
  nonisolated(unsafe) public static var pending: Set<String> = []

  /// All names `--task` accepts or announces.
  public static var kinds: [String] { (Array(registry.keys) + Array(pending)).sorted() }

  /// Makes the task, or throws `BatchError.invalidArgument` for an unknown or not yet available kind.
  public static func make(_ kind: String, options: CohortTaskOptions) throws -> any CohortTask {
    if let factory = registry[kind] { return try factory(options) }
    if pending.contains(kind) {
      throw BatchError(
        .invalidArgument,
        "--task \(kind) is not available in batch runs yet"
      )
    }
    throw BatchError(.invalidArgument, "unknown --task '\(kind)'; known: \(kinds.joined(separator: ", "))")
  }

  /// Whether the error says the input itself is unusable (retrying the same bytes cannot help).
  public static func isInputError(_ error: any Error) -> Bool {
    switch error {
    case let e as NiftiError: return e.code != .ioFailure && e.code != .cannotCreateOutput
    case let e as VibeSegKitError:
      return [.missingInput, .invalidInput, .notALabelMap, .gridMismatch, .unsupportedImage, .invalidLabelFile, .unknownLabel]
        .contains(e.code)
    case let e as BatchError: return e.code == .invalidArgument
    case is PlansError: return true
    default: return ["OrientationError", "ResamplingError"].contains(String(describing: type(of: error)))
    }
  }
}
