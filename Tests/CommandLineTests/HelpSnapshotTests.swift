import Foundation
import Testing
import _TestSupport

/// Issue 18: the top-level help is a reviewed snapshot (commands ordered by use, examples, every
/// exit code), and every command's help carries examples. After an intended change, regenerate the
/// snapshot with `VIBESEG_UPDATE_SNAPSHOTS=1 swift test --filter HelpSnapshotTests`.
@Suite("help")
struct HelpSnapshotTests {
  static let snapshot = Fixtures.committed("help/vibeseg-help.txt")

  @Test("vibeseg --help equals the committed snapshot")
  func topLevel() throws {
    var env = ProcessInfo.processInfo.environment
    env["COLUMNS"] = "80"  // the wrapping width, whatever the terminal running the tests
    let r = try VibeSegBinary.run(["--help"], environment: env)
    #expect(r.status == 0)
    if ProcessInfo.processInfo.environment["VIBESEG_UPDATE_SNAPSHOTS"] == "1" {
      try Data(r.stdout.utf8).write(to: Self.snapshot)
    }
    let expected = try String(contentsOf: Self.snapshot, encoding: .utf8)
    #expect(r.stdout == expected, "help changed; review it and regenerate with VIBESEG_UPDATE_SNAPSHOTS=1")
    // The main job comes first.
    let commands = r.stdout.components(separatedBy: "SUBCOMMANDS:").last ?? ""
    #expect(commands.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("segment"))
  }

  @Test("every command's --help shows examples", arguments: [
    ["segment"], ["combine"], ["spine"], ["stats"], ["preview"], ["batch"], ["batch-report"], ["models"], ["predict"],
    ["evaluate"], ["convert"], ["dicom", "index"], ["stitch"], ["augment"],
  ])
  func examples(command: [String]) throws {
    let r = try VibeSegBinary.run(command + ["--help"])
    #expect(r.status == 0 && r.stdout.contains("Examples:") && r.stdout.contains("vibeseg \(command[0]) "), "\(command): \(r.stdout)")
  }
}
