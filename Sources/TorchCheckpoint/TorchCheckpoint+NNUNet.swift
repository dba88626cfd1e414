/// The fold an nnU-Net checkpoint was trained on (`init_args['fold']`): an index or "all".
public enum CheckpointFold: Sendable, Equatable {
  case index(Int)
  case all
}

/// `init_args` as `nnUNetTrainer.__init__` received them (nnunet-inference.md 2.1). `plans` and
/// `datasetJSON` stay value trees: the same data is in `plans.json`/`dataset.json`.
public struct CheckpointInitArgs: Sendable {
  public var configuration: String?
  public var fold: CheckpointFold?
  public var plans: PickleValue?
  public var datasetJSON: PickleValue?
  /// `torch.device` the trainer ran on ("cuda", "cpu").
  public var device: String?
}

/// Accessors for nnU-Net v2 training checkpoints (`nnUNetTrainer.save_checkpoint`).
extension TorchCheckpoint {
  /// `network_weights`: the network's state dict. Only these storages are read, lazily.
  ///
  /// A leading `module.` (DDP) and/or `_orig_mod.` (`torch.compile`) is stripped when every key
  /// carries it (nnunet-inference.md 2.1).
  /// - Throws: `.missingValue` when the root is not an nnU-Net checkpoint.
  public var networkWeights: StateDict {
    get throws(CheckpointError) {
      guard root["network_weights"] != nil else {
        throw CheckpointError(
          .missingValue, "no 'network_weights': this is not an nnU-Net training checkpoint", path: path,
          context: "network_weights")
      }
      var dict = try stateDict(at: ["network_weights"])
      for prefix in ["module.", "_orig_mod."]
      where !dict.tensors.isEmpty && dict.tensors.allSatisfy({ $0.key.hasPrefix(prefix) }) {
        dict = StateDict(
          tensors: dict.tensors.map {
            StoredTensor(key: String($0.key.dropFirst(prefix.count)), reference: $0.reference, reader: $0.reader)
          })
      }
      return dict
    }
  }

  /// `trainer_name` (e.g. "nnUNetTrainer").
  public var trainerName: String? { root["trainer_name"]?.stringValue }

  /// `inference_allowed_mirroring_axes` as spatial axis indices; nil when absent or None (no
  /// mirroring at test time).
  public var inferenceAllowedMirroringAxes: [Int]? {
    guard let items = root["inference_allowed_mirroring_axes"]?.sequence else { return nil }
    let axes = items.compactMap(\.intValue)
    return axes.count == items.count ? axes : nil
  }

  /// `init_args`, or nil when absent.
  public var initArgs: CheckpointInitArgs? {
    guard let args = root["init_args"], args.dictionary != nil else { return nil }
    var fold: CheckpointFold? = nil
    switch args["fold"] {
    case .int(let i)?: fold = Int(exactly: i).map(CheckpointFold.index)
    case .string("all")?: fold = .all
    case .string(let s)?: fold = Int(s).map(CheckpointFold.index)
    default: break
    }
    var device: String? = nil
    if case .device(let d)? = args["device"] { device = d }
    return CheckpointInitArgs(
      configuration: args["configuration"]?.stringValue, fold: fold, plans: args["plans"],
      datasetJSON: args["dataset_json"], device: device)
  }
}
