import Foundation
import Testing
import _TestSupport

/// `batch --jobs J`: J worker processes on sub-shards of the run's shard.
@Suite("vibeseg batch --jobs", .serialized)
struct BatchJobsTests {
  static func files(_ folder: URL) throws -> [String: Data] {
    var result = [String: Data]()
    for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".nii.gz") {
      result[name] = try Data(contentsOf: folder.appendingPathComponent(name))
    }
    return result
  }

  @Test("two workers write exactly what one process writes; a rerun without --jobs adopts their work")
  func jobsEqualSingle() throws {
    let dir = try Fixtures.temporaryDirectory("vibeseg-batch-jobs")
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    let ids = try SyntheticCohort.make(in: input, count: 7)
    let single = dir.appendingPathComponent("single"), parallel = dir.appendingPathComponent("parallel")
    let one = try BatchCommandTests.run(BatchCommandTests.batchArguments(input, single), logs: dir.appendingPathComponent("one"))
    #expect(one.status == 0, "\(one.stderr)")
    let two = try BatchCommandTests.run(
      BatchCommandTests.batchArguments(input, parallel, ["--jobs", "2"]), logs: dir.appendingPathComponent("two"))
    #expect(two.status == 0, "\(two.stderr)")
    let a = try Self.files(single), b = try Self.files(parallel)
    #expect(a.count == ids.count)
    #expect(a == b, "outputs of --jobs 2 differ from one process")
    let manifests = try FileManager.default.contentsOfDirectory(atPath: parallel.appendingPathComponent(".vibeseg").path)
      .filter { $0.hasSuffix(".sqlite") }.sorted()
    #expect(manifests == ["manifest-shard-0-of-2.sqlite", "manifest-shard-1-of-2.sqlite"])
    let again = try BatchCommandTests.run(
      BatchCommandTests.batchArguments(input, parallel), logs: dir.appendingPathComponent("again"))
    #expect(again.status == 0, "\(again.stderr)")
    #expect(again.stderr.contains("0 to run"), "\(again.stderr)")
    #expect(try Self.files(parallel) == b)
  }

  @Test("a worker's failure gives exit 2 for the whole run")
  func failurePropagates() throws {
    let dir = try Fixtures.temporaryDirectory("vibeseg-batch-jobs-fail")
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in")
    _ = try SyntheticCohort.make(in: input, count: 4, truncated: [1])
    let r = try BatchCommandTests.run(
      BatchCommandTests.batchArguments(input, dir.appendingPathComponent("out"), ["--jobs", "2"]),
      logs: dir.appendingPathComponent("log"))
    #expect(r.status == 2, "\(r.stderr)")
    #expect(r.stderr.contains("s001"), "\(r.stderr)")
  }
}
