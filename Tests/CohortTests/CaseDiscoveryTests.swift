import Foundation
import ModelZoo
import Testing
import _TestSupport

@testable import Cohort

@Suite("Cohort: finding cases, sharding, output names")
struct CaseDiscoveryTests {
  func touch(_ folder: URL, _ names: [String]) throws {
    for name in names {
      let url = folder.appendingPathComponent(name)
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data([1]).write(to: url)
    }
  }

  @Test("a folder glob: ids from names, sorted; nnU-Net channel suffixes grouped; --pattern filters")
  func folder() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try touch(dir, ["b.nii.gz", "a.nii", "notes.txt", ".hidden.nii.gz"])
    let cases = try CaseDiscovery.cases(from: .folder(dir, pattern: nil))
    #expect(cases.map(\.id) == ["a", "b"])
    #expect(try CaseDiscovery.cases(from: .folder(dir, pattern: "b*")).map(\.id) == ["b"])
    #expect(throws: BatchError.self) { try CaseDiscovery.cases(from: .folder(dir, pattern: "zzz*")) }

    let nn = dir.appendingPathComponent("nnunet")
    try touch(nn, ["x_0001.nii.gz", "x_0000.nii.gz", "y_0000.nii.gz", "y_0001.nii.gz"])
    let grouped = try CaseDiscovery.cases(from: .folder(nn, pattern: nil))
    #expect(grouped.map(\.id) == ["x", "y"])
    #expect(grouped[0].inputs.map(\.lastPathComponent) == ["x_0000.nii.gz", "x_0001.nii.gz"])
    try touch(nn, ["z_0001.nii.gz"])
    #expect(throws: BatchError.self) { try CaseDiscovery.cases(from: .folder(nn, pattern: nil)) }
    let error = try #require(throws: BatchError.self) {
      try CaseDiscovery.cases(from: .folder(dir.appendingPathComponent("none"), pattern: nil))
    }
    #expect(error.code == .missingInput)
  }

  @Test("a CSV list: quoted fields, multi-channel rows, relative paths, default ids; bad lists refused")
  func list() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let csv = dir.appendingPathComponent("cases.csv")
    try "id,channel_0,channel_1,site\r\nsub1,\"a, b.nii.gz\",w.nii.gz,x\n,/abs/c.nii.gz,,y\n".write(
      to: csv, atomically: true, encoding: .utf8)
    let cases = try CaseDiscovery.cases(from: .list(csv))
    #expect(cases.map(\.id) == ["c", "sub1"])
    #expect(
      cases[1].inputs.map(\.path) == [
        dir.appendingPathComponent("a, b.nii.gz").path, dir.appendingPathComponent("w.nii.gz").path,
      ])
    #expect(cases[0].inputs.map(\.path) == ["/abs/c.nii.gz"])
    try "id,image\nx,y.nii.gz\n".write(to: csv, atomically: true, encoding: .utf8)
    #expect(throws: BatchError.self) { try CaseDiscovery.cases(from: .list(csv)) }
    try "id,channel_0\nx,a.nii.gz\nx,b.nii.gz\n".write(to: csv, atomically: true, encoding: .utf8)
    let duplicate = try #require(throws: BatchError.self) { try CaseDiscovery.cases(from: .list(csv)) }
    #expect(duplicate.message.contains("'x'"))
    try "id,channel_0\n../evil,a.nii.gz\n".write(to: csv, atomically: true, encoding: .utf8)
    #expect(throws: BatchError.self) { try CaseDiscovery.cases(from: .list(csv)) }
  }

  @Test("BIDS: sub-* files below the root, derivatives and label maps skipped; names as upstream's derivatives")
  func bids() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try touch(
      dir,
      [
        "sub-01/ses-1/anat/sub-01_ses-1_acq-ax_T1w.nii.gz", "sub-02/anat/sub-02_dixon.nii.gz",
        "sub-02/anat/sub-02_seg-old_msk.nii.gz", "derivatives/sub-01/sub-01_T1w.nii.gz", "README.nii.gz",
      ])
    let cases = try CaseDiscovery.cases(from: .bids(dir, pattern: nil))
    #expect(cases.map(\.id) == ["sub-01_ses-1_acq-ax_T1w", "sub-02_dixon"])
    let layout = OutputLayout(root: URL(fileURLWithPath: "/out"), modelLabel: "TotalVibeSegmentator")
    #expect(
      layout.relativePath(.labelMap, for: cases[0])
        == "sub-01/ses-1/anat/sub-01_ses-1_acq-ax_seg-TotalVibeSegmentator_msk.nii.gz")
    #expect(layout.relativePath(.preview, for: cases[1]) == "sub-02/anat/sub-02_seg-TotalVibeSegmentator_preview.png")
    let segs = try CaseDiscovery.cases(from: .bids(dir, pattern: nil), segmentations: true)
    #expect(segs.map(\.id) == ["sub-02_seg-old_msk"])
    #expect(
      OutputLayout(root: dir, modelLabel: nil).relativePath(.statisticsCSV, for: segs[0])
        == "sub-02/anat/sub-02_seg-old_stats.csv")
    let plain = OutputLayout(root: dir, modelLabel: "m")
    #expect(plain.relativePath(.labelMap, for: CohortCase(id: "a1", inputs: [])) == "a1.nii.gz")
    #expect(plain.relativePath(.statisticsJSON, for: CohortCase(id: "a1", inputs: [])) == "a1.stats.json")
    #expect(OutputLayout.bidsLabel("Dataset080_Total-Vibe") == "Dataset080TotalVibe")
  }

  @Test("shards N = 1, 3, 7 partition the cases: each case in exactly one shard, by its id alone")
  func shards() {
    let cases = (0..<200).map { CohortCase(id: String(format: "case-%03d", $0), inputs: []) }
    for n in [1, 3, 7] {
      let parts = (0..<n).map { CaseDiscovery.shard(cases, index: $0, count: n) }
      let ids = parts.flatMap { $0.map(\.id) }
      #expect(ids.count == cases.count && Set(ids) == Set(cases.map(\.id)), "N=\(n)")
      if n > 1 {
        #expect(parts.allSatisfy { $0.count > 200 / n / 3 }, "N=\(n) roughly balanced: \(parts.map(\.count))")
      }
      // The assignment of a case does not depend on the other cases.
      let alone = CaseDiscovery.shard([cases[42]], index: parts.firstIndex { $0.contains(cases[42]) }!, count: n)
      #expect(alone == [cases[42]])
    }
    #expect(CaseDiscovery.fnv1a64("") == 0xcbf2_9ce4_8422_2325)
    #expect(CaseDiscovery.fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)
  }

  @Test("every announced task is registered; unknown tasks are refused; model ids need a resolver")
  func registeredTasks() {
    #expect(CohortTasks.pending.isEmpty)
    #expect(CohortTasks.kinds == ["combine", "predict", "segment", "spine", "stats"])
    // segment, spine and combine default to the model ids 100 and 511, which only the model zoo resolves.
    for kind in ["segment", "spine", "combine"] {
      let error = #expect(throws: (any Error).self) { try CohortTasks.make(kind, options: CohortTaskOptions()) }
      #expect("\(error.map { "\($0)" } ?? "")".contains("model ids are not resolved here"), "\(kind)")
    }
    let unknown = #expect(throws: BatchError.self) { try CohortTasks.make("nonsense", options: CohortTaskOptions()) }
    #expect(unknown?.message.contains("predict") == true)
    let noModel = #expect(throws: BatchError.self) { try CohortTasks.make("predict", options: CohortTaskOptions()) }
    #expect(noModel?.message.contains("--model") == true)
  }

  @Test("--model ID goes through the resolver the CLI passes; without one, or when not installed, it is refused")
  func modelIDs() throws {
    var options = CohortTaskOptions()
    options.model = "100"
    let unresolved = #expect(throws: (any Error).self) { try CohortTasks.make("predict", options: options) }
    #expect(unresolved.map { String(describing: type(of: $0)) } == "VibeSegKitError")
    options.modelLocator = .table { id in id == 100 ? SyntheticCohort.model : nil }
    let task = try CohortTasks.make("predict", options: options)
    #expect(task.fingerprint["model_sha256"]?.count == 64)
    options.model = "101"
    let missing = #expect(throws: (any Error).self) { try CohortTasks.make("predict", options: options) }
    #expect("\(missing.map { "\($0)" } ?? "")".contains("not installed"))
  }

  @Test("stale temporary files are recognised by the final name they stand for")
  func temporaryNames() {
    #expect(BatchRun.finalName(ofTemporary: ".batch-partial-123.s001.nii.gz") == "s001.nii.gz")
    #expect(BatchRun.finalName(ofTemporary: "..batch-partial-123.s001.nii.gz.tmp-123-99") == "s001.nii.gz")
    #expect(BatchRun.finalName(ofTemporary: ".s001.stats.csv.tmp-5-6") == "s001.stats.csv")
    #expect(BatchRun.finalName(ofTemporary: ".vibeseg") == nil)
    #expect(BatchRun.finalName(ofTemporary: ".batch-partial-x.s001.nii.gz") == nil)
  }
}
