import Foundation
import NiftiIO
import Testing
import VolumeCore
import VolumeTransforms
import _TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// Issue 15 rows 4-7 through the built binary ("never silently wrong, never a crash"): impossible
/// geometry, broken plans, FIFOs and oversized JSON end with 65 (or 64 for a bad flag) and one
/// line naming the file and field, under a memory limit that makes any allocation of the voxel
/// cap's size fail loudly.
@Suite("input limits through the binary (issue 15 rows 4-7)", .serialized)
struct InputLimitsCommandTests {
  /// The outcome of one run: the exit status, or the signal that killed it.
  struct Outcome: CustomStringConvertible {
    var status: Int32
    var signal: Int32?
    var stdout: String
    var stderr: String
    var seconds: Double
    var description: String {
      (signal.map { "killed by signal \($0)" } ?? "exit \(status)") + String(format: " after %.1f s: ", seconds) + stderr
    }
  }

  /// Address-space limit of every child (`ulimit -v`): 6 GiB. One Double array at the resampling
  /// cap (`ResamplingLimits.maxVoxels` = 2^30 voxels, 8 GiB) cannot be allocated under it, so a
  /// path that skipped the cap dies with a signal instead of passing; every case these tests let
  /// run needs well under 1 GiB (the binary's idle address space is about 1 GiB of reservations).
  static let addressSpaceKiB = 6 << 20

  static let main = Fixtures.committed("segment/main/nnUNetTrainerNoMirroring__nnUNetPlans__3d_fullres")
  static let roi = Fixtures.committed("segment/roi/nnUNetTrainer__nnUNetPlans__3d_fullres")
  static let predictModel = Fixtures.modelFolder("plain_1ch")

