/// A torch storage named by a persistent id `('storage', torch.<T>Storage, key, location, numel)`:
/// its data is the zip entry `<archive>/data/<key>`, exactly `elementCount * dtype.byteCount` bytes.
public struct StorageReference: Sendable, Equatable, Hashable {
  public var key: String
  public var dtype: TensorDType
  /// The device it was saved from ("cpu", "cuda:0"); irrelevant to a CPU reader.
  public var location: String
  public var elementCount: Int

  public init(key: String, dtype: TensorDType, location: String, elementCount: Int) {
    self.key = key
    self.dtype = dtype
    self.location = location
    self.elementCount = elementCount
  }
}

/// A tensor as `_rebuild_tensor_v2` describes it: a strided view into a storage. Sizes, strides
/// and offset are in elements; the view was checked to lie inside the storage.
public struct TensorReference: Sendable, Equatable {
  public var storage: StorageReference
  public var storageOffset: Int
  public var shape: [Int]
  public var strides: [Int]
  public var requiresGrad: Bool

  /// A view description; nothing is checked until it is bound to a checkpoint
  /// (`TorchCheckpoint.tensor(_:key:)`).
  public init(storage: StorageReference, storageOffset: Int, shape: [Int], strides: [Int], requiresGrad: Bool = false) {
    self.storage = storage
    self.storageOffset = storageOffset
    self.shape = shape
    self.strides = strides
    self.requiresGrad = requiresGrad
  }

  /// Product of `shape` (1 for a scalar tensor).
  public var elementCount: Int { shape.reduce(1, *) }

  /// Whether the view is row-major contiguous (strides of size-1 dimensions are ignored).
  public var isContiguous: Bool {
    var expected = 1
    for axis in shape.indices.reversed() where shape[axis] != 1 {
      if strides[axis] != expected { return false }
      expected *= shape[axis]
    }
    return true
  }
}

extension TensorReference {
  /// Why the view does not fit its storage (`.invalidTensor`, or `.limitExceeded` for the
  /// caps), or nil when it does: ranks agree and are at most
  /// `maxRank`, sizes/strides/offset are non-negative, the element count is at most
  /// `maxElements`, and `offset + Σ (size_i − 1)·stride_i < storage.elementCount` — all with
  /// overflow-reporting arithmetic. Reading relies on this check.
  func viewProblem(maxRank: Int, maxElements: Int) -> (code: CheckpointError.Code, message: String)? {
    guard shape.count == strides.count else {
      return (.invalidTensor, "shape \(shape) and strides \(strides) differ in rank")
    }
    guard shape.count <= maxRank else { return (.limitExceeded, "rank \(shape.count) exceeds the limit of \(maxRank)") }
    guard storageOffset >= 0, shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
      return (.invalidTensor, "negative size, stride or offset")
    }
    var elements = 1
    for size in shape {
      let (product, overflow) = elements.multipliedReportingOverflow(by: size)
      guard !overflow, product <= maxElements else { return (.limitExceeded, "more than \(maxElements) elements") }
      elements = product
    }
    if elements == 0 {
      return storageOffset <= storage.elementCount
        ? nil : (.invalidTensor, "offset \(storageOffset) past a storage of \(storage.elementCount)")
    }
    var last = storageOffset
    for (size, stride) in zip(shape, strides) {
      let (step, o1) = (size - 1).multipliedReportingOverflow(by: stride)
      let (sum, o2) = last.addingReportingOverflow(step)
      guard !o1, !o2 else { return (.invalidTensor, "view extent overflows") }
      last = sum
    }
    guard last < storage.elementCount else {
      return (
        .invalidTensor,
        "view (offset \(storageOffset), shape \(shape), strides \(strides)) reaches element \(last) of a storage of \(storage.elementCount)"
      )
    }
    return nil
  }
}
