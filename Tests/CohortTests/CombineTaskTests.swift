import Foundation
import Testing
import VibeSegKit
import _TestSupport

@testable import Cohort

/// How `--task combine` tells the contrasts of a case apart, and what its fingerprint holds. The
/// outputs themselves are compared with `vibeseg combine` in CommandLineTests/BatchCombineTests.
@Suite("Cohort: combine task")
struct CombineTaskTests {
  static let main = Fixtures.committed("segment/main/nnUNetTrainerNoMirroring__nnUNetPlans__3d_fullres")
  static let roi = Fixtures.committed("segment/roi/nnUNetTrainer__nnUNetPlans__3d_fullres")

  func options(female: Bool = false, fillHoles: Bool = false) -> CohortTaskOptions {
    var options = CohortTaskOptions()
    options.model = Self.main.path
    options.roiModel = Self.roi.path
    options.female = female
    options.fillHoles = fillHoles
    return options
  }

  func write(_ text: String, to url: URL) throws {
    try text.write(to: url, atomically: true, encoding: .utf8)
  }

  @Test(
    "CSV contrast columns in any order and any subset; channel_N and folder suffixes map water, in-phase, opposed-phase"
  )
  func contrastMapping() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let csv = dir.appendingPathComponent("cases.csv")
    try write("ID,Opposed_Phase,water,in_phase\na,o.nii.gz,w.nii.gz,i.nii.gz\nb,,,i2.nii.gz\n", to: csv)
    let cases = try CaseDiscovery.cases(from: .list(csv))
    #expect(cases[0].inputs.map(\.lastPathComponent) == ["w.nii.gz", "i.nii.gz", "o.nii.gz"], "upstream's order")
    #expect(cases[0].channels == ["water", "in_phase", "opposed_phase"])
    let a = try CombineTask.contrasts(of: cases[0])
    #expect(a[.water]?.lastPathComponent == "w.nii.gz" && a[.inPhase]?.lastPathComponent == "i.nii.gz")
    #expect(a[.opposedPhase]?.lastPathComponent == "o.nii.gz")
    #expect(try CombineTask.contrasts(of: cases[1]).mapValues(\.lastPathComponent) == [.inPhase: "i2.nii.gz"])

    // channel_N columns: an empty channel_0 keeps channel_1 in-phase.
    try write("id,channel_0,channel_1,channel_2\nc,,x.nii.gz,y.nii.gz\n", to: csv)
    let channelled = try CaseDiscovery.cases(from: .list(csv))
    #expect(channelled[0].channels == ["channel_1", "channel_2"])
    #expect(
      try CombineTask.contrasts(of: channelled[0]).mapValues(\.lastPathComponent)
        == [.inPhase: "x.nii.gz", .opposedPhase: "y.nii.gz"])

    // A folder with nnU-Net names: _0000 water, _0001 in-phase; a fourth channel fails the case.
    let folder = dir.appendingPathComponent("nn")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for name in ["s_0000.nii.gz", "s_0001.nii.gz", "t_0000.nii.gz", "t_0001.nii.gz", "t_0002.nii.gz", "t_0003.nii.gz"] {
      try Data([1]).write(to: folder.appendingPathComponent(name))
    }
    let grouped = try CaseDiscovery.cases(from: .folder(folder, pattern: nil))
    #expect(
      try CombineTask.contrasts(of: grouped[0]).mapValues(\.lastPathComponent)
        == [.water: "s_0000.nii.gz", .inPhase: "s_0001.nii.gz"])
    let fourth = #expect(throws: BatchError.self) { try CombineTask.contrasts(of: grouped[1]) }
    #expect(fourth?.message.contains("channel_3") == true && CohortTasks.isInputError(fourth!))
  }

  @Test("CSV headers mixing channel_N and contrast columns, repeating one, or with neither are refused")
  func badHeaders() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let csv = dir.appendingPathComponent("cases.csv")
    for (header, words) in [
      ("id,channel_0,water", "mixes"), ("id,water,Water", "twice"), ("id,fat", "channel_0"),
    ] {
      try write("\(header)\nx,a.nii.gz,b.nii.gz\n", to: csv)
      let error = #expect(throws: BatchError.self, "\(header)") { try CaseDiscovery.cases(from: .list(csv)) }
      #expect(error?.message.contains(words) == true, "\(header): \(error?.message ?? "")")
    }
    try write("id,water,in_phase\nx,,\n", to: csv)
    let empty = #expect(throws: BatchError.self) { try CaseDiscovery.cases(from: .list(csv)) }
    #expect(empty?.message.contains("line 2") == true)
  }

  @Test("the fingerprint holds the models, combine's output flags and the model name; per case, each file's contrast")
  func fingerprint() throws {
    let plain = try CombineTask(options())
    #expect(plain.fingerprint["model_sha256"]?.count == 64 && plain.fingerprint["roi_model_sha256"]?.count == 64)
    #expect(plain.fingerprint["model_name"] == Self.main.path)
    #expect(plain.extraRoles == [.extra("json")])
    #expect(try CombineTask(options(female: true)).fingerprint != plain.fingerprint)
    #expect(try CombineTask(options(fillHoles: true)).fingerprint != plain.fingerprint)
    var threads = options()
    threads.threads = 7
    #expect(try CombineTask(threads).fingerprint == plain.fingerprint, "threads do not change outputs")

    let water = CohortCase(id: "x", inputs: [URL(fileURLWithPath: "/d/a.nii.gz")], channels: ["water"])
    let inPhase = CohortCase(id: "x", inputs: [URL(fileURLWithPath: "/d/a.nii.gz")], channels: ["in_phase"])
    #expect(plain.caseFingerprint(water) == ["contrasts": "water=a.nii.gz"])
    #expect(plain.caseFingerprint(inPhase) != plain.caseFingerprint(water), "same file, other contrast: redone")
  }
}
