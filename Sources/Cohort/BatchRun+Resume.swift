import Foundation

/// Resume checks: whether a case's inputs and recorded outputs are still the bytes recorded, and the
/// finished cases of other shard counts' manifests in the folder (adopted after the same checks).
extension BatchRun {
  /// The inputs' combined SHA-256 and stat key, reusing `record`'s hash when the stat key matches.
  func inputIdentity(_ item: CohortCase, record: ManifestRecord) -> (sha256: String, stat: String)? {
    let keys = item.inputs.map(FileHash.statKey)
    guard keys.allSatisfy({ $0 != nil }) else { return nil }
    let stat = keys.map { $0! }.joined(separator: "|")
    if stat == record.inputStat, let sha = record.inputSHA256 { return (sha, stat) }
    guard let hashes = try? item.inputs.map(FileHash.sha256(of:)) else { return nil }
    return (combinedHash(hashes), stat)
  }

  func combinedHash(_ hashes: [String]) -> String {
    hashes.count == 1 ? hashes[0] : FileHash.sha256(hashes.joined(separator: "\n"))
  }

  /// Whether every recorded output of `record` is in place with its recorded bytes. An output
  /// whose stat key equals the recorded one is trusted without reading it (unless
  /// `verifyOutputs`); the others are re-hashed (counted in `summary.outputsHashed`). Returns the
  /// stat keys now (`ManifestRecord.outputStat`) when they are verified, nil otherwise.
  func verifiedOutputStat(_ record: ManifestRecord) -> String? {
    let outputs = record.recordedOutputs
    guard !outputs.isEmpty else { return nil }
    let recorded = record.recordedOutputStat
    var current = [String: String]()
    for output in outputs {
      let url = options.outputFolder.appendingPathComponent(output.path)
      guard let key = FileHash.statKey(url) else { return nil }
      if options.verifyOutputs || recorded[output.path] != key {
        lock.withLock { summary.outputsHashed += 1 }
        guard (try? FileHash.sha256(of: url)) == output.sha256 else { return nil }
      }
      current[output.path] = key
    }
    return ManifestRecord.json(current)
  }

  /// Done records of the other manifests in the folder (newest per case).
  func otherManifestRecords(excluding mine: URL) -> [String: ManifestRecord] {
    var result = [String: ManifestRecord]()
    for url in Manifest.all(in: options.outputFolder) where url.lastPathComponent != mine.lastPathComponent {
      guard let records = try? Manifest(url: url, create: false).records() else { continue }
      for (id, r) in records where r.status == .done && (result[id].map { $0.updatedAt < r.updatedAt } ?? true) {
        result[id] = r
      }
    }
    return result
  }
}
