/// Where a network's parameters come from: a PyTorch `state_dict` by key.
///
/// Keys are PyTorch's, unprefixed (`encoder.stages.0.0.convs.0.conv.weight`); values are float32
/// in C order of `shape` (PyTorch's contiguous layout). A checkpoint reader conforms by listing its
/// keys and materialising one tensor on request. `UNet` binds strictly: see `UNet.init`.
public protocol WeightSource {
  /// Every key the source holds, in any order.
  var keys: [String] { get }
  /// The tensor stored under `key`, or nil when absent. `values.count` must equal the product of
  /// `shape` (a mismatch is reported as `EngineError(.invalidWeightData)`).
  func tensor(named key: String) -> (shape: [Int], values: [Float])?
  /// The shape stored under `key` without its values. The default calls `tensor(named:)`;
  /// sources that can answer cheaply should.
  func shape(of key: String) -> [Int]?
}

extension WeightSource {
  public func shape(of key: String) -> [Int]? { tensor(named: key)?.shape }
}

/// A `WeightSource` over tensors already in memory (tests, converted weights).
public struct InMemoryWeights: WeightSource, Sendable {
  private var storage: [String: (shape: [Int], values: [Float])]
  public private(set) var keys: [String]

  /// `entries` in any order; a repeated key keeps its last value.
  public init(_ entries: [(key: String, shape: [Int], values: [Float])]) {
    storage = [:]
    keys = []
    for entry in entries {
      if storage.updateValue((entry.shape, entry.values), forKey: entry.key) == nil { keys.append(entry.key) }
    }
  }

  public func tensor(named key: String) -> (shape: [Int], values: [Float])? { storage[key] }

  /// Adds or replaces one tensor.
  public mutating func set(_ key: String, shape: [Int], values: [Float]) {
    if storage.updateValue((shape, values), forKey: key) == nil { keys.append(key) }
  }

  /// Removes one tensor (tests of the strict binding).
  public mutating func remove(_ key: String) {
    storage[key] = nil
    keys.removeAll { $0 == key }
  }
}
