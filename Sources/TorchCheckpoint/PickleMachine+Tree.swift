/// Turns the arena into the public `PickleValue` tree.
///
/// Each arena object is converted once and the result shared (Swift arrays are copy-on-write),
/// so the work is linear in the arena. The *logical* tree — what a consumer walking it sees —
/// can still be exponential when memo references nest (a "billion laughs"), so each object's
/// logical size is computed with saturating sums and capped by `maxContainerElements`, and its
/// height by `maxNestingDepth`. A cycle (a list containing itself) is rejected.
struct PickleTreeBuilder {
  let machine: PickleMachine
  private var done: [Int: (value: PickleValue, size: Int, height: Int)] = [:]
  private var inProgress = Set<Int>()

  init(machine: PickleMachine) { self.machine = machine }

  private func overLimit(_ what: String, _ limit: Int) -> CheckpointError {
    CheckpointError(.limitExceeded, "\(what) exceeds the limit of \(limit)", path: machine.path, context: "data.pkl")
  }

  mutating func tree(_ value: PickleMachine.Value) throws -> PickleValue {
    try convert(value, depth: 0).value
  }

  private mutating func convert(_ value: PickleMachine.Value, depth: Int) throws -> (
    value: PickleValue, size: Int, height: Int
  ) {
    switch value {
    case .none: return (.none, 1, 0)
    case .bool(let b): return (.bool(b), 1, 0)
    case .int(let i): return (.int(i), 1, 0)
    case .bigInt(let digits): return (.bigInt(digits), 1, 0)
    case .float(let d): return (.float(d), 1, 0)
    case .string(let s): return (.string(s), 1, 0)
    case .bytes(let b): return (.bytes(b), 1, 0)
    case .global(let g): return (.opaque(g.qualifiedName), 1, 0)
    case .storage(let s): return (.opaque("torch storage \(s.key)"), 1, 0)
    case .object(let id):
      if let cached = done[id] {
        guard depth + cached.height <= machine.limits.maxNestingDepth else {
          throw overLimit("nesting depth", machine.limits.maxNestingDepth)
        }
        return cached
      }
      guard depth < machine.limits.maxNestingDepth else {
        throw overLimit("nesting depth", machine.limits.maxNestingDepth)
      }
      guard inProgress.insert(id).inserted else {
        throw CheckpointError(
          .malformedPickle, "the pickle holds a container that contains itself", path: machine.path, context: "data.pkl"
        )
      }
      let result = try convertObject(machine.objects[id], depth: depth)
      inProgress.remove(id)
      done[id] = result
      return result
    }
  }

  private mutating func convertObject(_ object: PickleMachine.Object, depth: Int) throws -> (
    value: PickleValue, size: Int, height: Int
  ) {
    var size = 1
    var height = 0
    func children(_ items: [PickleMachine.Value]) throws -> [PickleValue] {
      var out: [PickleValue] = []
      out.reserveCapacity(items.count)
      for item in items {
        let child = try convert(item, depth: depth + 1)
        size = min(size &+ child.size, Int.max / 2)
        guard size <= machine.limits.maxContainerElements else {
          throw overLimit("the size of the value tree", machine.limits.maxContainerElements)
        }
        height = max(height, child.height + 1)
        out.append(child.value)
      }
      return out
    }
    let value: PickleValue
    switch object.kind {
    case .tuple: value = .tuple(try children(object.items))
    case .list: value = .list(try children(object.items))
    case .set, .frozenSet: value = .set(try children(object.items))
    case .dict, .orderedDict:
      let flat = try children(object.items)
      var entries: [PickleDict.Entry] = []
      entries.reserveCapacity(flat.count / 2)
      for pair in stride(from: 0, to: flat.count, by: 2) {
        entries.append(PickleDict.Entry(key: flat[pair], value: flat[pair + 1]))
      }
      let isOrdered: Bool
      if case .orderedDict = object.kind { isOrdered = true } else { isOrdered = false }
      value = .dict(PickleDict(entries: entries, isOrdered: isOrdered))
    case .tensor(let t): value = .tensor(t)
    case .device(let d): value = .device(d)
    case .numpyDType(let name, let order): value = .opaque("numpy.dtype(\(order)\(name))")
    case .numpyScalar(let dtype, let bytes): value = .numpyScalar(dtype: dtype, bytes: bytes)
    case .opaque(let name): value = .opaque(name)
    }
    return (value, size, height)
  }
}
