import Cohort
import Dispatch
import Foundation

extension VibeSegCommand.Batch {
  /// The arguments of worker `j` of `--jobs J`: this command with `--shard (I + N*j)/(N*J)`,
  /// `--jobs 1` and the network threads shared out. `fnv(id) mod N*J = I + N*j` implies
  /// `fnv(id) mod N = I`, so the workers together cover exactly this shard's cases, and their
  /// manifests are ordinary shard manifests (a rerun with another J adopts their finished cases).
  func workerArguments(job j: Int, index: Int, count: Int) -> [String] {
    var args = ["batch", input, "-o", output, "--task", task, "--shard", "\(index + count * j)/\(count * jobs)"]
    if let model { args += ["--model", model] }
    if let roiModel { args += ["--roi-model", roiModel] }
    if female { args.append("--female") }
    if fillHoles { args.append("--fill-holes") }
    if !roiSubset.isEmpty { args += ["--roi-subset"] + roiSubset }
    if crop { args.append("--crop") }
    if keepSize { args.append("--keep-size") }
    if splitMasks { args.append("--split-masks") }
    if verifyOutputs { args.append("--verify-outputs") }
    if let pattern { args += ["--pattern", pattern] }
    if bids { args.append("--bids") }
    args += ["--retries", String(retries), "--max-deaths", String(maxDeaths)]
    args += ["--threads", String(max(1, threads / jobs)), "--jobs", "1"]
    if retryQuarantined { args.append("--retry-quarantined") }
    if stats { args.append("--stats") }
    if preview { args.append("--preview") }
    if overwrite { args.append("--overwrite") }
    if !folds.isEmpty { args += ["--folds"] + folds }
    if let maxFolds { args += ["--max-folds", String(maxFolds)] }
    args += ["--step-size", String(stepSize), "--pad", String(pad)]
    if let checkpoint { args += ["--checkpoint", checkpoint.rawValue] }
    if let tta { args.append(tta ? "--tta" : "--no-tta") }
    return args
  }

  /// `--jobs J`: starts J workers, forwards SIGINT/SIGTERM to them, waits, and exits with the
  /// most telling status: an interrupt (130/143) first, then a run-level error (64, 66, 69 ...),
  /// then 2 when some case failed, else 0.
  ///
  /// The parent holds its shard's lock for the run (a second `--jobs` run of the same shard exits
  /// 75 at once); each worker takes its sub-shard's. Workers die with the parent: each is told the
  /// parent's pid (`VIBESEG_BATCH_PARENT`) and asks the kernel for SIGKILL when it goes
  /// (`dieWithParent`), so a `kill -9` of the parent leaves no orphan computing on; their cases
  /// resume like those of any killed run.
  func runJobs(index: Int, count: Int) throws -> Never {
    let outputURL = URL(fileURLWithPath: output)
    var shardLock: ShardLock?
    try reportingErrors {
      try OutputFolderCheck.prepare(outputURL, shard: index, of: count)
      shardLock = try ShardLock(outputFolder: outputURL, shard: index, of: count)
    }
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var workers = [Process]()
    let lock = NSLock()
    for number in [SIGINT, SIGTERM] {
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: DispatchQueue(label: "vibeseg.jobs.signals"))
      source.setEventHandler {
        lock.lock()
        defer { lock.unlock() }
        for worker in workers where worker.isRunning { kill(worker.processIdentifier, number) }
      }
      source.resume()
      batchSignalSources.append(source)
    }
    for j in 0..<jobs {
      let process = Process()
      process.executableURL = executable
      process.arguments = workerArguments(job: j, index: index, count: count)
      process.environment = ProcessInfo.processInfo.environment.merging([Self.parentVariable: "\(getpid())"]) { $1 }
      do {
        try lock.withLock { try process.run() }
      } catch {
        printError("vibeseg: error: cannot start batch worker \(j): \(error.localizedDescription)")
        lock.withLock { for worker in workers where worker.isRunning { kill(worker.processIdentifier, SIGTERM) } }
        Foundation.exit(70)
      }
      lock.withLock { workers.append(process) }
    }
    var statuses = [Int32]()
    for worker in workers {
      worker.waitUntilExit()
      statuses.append(worker.terminationReason == .uncaughtSignal ? 128 + worker.terminationStatus : worker.terminationStatus)
    }
    let code =
      statuses.first { $0 == 130 || $0 == 143 }
      ?? statuses.first { $0 != 0 && $0 != 2 }
      ?? (statuses.contains(2) ? 2 : 0)
    fflush(nil)
    withExtendedLifetime(shardLock) {}
    Foundation.exit(code)
  }

  /// Set by `runJobs` in each worker's environment: the parent's pid.
  static let parentVariable = "VIBESEG_BATCH_PARENT"

  /// In a `--jobs` worker: asks the kernel to SIGKILL this process when its parent dies
  /// (`prctl(PR_SET_PDEATHSIG, SIGKILL)`), then checks that the parent is still the one that
  /// started it (it may have died before the request: then exit now).
  static func dieWithParent(_ parent: String) {
    #if os(Linux)
      typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
      // prctl is variadic in C and so not imported; its Linux ABI takes five machine words.
      if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") {
        let setParentDeathSignal: Int32 = 1  // PR_SET_PDEATHSIG
        _ = unsafeBitCast(symbol, to: Prctl.self)(setParentDeathSignal, UInt(SIGKILL), 0, 0, 0)
      }
    #endif
    if let pid = Int32(parent), getppid() != pid {
      printError("vibeseg: error: batch worker: the --jobs parent (pid \(pid)) is gone; stopping")
      _exit(143)
    }
  }
}
