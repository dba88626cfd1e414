import Foundation
import Testing
import _TestSupport

/// Issue 18: usage errors in the house style (one line `vibeseg: error:`, a pointer to help, 64),
/// "did you mean" for a misspelt command, every exit code in the top-level help.
@Suite("usage errors")
struct UsageErrorTests {
  @Test("usage errors: one error line, a hint, exit 64; a misspelt command gets a suggestion")
  func style() throws {
    let misspelt = try VibeSegBinary.run(["segement", "x.nii.gz"])
    #expect(misspelt.status == 64, "\(misspelt.stderr)")
    #expect(misspelt.stderr.hasPrefix("vibeseg: error: ") && misspelt.stderr.contains("did you mean `vibeseg segment`"), "\(misspelt.stderr)")
    let spacing = try VibeSegBinary.run(["convert", "a.nii", "-o", "b.nii", "--spacing", "1", "2"])
    #expect(spacing.status == 64 && spacing.stderr.hasPrefix("vibeseg: error: --spacing"), "\(spacing.stderr)")
    #expect(spacing.stderr.contains("vibeseg convert --help") && !spacing.stderr.contains("USAGE"), "\(spacing.stderr)")
    #expect(spacing.stderr.split(separator: "\n").count == 2, "\(spacing.stderr)")
    let directory = try VibeSegBinary.run(["segment", "x.nii.gz", "-o", "/tmp/some-folder"])
    #expect(directory.status == 64 && directory.stderr.contains("--split-masks"), "\(directory.stderr)")
    let folds = try VibeSegBinary.run(["predict", "-m", "m", "-i", "x.nii.gz", "-o", "y.nii.gz", "--folds", "0,1"])
    #expect(folds.status == 64 && folds.stderr.contains("--folds 0 1"), "\(folds.stderr)")
    let nonsense = try VibeSegBinary.run(["help", "nonsense"])
    #expect(nonsense.status == 64 && nonsense.stderr.contains("no command 'nonsense'"), "\(nonsense.stderr)")
    let folder = try VibeSegBinary.run(["info", FileManager.default.temporaryDirectory.path])
    #expect(folder.status == 66 && folder.stderr.contains("a directory"), "a folder as input is a missing input: \(folder.stderr)")
    let zip = try VibeSegBinary.run(["models", "import", "/nonexistent/100.zip"])
    #expect(zip.status == 66, "\(zip.stderr)")
    let help = try VibeSegBinary.run(["--help"])
    #expect(help.status == 0)
    for code in ["2 some cases", "64 usage", "65", "66", "69", "70", "73", "74", "75", "130/143"] {
      #expect(help.stdout.contains(code), "top-level help lacks exit code \(code)")
    }
  }
}
