import Foundation
import Testing
import _TestSupport

/// `vibeseg compare-cohort` from the command line: the committed NumPy-checked fixture, usage and
/// missing-input exit codes, nothing written on failure.
@Suite("vibeseg compare-cohort")
struct CompareCohortCommandTests {
  static let fixture = Fixtures.committed("compare_cohort")

  @Test("the fixture cohort: two cases flagged, five report files written, summary on stdout")
  func run() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("review")
    let r = try VibeSegBinary.run([
      "compare-cohort", Self.fixture.appendingPathComponent("a").path, Self.fixture.appendingPathComponent("b").path,
      "-o", out.path,
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("8 case(s), 0 failed, 4 structure(s); 2 case(s) flagged"), "\(r.stdout)")
    #expect(r.stdout.contains("case_03") && r.stdout.contains("case_06"))
    for file in ["compare.json", "cases.csv", "labels.csv", "review_queue.csv", "report.html"] {
      #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file)")
    }
    let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
    #expect(html.contains("case_06") && html.contains("Review queue"))
    // A second run without --overwrite keeps the files (73).
    let again = try VibeSegBinary.run([
      "compare-cohort", Self.fixture.appendingPathComponent("a").path, Self.fixture.appendingPathComponent("b").path,
      "-o", out.path,
    ])
    #expect(again.status == 73, "\(again.stderr)")
  }

  @Test("--k 0 is a usage error (64); a missing folder is 66; nothing written")
  func refused() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("review")
    let a = Self.fixture.appendingPathComponent("a").path
    let zero = try VibeSegBinary.run(["compare-cohort", a, a, "-o", out.path, "--k", "0"])
    #expect(zero.status == 64, "\(zero.stderr)")
    let missing = try VibeSegBinary.run(["compare-cohort", dir.appendingPathComponent("absent").path, a, "-o", out.path])
    #expect(missing.status == 66 && missing.stderr.contains("absent"), "\(missing.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out.path))
  }
}
