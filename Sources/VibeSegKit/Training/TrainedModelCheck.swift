import Foundation
import NNUNetRuntime
import TorchCheckpoint

/// `vibeseg check-trained`: checks what nnU-Net trained on a `vibeseg export-nnunet` dataset
/// (training.md §7.2) before the model is used.
///
/// The model folder is opened with the loader `vibeseg predict -m` uses (`ModelBundle`: plans.json,
/// dataset.json, the `fold_N/checkpoint_final.pth` files), its weights are bound to the network
/// the plans describe (`LoadedModel`, strict), and then:
/// 1. `labels`: the model's dataset.json labels (name → id, ignore included) equal the export's;
/// 2. `spacing`: plans `configurations.3d_fullres.spacing` equals the exported spacing in
///    nnU-Net's axis order: the NIfTI spacing (i, j, k) reversed (SimpleITK arrays are z, y, x),
///    then permuted by `transpose_forward` (`expected[a] = reversed[transpose_forward[a]]`),
///    within `spacingToleranceMillimeters`;
/// 3. `trainer`: the folder is `nnUNetTrainerNoMirroring__nnUNetPlannerResEncL__3d_fullres` and each
///    checkpoint's `trainer_name` is `nnUNetTrainerNoMirroring`;
/// 4. `checkpoint`: each checkpoint has `network_weights`, `init_args` (configuration
///    3d_fullres) and `inference_allowed_mirroring_axes` = None (no test-time mirroring);
/// 5. `weights`: the weights bind to the network of the plans.
public struct TrainedModelCheck: Sendable {
  public var model: URL
  /// The exported raw dataset folder (`DatasetXXX_Name`, holding the export's dataset.json).
  public var dataset: URL
  public var folds: [String]?

  /// Plans spacing vs exported spacing (mm): the planner takes the median of the cases'
  /// spacings as SimpleITK reads them from the float32 pixdims.
  public static let spacingToleranceMillimeters = 1e-4

  public init(model: URL, dataset: URL, folds: [String]? = nil) {
    self.model = model
    self.dataset = dataset
    self.folds = folds
  }

  public struct Item: Sendable, Equatable, Codable {
    public var name: String
    public var passed: Bool
    public var detail: String
  }

