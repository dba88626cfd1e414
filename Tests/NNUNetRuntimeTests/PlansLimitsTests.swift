import Foundation
import NNUNetRuntime
import TorchCheckpoint
import Testing
import _TestSupport

/// Issue 15 rows 5-7 for model folders: plans geometry checked on load (naming the field), only
/// regular files opened (a FIFO never blocks), JSON inputs capped at 64 MiB before reading.
@Suite("Plans limits, regular files, JSON cap (issue 15 rows 5-7)")
struct PlansLimitsTests {
  struct PlansCase: Sendable, CustomTestStringConvertible {
    /// Member of `configurations.3d_fullres` (or of its `architecture.arch_kwargs`) and its new JSON text.
    var member: String, json: String, inArchitecture = false, configuration = "3d_fullres"
    var field: String
    var testDescription: String { "\(configuration).\(member) = \(json)" }
  }

  static let plansCases: [PlansCase] = [
    .init(member: "patch_size", json: "[4096, 4096, 4096]", field: "configurations.3d_fullres.patch_size"),
    .init(member: "patch_size", json: "[-1, 96, 128]", field: "configurations.3d_fullres.patch_size"),
    .init(member: "patch_size", json: "[0, 0, 0]", field: "configurations.3d_fullres.patch_size"),
    .init(member: "patch_size", json: "[257, 256, 256]", field: "configurations.3d_fullres.patch_size"),
    .init(member: "spacing", json: "[0, 3, 3]", field: "configurations.3d_fullres.spacing"),
    .init(member: "spacing", json: "[NaN, 3, 3]", field: "configurations.3d_fullres.spacing"),
    .init(member: "spacing", json: "[3, 3, 0.001]", field: "configurations.3d_fullres.spacing"),
    .init(member: "spacing", json: "[3, 1000, 3]", field: "configurations.3d_fullres.spacing"),
    .init(member: "spacing", json: "[3, -Infinity, 3]", field: "configurations.3d_fullres.spacing"),
    .init(member: "patch_size", json: "[0, 128]", configuration: "2d", field: "configurations.2d.patch_size"),
    .init(member: "features_per_stage", json: "[8, -16, 16, 16, 16]", inArchitecture: true,
      field: "configurations.3d_fullres.architecture"),
    .init(member: "n_conv_per_stage", json: "[2, 0, 2, 2, 2]", inArchitecture: true,
      field: "configurations.3d_fullres.architecture"),
  ]

  /// A copy of a committed model folder with one plans member replaced (text surgery, so that
  /// NaN / -Infinity can be written as Python's json.dump writes them).
  static func folder(with c: PlansCase) throws -> URL {
    let dir = try copyOfFixture("plain_1ch")
    let url = dir.appendingPathComponent("plans.json")
    var plans = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    var configurations = try #require(plans["configurations"] as? [String: Any])
    var configuration = try #require(configurations[c.configuration] as? [String: Any])
    if c.inArchitecture {
      var architecture = try #require(configuration["architecture"] as? [String: Any])
      var kwargs = try #require(architecture["arch_kwargs"] as? [String: Any])
      kwargs[c.member] = "@@VALUE@@"
      architecture["arch_kwargs"] = kwargs
      configuration["architecture"] = architecture
    } else {
      configuration[c.member] = "@@VALUE@@"
    }
    configurations[c.configuration] = configuration
    plans["configurations"] = configurations
    let text = String(decoding: try JSONSerialization.data(withJSONObject: plans), as: UTF8.self)
      .replacingOccurrences(of: "\"@@VALUE@@\"", with: c.json)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return dir
  }

  static func copyOfFixture(_ name: String) throws -> URL {
    let dir = try Fixtures.temporaryDirectory().appendingPathComponent("nnUNetTrainer__nnUNetPlans__3d_fullres")
    try FileManager.default.copyItem(at: Fixtures.modelFolder(name), to: dir)
    return dir
  }

  @Test("bad plans geometry is refused on load, naming the field", arguments: plansCases)
  func badPlans(_ c: PlansCase) throws {
    let dir = try Self.folder(with: c)
    defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
    let error = try #require(throws: PlansError.self) { try ModelBundle(directory: dir) }
    #expect(error.code == .invalidField, "\(error)")
    #expect(error.field == c.field, "\(error)")
    #expect(error.description.contains("plans.json"), "\(error)")
  }

  @Test("the committed models' plans pass the checks (their patches and spacings are real ones)")
  func goodPlans() throws {
    for name in ["plain_1ch", "plain_spacing", "plain_big_patch", "resenc_2ch_fp16", "plain_transposed"] {
      _ = try ModelBundle(directory: Fixtures.modelFolder(name))
    }
  }

  @Test("a plans.json above 64 MiB is refused from its size, before reading")
  func oversizedPlans() throws {
    let dir = try Self.copyOfFixture("plain_1ch")
    defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
    let url = dir.appendingPathComponent("plans.json")
    // A sparse 300 MB file: no disk space, and reading it would take 300 MB (and the parse ~10x).
    let handle = try FileHandle(forWritingTo: url)
    try handle.truncate(atOffset: 300_000_000)
    try handle.close()
    let error = try #require(throws: PlansError.self) { try ModelBundle(directory: dir) }
    #expect(error.code == .invalidJSON, "\(error)")
    #expect(error.description.contains("limit of \(64 << 20) bytes") && error.path == url.path, "\(error)")
    #expect(RegularFile.maxJSONBytes == 64 << 20)
  }

  @Test("a FIFO named plans.json, dataset.json or checkpoint_final.pth is refused without blocking",
    arguments: ["plans.json", "dataset.json", "fold_0/checkpoint_final.pth"])
  func fifo(_ name: String) throws {
    let dir = try Self.copyOfFixture("plain_1ch")
    defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
    let url = dir.appendingPathComponent(name)
    try FileManager.default.removeItem(at: url)
    let watchdog = try FIFOWatchdog(at: url)
    let (outcome, blocked) = watchdog.run { () -> Error? in
      do {
        _ = try LoadedModel(bundle: try ModelBundle(directory: dir), threads: 1)
        return nil
      } catch {
        return error
      }
    }
    #expect(!blocked, "opening the FIFO blocked until the watchdog wrote to it")
    let error = try #require(outcome)
    #expect("\(error)".contains("not a regular file (a FIFO)") && "\(error)".contains(url.path), "\(error)")
    if name.hasSuffix(".pth") {
      #expect((error as? CheckpointError)?.code == .unsupported, "\(error)")
    } else {
      #expect((error as? PlansError)?.code == .invalidJSON, "\(error)")
    }
  }
}
