import Foundation

/// Writing a computed case: stage, hash, rename into place, record as done.
extension BatchRun {
  /// Stages every output, hashes it, renames it into place, then records the case as done.
  func commit(_ item: CohortCase, _ record: ManifestRecord, _ products: CaseProducts, context: RunContext) {
    let start = Date()
    CrashRecorder.set(.writing, item.id)
    defer { CrashRecorder.set(.writing, nil) }
    var staged = [(role: OutputRole, staging: URL, final: URL, sha256: String, bytes: Int)]()
    do {
      for (role, write) in try producers(item, products, context: context) {
        let final = context.layout.url(role, for: item)
        let folder = final.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let staging = folder.appendingPathComponent(".batch-partial-\(getpid()).\(final.lastPathComponent)")
        try write(staging)
        hooks.crashPoint("output-staged", item.id)
        let bytes = (try FileManager.default.attributesOfItem(atPath: staging.path)[.size] as? NSNumber)?.intValue ?? 0
        staged.append((role, staging, final, try FileHash.sha256(of: staging), bytes))
      }
      var folders = Set<String>()
      for output in staged {
        guard rename(output.staging.path, output.final.path) == 0 else {
          throw BatchError(
            .cannotCreateOutput, "cannot move the finished file into place: \(String(cString: strerror(errno)))",
            path: output.final.path)
        }
        folders.insert(output.final.deletingLastPathComponent().path)
        hooks.crashPoint("output-renamed", item.id)
      }
      for folder in folders {
        let fd = open(folder, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
          fsync(fd)
          close(fd)
        }
      }
    } catch {
      for output in staged { unlink(output.staging.path) }
      finishFailed(record, error: error, seconds: Date().timeIntervalSince(start))
      return
    }
    // Stat keys of the final names (a rename keeps the staged file's inode, size and mtime).
    var stats = [String: String]()
    for output in staged {
      if let key = FileHash.statKey(output.final) { stats[context.layout.relativePath(output.role, for: item)] = key }
    }
    var done = record
    done.status = .done
    done.stage = nil
    done.outputStat = ManifestRecord.json(stats)
    done.outputs = ManifestRecord.json(
      staged.map {
        RecordedOutput(
          role: $0.role.name, path: context.layout.relativePath($0.role, for: item), sha256: $0.sha256, bytes: $0.bytes)
      })
    done.warnings = products.warnings.isEmpty ? nil : products.warnings.joined(separator: "\n")
    done.secondsWrite = Date().timeIntervalSince(start)
    done.finishedAt = Date().timeIntervalSince1970
    do {
      try manifest!.save(done) { hooks.crashPoint("manifest-update", item.id) }
    } catch {
      stop(with: error)
      return
    }
    lock.withLock { summary.succeeded += 1 }
    let total = (done.secondsRead ?? 0) + (done.secondsCompute ?? 0) + (done.secondsWrite ?? 0)
    for warning in products.warnings { hooks.events(.warning("\(item.id): \(warning)")) }
    hooks.events(.finished(id: item.id, status: .done, error: nil, seconds: total))
  }
}
