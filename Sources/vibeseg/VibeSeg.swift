import ArgumentParser

@main
struct VibeSegCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "vibeseg",
    abstract: "Whole-body MRI segmentation (nnU-Net / TotalVibeSegmentator) in Swift.",
    subcommands: [])
}
