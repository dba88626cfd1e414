import ArgumentParser
import InferenceEngine
import NiftiIO

#if canImport(Glibc)
import Glibc
#endif

@main
struct VibeSegCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "vibeseg",
    abstract: "Whole-body MRI segmentation (nnU-Net / TotalVibeSegmentator) in Swift.",
    discussion: """
      Exit codes (BSD sysexits): 0 success, 64 usage error, 65 input data rejected, 69 model unavailable, \
      66 input missing or unreadable, 70 internal error, 73 cannot create output, 74 I/O error.
      """,
    version: "0.1.0",
    subcommands: [
      Info.self,
      Convert.self,
      Preview.self,
      Stats.self,
      Evaluate.self,
      ModelInfo.self,
      Predict.self,
      Models.self,
      Batch.self,
      BatchReportCommand.self,
      Segment.self,
      Combine.self,
      Spine.self,
      Labels.self,
    ])

  static func main() {
    passiveOpenMPWaiting()
    // One malloc arena: memory freed by worker threads goes back to the system (FreedMemory).
    FreedMemory.useOneArena()
    // The crash tests' fault injection (OutputTransaction.Faults); unset in normal use.
    if let text = getenv("VIBESEG_TEST_FAULT"), let faults = OutputTransaction.Faults(String(cString: text)) {
      OutputTransaction.faults = faults
    }
    main(nil)
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
