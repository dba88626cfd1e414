import Foundation
import Testing
import _TestSupport

/// Issue 18: long steps report the sliding window's tiles with the time left (on a terminal, or
/// with -v); without -v and without a terminal, nothing.
@Suite("tile progress")
struct TileProgressTests {
  @Test("segment -v reports every model's tiles up to the last; a plain run prints none")
  func tiles() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = ["--model", SegmentCommandTests.main.path, "--roi-model", SegmentCommandTests.roi.path]
    let image = Fixtures.committed("segment/case_asr/image.nii.gz").path
    let verbose = try VibeSegBinary.run(
      ["segment", image, "-o", dir.appendingPathComponent("v.nii.gz").path, "-v"] + model, environment: SegmentCommandTests.isolated(dir))
    #expect(verbose.status == 0, "\(verbose.stderr)")
    // The ROI model's and the main model's last tile (counts as the fixtures' grids give them).
    let finals = verbose.stderr.components(separatedBy: "\r").filter { $0.contains("tile ") }.compactMap { line -> (Int, Int)? in
      guard let range = line.range(of: #"tile (\d+)/(\d+)"#, options: .regularExpression) else { return nil }
      let parts = line[range].dropFirst(5).split(separator: "/").compactMap { Int($0) }
      return parts.count == 2 ? (parts[0], parts[1]) : nil
    }
    #expect(finals.filter { $0.0 == $0.1 }.count == 2, "\(verbose.stderr)")
    #expect(finals.allSatisfy { $0.0 >= 1 && $0.0 <= $0.1 })
    let quiet = try VibeSegBinary.run(
      ["segment", image, "-o", dir.appendingPathComponent("q.nii.gz").path] + model, environment: SegmentCommandTests.isolated(dir))
    #expect(quiet.status == 0 && !quiet.stderr.contains("tile "), "\(quiet.stderr)")
  }
}
