/// A PyTorch checkpoint (`torch.save` zip format) opened without executing anything.
///
/// ```swift
/// let checkpoint = try TorchCheckpoint(contentsOf: url)
/// let weights = try checkpoint.networkWeights
/// let w = try weights["encoder.stages.0.0.convs.0.conv.weight"]!.floats()
/// ```
///
/// Opening validates the zip container (every entry, see `ZipArchive`), reads `byteorder`,
/// `version` and `data.pkl` (CRC-checked), unpickles it with the allow-list of `Unpickler`, and
/// checks that every storage the pickle names exists with exactly the declared size. Tensor data
/// is not read until asked for (`StoredTensor.floats()` ...), so optimizer state and other
/// bookkeeping cost nothing beyond their metadata.
///
/// Refused, with `CheckpointError`: legacy tar/raw-pickle files and TorchScript archives
/// (`.unsupported`), entries outside one top-level folder, a missing `data.pkl`, a `byteorder`
/// other than "little"/"big", a `version` outside 1...9.
public struct TorchCheckpoint: Sendable {
  public let path: String
  /// The top-level folder all entries live in (`checkpoint_final`, or `archive` in older torch).
  public let archiveName: String
  /// Whether storages are big-endian (the `byteorder` entry; absent means little).
  public let isBigEndian: Bool
  /// The `version` entry (torch writes 3), nil when absent.
  public let formatVersion: Int?
  /// The unpickled `data.pkl`.
  public let root: PickleValue
  /// Every storage the pickle names, by key.
  public let storages: [String: StorageReference]
  let reader: StorageReader

  /// Opens a checkpoint file.
  public init(path: String, limits: CheckpointLimits = .default) throws(CheckpointError) {
    do {
      try self.init(source: FileArchiveSource(path: path), limits: limits)
    } catch let error as CheckpointError {
      throw error
    } catch {
      throw CheckpointError(.ioFailure, "\(error)", path: path)
    }
  }

  /// Opens a checkpoint held in memory; `path` is only used in errors.
  public init(bytes: [UInt8], path: String = "<memory>", limits: CheckpointLimits = .default) throws(CheckpointError) {
    do {
      try self.init(source: MemoryArchiveSource(bytes, path: path), limits: limits)
    } catch let error as CheckpointError {
      throw error
    } catch {
      throw CheckpointError(.ioFailure, "\(error)", path: path)
    }
  }

  /// The state dict at a chain of string keys from the root (`["network_weights"]`): a dict
  /// whose keys are all strings and whose values are all tensors.
  public func stateDict(at keyPath: [String]) throws(CheckpointError) -> StateDict {
    var value = root
    for key in keyPath {
      guard let next = value[key] else {
        throw CheckpointError(
          .missingValue, "the checkpoint has no \(keyPath.map { "['\($0)']" }.joined())", path: path, context: key)
      }
      value = next
    }
    let name = keyPath.joined(separator: ".")
    guard let dict = value.dictionary else {
      throw CheckpointError(.missingValue, "\(name) is not a dictionary", path: path, context: name)
    }
    var tensors: [StoredTensor] = []
    tensors.reserveCapacity(dict.count)
    for entry in dict.entries {
      guard case .string(let key) = entry.key else {
        throw CheckpointError(.missingValue, "\(name) has a key that is not a string", path: path, context: name)
      }
      guard case .tensor(let reference) = entry.value else {
        throw CheckpointError(.missingValue, "\(name)['\(key)'] is not a tensor", path: path, context: key)
      }
      tensors.append(StoredTensor(key: key, reference: reference, reader: reader))
    }
    return StateDict(tensors: tensors)
  }
}

extension TorchCheckpoint {
  /// A `StoredTensor` for any tensor found in `root` (optimizer state, other dictionaries) or
  /// described by the caller. `key` is only a name for errors.
  /// - Throws: `.invalidTensor` unless the storage is one of this checkpoint's and the view
  ///   lies inside it.
  public func tensor(_ reference: TensorReference, key: String) throws(CheckpointError) -> StoredTensor {
    guard storages[reference.storage.key] == reference.storage else {
      throw CheckpointError(
        .invalidTensor, "storage \(reference.storage.key) is not in this checkpoint", path: path, context: key)
    }
    let limits = CheckpointLimits.default
    if let problem = reference.viewProblem(maxRank: limits.maxTensorRank, maxElements: limits.maxTensorElements) {
      throw CheckpointError(problem.code, problem.message, path: path, context: key)
    }
    return StoredTensor(key: key, reference: reference, reader: reader)
  }

  /// Reads (and CRC-checks) every entry no storage refers to — `byteorder`, `version`,
  /// `.data/serialization_id`, stray files — and returns their names. For integrity checks
  /// (`verify-models`); loading never needs it.
  public func readUnreferencedEntries() throws(CheckpointError) -> [String] {
    let referenced = Set(storages.keys.map { reader.prefix + "data/" + $0 })
    var names: [String] = []
    do {
      for entry in reader.archive.entries where !referenced.contains(entry.name) {
        _ = try reader.archive.contents(of: entry)
        names.append(entry.name)
      }
    } catch let error as CheckpointError {
      throw error
    } catch {
      throw CheckpointError(.ioFailure, "\(error)", path: path)
    }
    return names
  }
}
