import ArgumentParser
import Foundation
import InferenceEngine
import NiftiIO
import VibeSegKit

#if canImport(Glibc)
import Glibc
#endif

@main
struct VibeSegCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "vibeseg",
    abstract: "Whole-body MRI segmentation (nnU-Net / TotalVibeSegmentator) in Swift.",
    discussion: """
      Examples:
        vibeseg segment water.nii.gz -o seg.nii.gz --stats seg.csv --preview seg.png
        vibeseg combine --water W.nii.gz --in-phase IN.nii.gz --opposed-phase OPP.nii.gz -o seg.nii.gz
        vibeseg batch cohort/ -o results/ --task segment --stats --preview --shard 0/10
        vibeseg stats seg.nii.gz --labels liver,spleen --image water=water.nii.gz

      Exit codes (BSD sysexits): 0 success, 2 some cases of a batch failed, 64 usage error, 65 input data \
      rejected, 66 input missing or unreadable, 69 model unavailable, 70 internal error, 73 cannot \
      create output (or it exists without --overwrite), 74 I/O error, 75 that batch shard is already \
      running, 130/143 interrupted by SIGINT/SIGTERM (rerun to resume).
      """,
    version: VibeSegVersion.string,
    // Ordered by use: the main job first, then what follows it, then tools.
    subcommands: [
      Segment.self,
      Combine.self,
      Spine.self,
      Stats.self,
      Preview.self,
      Batch.self,
      BatchReportCommand.self,
      Models.self,
      Labels.self,
      Predict.self,
      Evaluate.self,
      Info.self,
      Convert.self,
      DICOM.self,
      Stitch.self,
      ResampleTo.self,
      CompareCohort.self,
      Review.self,
      ExportNNUNet.self,
      CheckTrained.self,
      ModelInfo.self,
    ])

  static func main() {
    commandStart = Date()
    passiveOpenMPWaiting()
    // One malloc arena: memory freed by worker threads goes back to the system (FreedMemory).
    FreedMemory.useOneArena()
    // The crash tests' fault injection (OutputTransaction.Faults); unset in normal use.
    if let text = getenv("VIBESEG_TEST_FAULT"), let faults = OutputTransaction.Faults(String(cString: text)) {
      OutputTransaction.faults = faults
    }
    runReportingUsageErrors()
  }

  /// ArgumentParser's `main`, with usage errors in the house style: one line
  /// `vibeseg: error: <message>` and a pointer to the command's help, exit 64 (instead of
  /// `Error: ...` and the whole usage text). Help, version and our own errors (already printed
  /// by `reportingErrors`) keep ArgumentParser's handling.
  static func runReportingUsageErrors() {
    let arguments = Array(CommandLine.arguments.dropFirst())
    // `vibeseg help NAME` with an unknown NAME is a usage error, not the top-level help.
    let names = configuration.subcommands.map { $0._commandName }
    if arguments.first == "help", arguments.count > 1, !names.contains(arguments[1]) {
      let near = names.min { editDistance(arguments[1], $0) < editDistance(arguments[1], $1) }
      let hint = near.flatMap { editDistance(arguments[1], $0) <= 2 ? "did you mean `vibeseg help \($0)`?" : nil } ?? "see `vibeseg --help`"
      FileHandle.standardError.write(Data("vibeseg: error: no command '\(arguments[1])'\nvibeseg: \(hint)\n".utf8))
      Foundation.exit(64)
    }
    do {
      var command = try parseAsRoot(arguments)
      try command.run()
    } catch {
      let code = exitCode(for: error)
      guard code.rawValue == 64, !(error is ExitCode) else { exit(withError: error) }
      let message = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
      let subcommand = arguments.first { !$0.hasPrefix("-") }.flatMap { name in
        configuration.subcommands.first { $0._commandName == name }?._commandName
      }
      var hint = "vibeseg: see `vibeseg \(subcommand.map { $0 + " " } ?? "")--help`"
      if subcommand == nil, let typed = arguments.first(where: { !$0.hasPrefix("-") }),
        let near = configuration.subcommands.map({ $0._commandName }).min(by: { editDistance(typed, $0) < editDistance(typed, $1) }),
        editDistance(typed, near) <= 2
      {
        hint = "vibeseg: did you mean `vibeseg \(near)`? (see `vibeseg --help`)"
      }
      FileHandle.standardError.write(Data((
        "vibeseg: error: \(message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message)\n" + hint + "\n").utf8))
      Foundation.exit(64)
    }
  }

  /// oneDNN's OpenMP threads spin after each primitive by default, on cores that the engine's
  /// own kernels (Dispatch threads) and the sliding window's accumulation need next: with
  /// `OMP_WAIT_POLICY=passive` they sleep instead (measured 1.4 s of 57 s faster on the predict
  /// benchmark, 2 cores). libgomp reads the variable once, when it is loaded, before `main`; so
  /// when the user has not chosen a policy, set it and run this program again (same process,
  /// `execv`). If that fails, go on with libgomp's default.
  static func passiveOpenMPWaiting() {
    #if os(Linux)
    guard getenv("OMP_WAIT_POLICY") == nil else { return }
    setenv("OMP_WAIT_POLICY", "passive", 1)
    // The executable's own path (not /proc/self/exe, which would rename the process "exe").
    var path = [CChar](repeating: 0, count: 4097)
    let length = readlink("/proc/self/exe", &path, 4096)
    guard length > 0 else { return }
    _ = execv(path, CommandLine.unsafeArgv)
    #endif
  }
}

/// Levenshtein distance (insertions, deletions, substitutions), for "did you mean".
func editDistance(_ a: String, _ b: String) -> Int {
  let a = Array(a), b = Array(b)
  var previous = Array(0...b.count)
  for i in 1...max(1, a.count) where !a.isEmpty {
    var current = [i] + [Int](repeating: 0, count: b.count)
    for j in 1...max(1, b.count) where !b.isEmpty {
      current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return a.isEmpty ? b.count : previous[b.count]
}