  /// Every check's result, in the order of the type's documentation.
  ///
  /// - Throws: `VibeSegKitError.missingInput`/`.invalidInput` when the export's dataset.json
  ///   cannot be read; `PlansError` when the model folder cannot be opened at all.
  public func run() throws -> [Item] {
    let exported = try ExportedDataset(folder: dataset)
    let bundle = try ModelBundle(directory: model, folds: folds)
    var items = [Item]()

    let modelLabels = Dictionary(
      bundle.dataset.labels.map { ($0.name, $0.value.values) }, uniquingKeysWith: { a, _ in a })
    let expectedLabels = exported.labels.mapValues { [$0] }
    let labelDiff =
      Set(modelLabels.keys).symmetricDifference(expectedLabels.keys).sorted()
      + expectedLabels.keys.filter { modelLabels[$0] != nil && modelLabels[$0] != expectedLabels[$0] }.sorted()
    items.append(
      Item(
        name: "labels", passed: labelDiff.isEmpty,
        detail: labelDiff.isEmpty
          ? "\(expectedLabels.count) labels (ignore \(exported.labels["ignore"].map { String($0) } ?? "none")) as exported"
          : "differ from the export at: \(labelDiff.prefix(5).joined(separator: ", "))"))

    let reversed = Array(exported.spacing.reversed())
    let forward = bundle.plans.transposeForward
    let expected = forward.map { reversed[$0] }
    let planned = bundle.configuration.spacing
    let spacingOK =
      planned.count == expected.count
      && zip(planned, expected).allSatisfy { abs($0 - $1) <= Self.spacingToleranceMillimeters }
    items.append(
      Item(
        name: "spacing", passed: spacingOK,
        detail:
          "plans \(bundle.configurationName) spacing \(planned) mm; exported \(exported.spacing) mm (NIfTI i j k) -> reversed, transpose_forward \(forward) -> \(expected)"
      ))

    let folderTrainer = bundle.trainerName ?? "(unnamed folder)"
    let wantedFolder = NNUNetExportFiles.resultFolderName
    var trainerProblems =
      model.standardizedFileURL.lastPathComponent == wantedFolder
      ? [] : ["folder is \(model.lastPathComponent), expected \(wantedFolder)"]
    var checkpointProblems = [String]()
    for fold in bundle.folds {
      let checkpoint = try TorchCheckpoint(contentsOf: fold.url)
      let location = "fold_\(fold.fold)/\(fold.name.rawValue)"
      if checkpoint.trainerName != NNUNetExportFiles.trainer {
        trainerProblems.append("\(location): trainer_name \(checkpoint.trainerName ?? "missing")")
      }
      for key in ["network_weights", "init_args", "inference_allowed_mirroring_axes", "trainer_name"]
      where checkpoint.root[key] == nil {
        checkpointProblems.append("\(location): no '\(key)'")
      }
      if let axes = checkpoint.root["inference_allowed_mirroring_axes"], axes != PickleValue.none {
        checkpointProblems.append(
          "\(location): inference_allowed_mirroring_axes is \(checkpoint.inferenceAllowedMirroringAxes.map { "\($0)" } ?? "set"), expected None"
        )
      }
      if let configuration = checkpoint.initArgs?.configuration, configuration != bundle.configurationName {
        checkpointProblems.append(
          "\(location): init_args.configuration \(configuration), folder says \(bundle.configurationName)")
      }
    }
    items.append(
      Item(
        name: "trainer", passed: trainerProblems.isEmpty,
        detail: trainerProblems.isEmpty
          ? "\(folderTrainer) in the folder name and every checkpoint" : trainerProblems.joined(separator: "; ")))
    items.append(
      Item(
        name: "checkpoint", passed: checkpointProblems.isEmpty,
        detail: checkpointProblems.isEmpty
          ? "\(bundle.foldLabels.joined(separator: ", ")): network_weights, init_args, trainer_name present; no test-time mirroring"
          : checkpointProblems.joined(separator: "; ")))

    do {
      _ = try LoadedModel(bundle: bundle, threads: 1)
      items.append(
        Item(name: "weights", passed: true, detail: "bind to the plans' network (\(bundle.folds.count) fold(s))"))
    } catch {
      items.append(Item(name: "weights", passed: false, detail: "\(error)"))
    }
    return items
  }
}

/// The parts of an export's dataset.json the check compares: `labels` and `spacing`.
struct ExportedDataset {
  var labels: [String: Int]
  var spacing: [Double]

  init(folder: URL) throws(VibeSegKitError) {
    let url = folder.appendingPathComponent("dataset.json")
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw VibeSegKitError(
        .missingInput, "no dataset.json: give the DatasetXXX_Name folder vibeseg export-nnunet wrote", path: url.path,
        option: "--dataset")
    }
    let data = try JSONInput.data(url, option: "--dataset")
    guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
      let labels = object["labels"] as? [String: Any]
    else {
      throw VibeSegKitError(.invalidInput, "not a dataset.json (no labels)", path: url.path, option: "--dataset")
    }
    var ids = [String: Int]()
    for (name, value) in labels {
      guard let number = value as? NSNumber, let id = Int(exactly: number.doubleValue) else {
        throw VibeSegKitError(
          .invalidInput, "label '\(name)' is not an integer id", path: url.path, option: "--dataset")
      }
      ids[name] = id
    }
    guard let spacing = (object["spacing"] as? [NSNumber])?.map(\.doubleValue), spacing.count == 3 else {
      throw VibeSegKitError(
        .invalidInput, "no 'spacing' of three numbers: not written by vibeseg export-nnunet", path: url.path,
        option: "--dataset")
    }
    self.labels = ids
    self.spacing = spacing
  }
}