  /// Runs `vibeseg arguments` under `ulimit -v addressSpaceKiB`, killed after `timeout` seconds.
  static func run(_ arguments: [String], home: URL, timeout: Double = 60) throws -> Outcome {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "ulimit -v \(addressSpaceKiB) && exec \"$0\" \"$@\"", VibeSegBinary.url.path] + arguments
    var env = ProcessInfo.processInfo.environment
    env["VIBESEG_HOME"] = home.appendingPathComponent("home").path
    env["VIBESEG_RELEASE_URL"] = "http://127.0.0.1:9/releases"
    env["VIBESEG_DOWNLOAD_TIMEOUT"] = "2"
    env.removeValue(forKey: "VIBESEG_WEIGHTS_PATH")
    env.removeValue(forKey: "TOTALVIBE_WEIGHTS_PATH")
    process.environment = env
    // stdout to a file (a pipe read after stderr could fill up and stall the child).
    let outURL = home.appendingPathComponent("stdout-\(UUID().uuidString)")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL)
    defer {
      try? out.close()
      try? FileManager.default.removeItem(at: outURL)
    }
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let started = Date()
    try process.run()
    let pid = process.processIdentifier
    let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
    let data = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    watchdog.cancel()
    let signal: Int32? = process.terminationReason == .uncaughtSignal ? process.terminationStatus : nil
    let stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
    return Outcome(status: process.terminationStatus, signal: signal, stdout: stdout,
      stderr: String(decoding: data, as: UTF8.self), seconds: Date().timeIntervalSince(started))
  }

  /// A float32 image with a bright block (so cropping and prediction have something), voxel size
  /// `spacing` along i, j, k and `xyzt_units` `units`.
  static func image(shape: [Int], spacing: [Double], units: Int = 2, at url: URL) throws {
    let volume = Synthetic.ramp(Float.self, shape: shape, affine: .scaling(spacing)) { i, j, k, _ in
      (i + j + k) % 3 == 0 ? 300 : 40 + Double(i)
    }
    var image = NiftiImage(volume)
    image.header.xyztUnits = units
    try image.write(to: url)
  }

  // MARK: - Row 4: geometry

  struct GeometryCase: Sendable, CustomTestStringConvertible {
    var name: String
    var spacing: [Double]
    var units = 2
    /// Command, with `IN` and `OUT` replaced by the image and an output path.
    var command: [String]
    var status: Int32
    var message: String
    var testDescription: String { name }
  }

  static let geometryCases: [GeometryCase] = [
    .init(name: "segment: spacing 1000 mm", spacing: [1000, 1000, 1000],
      command: ["segment", "IN", "-o", "OUT", "--model", roi.path], status: 65, message: "above the cap"),
    .init(name: "segment: micron (2000 um)", spacing: [2000, 2000, 2000], units: 3,
      command: ["segment", "IN", "-o", "OUT", "--model", roi.path], status: 65, message: "xyzt_units"),
    .init(name: "segment: metre", spacing: [0.002, 0.002, 0.002], units: 1,
      command: ["segment", "IN", "-o", "OUT", "--model", roi.path], status: 65, message: "xyzt_units"),
    .init(name: "predict: spacing 1000 mm", spacing: [1000, 1000, 1000],
      command: ["predict", "-m", predictModel.path, "-i", "IN", "-o", "OUT"], status: 65, message: "above the cap"),
    .init(name: "predict: spacing 1e-4 mm (an axis rounds to 0 voxels)", spacing: [1e-4, 1e-4, 1e-4],
      command: ["predict", "-m", predictModel.path, "-i", "IN", "-o", "OUT"], status: 65, message: "0 voxels along axis"),
    .init(name: "predict: micron", spacing: [2000, 2000, 2000], units: 3,
      command: ["predict", "-m", predictModel.path, "-i", "IN", "-o", "OUT"], status: 65, message: "xyzt_units"),
    .init(name: "convert --spacing 0.01 0.01 0.01", spacing: [3, 3, 3],
      command: ["convert", "IN", "-o", "OUT", "--spacing", "0.01", "0.01", "0.01"], status: 64, message: "--spacing"),
    .init(name: "convert --spacing 1e-300 1 1", spacing: [3, 3, 3],
      command: ["convert", "IN", "-o", "OUT", "--spacing", "1e-300", "1", "1"], status: 64, message: "--spacing"),
    .init(name: "convert --spacing on a micron image", spacing: [2000, 2000, 2000], units: 3,
      command: ["convert", "IN", "-o", "OUT", "--spacing", "1", "1", "1"], status: 65, message: "xyzt_units"),
    .init(name: "stats: micron (volumes in mm^3 would be wrong)", spacing: [2000, 2000, 2000], units: 3,
      command: ["stats", "IN"], status: 65, message: "xyzt_units"),
    .init(name: "info shows a micron image with a warning", spacing: [2000, 2000, 2000], units: 3,
      command: ["info", "IN"], status: 0, message: "xyzt_units"),
  ]

  @Test("impossible geometry or units: 65/64 with one line naming file and field, nothing written",
    arguments: geometryCases)
  func geometry(_ c: GeometryCase) throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("image.nii.gz")
    try Self.image(shape: [12, 10, 8], spacing: c.spacing, units: c.units, at: input)
    let output = dir.appendingPathComponent("out.nii.gz")
    let args = c.command.map { $0 == "IN" ? input.path : $0 == "OUT" ? output.path : $0 }
    let r = try Self.run(args, home: dir)
    #expect(r.signal == nil && r.status == c.status && (r.stderr + r.stdout).contains(c.message), "\(r)")
    if c.status != 0 {
      #expect(r.stderr.contains(input.path), "the message names the file: \(r)")
      #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r)")
      #expect(!FileManager.default.fileExists(atPath: output.path))
    }
  }

  // MARK: - Row 5: plans

  struct PlansCase: Sendable, CustomTestStringConvertible {
    var member: String, json: String
    var testDescription: String { "\(member) \(json)" }
  }

  static let plansCases: [PlansCase] = [
    .init(member: "patch_size", json: "[4096, 4096, 4096]"),
    .init(member: "patch_size", json: "[-1, 96, 128]"),
    .init(member: "patch_size", json: "[0, 0, 0]"),
    .init(member: "spacing", json: "[0, 3, 3]"),
    .init(member: "spacing", json: "[NaN, 3, 3]"),
    .init(member: "spacing", json: "[0.001, 3, 3]"),
  ]

  /// A copy of `plain_1ch` with `configurations.3d_fullres.<member>` replaced by `json`.
  static func model(_ member: String, _ json: String, in dir: URL) throws -> URL {
    let folder = dir.appendingPathComponent("model/nnUNetTrainer__nnUNetPlans__3d_fullres")
    try FileManager.default.createDirectory(at: folder.deletingLastPathComponent(), withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: predictModel, to: folder)
    let url = folder.appendingPathComponent("plans.json")
    var plans = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    var configurations = plans["configurations"] as! [String: Any]
    var configuration = configurations["3d_fullres"] as! [String: Any]
    configuration[member] = "@@VALUE@@"
    configurations["3d_fullres"] = configuration
    plans["configurations"] = configurations
    let text = String(decoding: try JSONSerialization.data(withJSONObject: plans), as: UTF8.self)
      .replacingOccurrences(of: "\"@@VALUE@@\"", with: json)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return folder
  }

  @Test("model-info and predict refuse bad plans geometry with 65 naming the field", arguments: plansCases)
  func plans(_ c: PlansCase) throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let folder = try Self.model(c.member, c.json, in: dir)
    let field = "configurations.3d_fullres.\(c.member)"
    let info = try Self.run(["model-info", folder.path], home: dir)
    #expect(info.signal == nil && info.status == 65 && info.stderr.contains(field) && info.stderr.contains("plans.json"), "\(info)")
    let image = Fixtures.committed("predictions/plain_fold0_nomirror/case_0000.nii.gz")
    let out = dir.appendingPathComponent("seg.nii.gz")
    let predict = try Self.run(["predict", "-m", folder.path, "-i", image.path, "-o", out.path], home: dir)
    #expect(predict.signal == nil && predict.status == 65 && predict.stderr.contains(field), "\(predict)")
  }

  // MARK: - Rows 6 and 7: FIFOs and oversized JSON

  @Test("a FIFO as checkpoint, plans.json, dataset.json, image or label-name file: 65 at once, no hang",
    arguments: ["fold_0/checkpoint_final.pth", "plans.json", "dataset.json", "image", "labels.json"])
  func fifo(_ name: String) throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let folder = dir.appendingPathComponent("model/nnUNetTrainer__nnUNetPlans__3d_fullres")
    try FileManager.default.createDirectory(at: folder.deletingLastPathComponent(), withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: Self.predictModel, to: folder)
    let fifo: URL
    let args: [String]
    if name == "image" {
      fifo = dir.appendingPathComponent("image.nii.gz")
      args = ["info", fifo.path]
    } else if name == "labels.json" {
      fifo = dir.appendingPathComponent(name)
      args = ["stats", Fixtures.committed("segment/case_asr/seg_upstream.nii.gz").path, "--label-names", fifo.path]
    } else {
      fifo = folder.appendingPathComponent(name)
      try FileManager.default.removeItem(at: fifo)
      args = ["model-info", folder.path]
    }
    guard mkfifo(fifo.path, 0o644) == 0 else { throw CocoaError(.fileWriteUnknown) }
    let r = try Self.run(args, home: dir, timeout: 20)
    #expect(r.signal == nil, "hung (killed after 20 s) or crashed: \(r)")
    #expect(r.status == 65 && r.stderr.contains("not a regular file (a FIFO)") && r.stderr.contains(fifo.path), "\(r)")
  }

  @Test("a 100 MB plans.json is refused from its size (64 MiB cap) with 65")
  func hugePlans() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let folder = dir.appendingPathComponent("model/nnUNetTrainer__nnUNetPlans__3d_fullres")
    try FileManager.default.createDirectory(at: folder.deletingLastPathComponent(), withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: Self.predictModel, to: folder)
    // Valid JSON after 100 MB of spaces (leading whitespace is valid JSON): only the size is wrong.
    let url = folder.appendingPathComponent("plans.json")
    let original = try Data(contentsOf: url)
    let handle = try FileHandle(forWritingTo: url)
    try handle.truncate(atOffset: 0)
    let spaces = Data(repeating: 0x20, count: 1 << 20)
    for _ in 0..<100 { try handle.write(contentsOf: spaces) }
    try handle.write(contentsOf: original)
    try handle.close()
    let r = try Self.run(["model-info", folder.path], home: dir)
    #expect(r.signal == nil && r.status == 65 && r.stderr.contains("plans.json") && r.stderr.contains("limit of 67108864 bytes"), "\(r)")
  }
}
