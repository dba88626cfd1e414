// libFuzzer target: the zip container reader and the whole checkpoint path on arbitrary bytes
// (reliability.md 4.3, target 3). Built by Fuzz/run.sh with Sources/TorchCheckpoint/*.swift.

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

@_cdecl("LLVMFuzzerTestOneInput")
public func zipFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  // The container alone: open, then read (and CRC-check) every entry.
  if let archive = try? ZipArchive(source: MemoryArchiveSource(bytes, path: "fuzz"), limits: fuzzLimits) {
    for entry in archive.entries { _ = try? archive.contents(of: entry) }
  }
  // The whole checkpoint: open, bind network_weights, read every tensor.
  if let checkpoint = try? TorchCheckpoint(bytes: bytes, path: "fuzz", limits: fuzzLimits),
    let weights = try? checkpoint.networkWeights
  {
    for tensor in weights.tensors {
      _ = try? tensor.contiguousBytes()
      _ = try? tensor.floats()
      _ = try? tensor.int64s()
    }
    _ = checkpoint.trainerName
    _ = checkpoint.inferenceAllowedMirroringAxes
    _ = checkpoint.initArgs
  }
  return 0
}
