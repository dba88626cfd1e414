// libFuzzer target: the allow-list unpickler on arbitrary bytes (reliability.md 4.3, target 4).
// Built by Fuzz/run.sh together with Sources/TorchCheckpoint/*.swift into one module.

/// Small caps so a memory bomb shows up as an error, not as libFuzzer's out-of-memory.
let fuzzLimits: CheckpointLimits = {
  var limits = CheckpointLimits()
  limits.maxContainerElements = 200_000
  limits.maxStackDepth = 100_000
  limits.maxMemoEntries = 100_000
  limits.maxStringBytes = 1 << 20
  limits.maxEntryBytes = 32 << 20
  limits.maxTotalBytes = 64 << 20
  limits.maxTensorElements = 1 << 22
  return limits
}()

/// Walks the tree (what a consumer does) and returns its node count.
func walk(_ value: PickleValue) -> Int {
  switch value {
  case .tuple(let items), .list(let items), .set(let items): return items.reduce(1) { $0 + walk($1) }
  case .dict(let d): return d.entries.reduce(1) { $0 + walk($1.key) + walk($1.value) }
  default: return 1
  }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func unpicklerFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  if let document = try? Unpickler.document(from: bytes, limits: fuzzLimits) {
    precondition(walk(document.root) <= 4 * fuzzLimits.maxContainerElements + 1)
  }
  return 0
}
