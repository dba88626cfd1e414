/// An ordered mapping from state-dict keys to stored tensors (`module.state_dict()`).
///
/// Keys keep the checkpoint's order (module registration order). Tensors that view the same
/// storage with the same offset, shape and strides are aliases — nnU-Net's `all_modules.*` and
/// `decoder.encoder.*` duplicates (nnunet-inference.md 2.2, 4.3); `aliasOf(_:)` names the first
/// key of each group so a loader can read every storage once.
public struct StateDict: Sendable {
  public let tensors: [StoredTensor]
  private let index: [String: Int]
  private let firstViews: [Int]

  init(tensors: [StoredTensor]) {
    self.tensors = tensors
    var index: [String: Int] = [:]
    var seen: [ViewKey: Int] = [:]
    var firstViews: [Int] = []
    for (position, tensor) in tensors.enumerated() {
      index[tensor.key] = position
      let view = ViewKey(
        storage: tensor.storageKey, offset: tensor.storageOffset, shape: tensor.shape, strides: tensor.strides)
      if let first = seen[view] {
        firstViews.append(first)
      } else {
        seen[view] = position
        firstViews.append(position)
      }
    }
    self.index = index
    self.firstViews = firstViews
  }

  private struct ViewKey: Hashable {
    var storage: String
    var offset: Int
    var shape: [Int]
    var strides: [Int]
  }

  public var keys: [String] { tensors.map(\.key) }
  public var count: Int { tensors.count }

  public subscript(key: String) -> StoredTensor? {
    index[key].map { tensors[$0] }
  }

  /// The first key holding the very same view as `key`, when `key` is a later duplicate of it;
  /// nil for first occurrences and unknown keys.
  public func aliasOf(_ key: String) -> String? {
    guard let position = index[key], firstViews[position] != position else { return nil }
    return tensors[firstViews[position]].key
  }

  /// Tensors that are not aliases of an earlier key, in order.
  public var distinctTensors: [StoredTensor] {
    tensors.indices.filter { firstViews[$0] == $0 }.map { tensors[$0] }
  }

  /// Elements over the distinct tensors (PyTorch's `sum(p.numel() for p in net.parameters())`
  /// counts each shared parameter once, too).
  public var distinctElementCount: Int {
    distinctTensors.reduce(0) { $0 + $1.elementCount }
  }
}
