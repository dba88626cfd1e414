import ArgumentParser
import InferenceEngine

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
    // One malloc arena: memory freed by worker threads goes back to the system (FreedMemory).
    FreedMemory.useOneArena()
    main(nil)
  }
}
