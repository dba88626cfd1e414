import Foundation
import NiftiIO
import Testing
import VolumeCore
import _TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Issue 15, rows 8-12, 18, 19: the overwrite rule, outputs that are inputs, racing runs, files
/// left by killed runs, commits that a kill or a full disk interrupts, unwritable folders.
/// Real processes and real SIGKILLs (`VIBESEG_TEST_FAULT` stops a run at an exact point).
@Suite("outputs: overwrite rule, races, kills, full disks", .serialized)
struct OutputSafetyTests {
  static let image = Fixtures.committed("segment/case_asr/image.nii.gz")
  static let models = [
    "--model", Fixtures.committed("segment/main").path, "--roi-model", Fixtures.committed("segment/roi").path,
  ]

  static func copyImage(to dir: URL, name: String = "x.nii.gz") throws -> URL {
    let url = dir.appendingPathComponent(name)
    try FileManager.default.copyItem(at: image, to: url)
    return url
  }

  static func hidden(_ dir: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }.sorted()
  }

  /// This host's tag in temporary file names (FNV-1a of the host name, `OutputTransaction`).
  static var hostTag: String {
    var buffer = [CChar](repeating: 0, count: 256)
    gethostname(&buffer, buffer.count - 1)
    var hash: UInt32 = 0x811c_9dc5
    for byte in buffer.prefix(while: { $0 != 0 }) { hash = (hash ^ UInt32(UInt8(bitPattern: byte))) &* 0x0100_0193 }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 8 - hex.count) + hex
  }

  /// A PID that belonged to a process that has exited.
  static func deadPID() throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/true")
    try p.run()
    p.waitUntilExit()
    return p.processIdentifier
  }

  @Test("row 8: an output that is the input is refused, also with --overwrite and through links; the scan survives")
  func outputIsInput() throws {
    let dir = try Fixtures.temporaryDirectory()
    let x = try Self.copyImage(to: dir)
    let original = try Data(contentsOf: x)
    let symlink = dir.appendingPathComponent("symlink.nii.gz")
    try FileManager.default.createSymbolicLink(at: symlink, withDestinationURL: x)
    let hardlink = dir.appendingPathComponent("hardlink.nii.gz")
    try FileManager.default.linkItem(at: x, to: hardlink)
    let model = CommittedModels.folder("plain_1ch").path
    for out in [x, symlink, hardlink] {
      for extra in [[], ["--overwrite"]] {
        let convert = try VibeSegBinary.run(["convert", x.path, "-o", out.path, "--orientation", "LPS"] + extra)
        #expect(convert.status == 73 && convert.stderr.contains("is the input"), "convert \(out.lastPathComponent) \(extra): \(convert.stderr)")
        let predict = try VibeSegBinary.run(["predict", "-m", model, "-i", x.path, "-o", out.path] + extra)
        #expect(predict.status == 73 && predict.stderr.contains("is the input"), "predict \(out.lastPathComponent) \(extra): \(predict.stderr)")
      }
    }
    #expect(try Data(contentsOf: x) == original, "the scan was changed")
    #expect(try Self.hidden(dir).isEmpty)
  }

  @Test("row 8: predict and convert keep an existing output unless --overwrite")
  func overwriteRule() throws {
    let dir = try Fixtures.temporaryDirectory()
    let x = try Self.copyImage(to: dir)
    let out = dir.appendingPathComponent("out.nii.gz")
    let model = CommittedModels.folder("plain_1ch").path
    let input = Fixtures.committed("predictions/plain_fold0_nomirror/case_0000.nii.gz").path
    for command in [["convert", x.path, "-o", out.path], ["predict", "-m", model, "-i", input, "-o", out.path]] {
      try Data("keep".utf8).write(to: out)
      let refused = try VibeSegBinary.run(command)
      #expect(refused.status == 73 && refused.stderr.contains("--overwrite"), "\(command[0]): \(refused.stderr)")
      #expect(try Data(contentsOf: out) == Data("keep".utf8))
      let replaced = try VibeSegBinary.run(command + ["--overwrite"])
      #expect(replaced.status == 0, "\(command[0]): \(replaced.stderr)")
      #expect(try NiftiImage(contentsOf: out).grid.shape.count == 3)
      try FileManager.default.removeItem(at: out)
    }
  }

  @Test("row 9: two segment runs to one output at once: one wins, the other gets 73")
  func racingRuns() throws {
    let dir = try Fixtures.temporaryDirectory()
    let out = dir.appendingPathComponent("seg.nii.gz")
    let args = ["segment", Self.image.path, "-o", out.path] + Self.models
    // Both start before either commits (each computes for seconds).
    let runs = try (0..<2).map { _ in
      let p = Process()
      p.executableURL = VibeSegBinary.url
      p.arguments = args
      let err = Pipe()
      p.standardError = err
      p.standardOutput = FileHandle.nullDevice
      try p.run()
      return (p, err)
    }
    let results = runs.map { p, err in
      let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      p.waitUntilExit()
      return (status: p.terminationStatus, stderr: text)
    }
    #expect(results.map(\.status).sorted() == [0, 73], "\(results)")
    #expect(results.contains { $0.stderr.contains("another run") }, "\(results)")
    #expect(try NiftiImage(contentsOf: out).volume.scalarType == .uint8)
    #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("seg.json").path))
    let left = try Self.hidden(dir)
    #expect(left.isEmpty, "\(left)")
  }

  @Test("row 10: temporary files of killed runs are removed by the next run; live writers' and other hosts' are kept")
  func staleTemporaries() throws {
    let dir = try Fixtures.temporaryDirectory()
    let x = try Self.copyImage(to: dir)
    let out = dir.appendingPathComponent("out.nii.gz")
    let dead = try Self.deadPID()
    let stale = ".out.nii.gz.tmp-\(Self.hostTag)-\(dead)-1"
    let live = ".out.nii.gz.tmp-\(Self.hostTag)-\(getpid())-2"
    let otherHost = ".out.nii.gz.tmp-00000000-\(dead)-3"
    let staleProbe = ".vibeseg-probe-\(Self.hostTag)-\(dead)-4"
    for name in [stale, live, otherHost, staleProbe] { try Data("partial".utf8).write(to: dir.appendingPathComponent(name)) }
    // Real kills at random moments of real runs (some land while the output is being written).
    var random = SeededGenerator(seed: 15)
    for _ in 0..<10 {
      let p = Process()
      p.executableURL = VibeSegBinary.url
      p.arguments = ["convert", x.path, "-o", out.path, "--spacing", "0.9", "0.9", "0.9", "--overwrite"]
      p.standardError = FileHandle.nullDevice
      try p.run()
      usleep(UInt32.random(in: 20_000...400_000, using: &random))
      kill(p.processIdentifier, SIGKILL)
      p.waitUntilExit()
    }
    let final = try VibeSegBinary.run(["convert", x.path, "-o", out.path, "--overwrite"])
    #expect(final.status == 0, "\(final.stderr)")
    let left = try Self.hidden(dir)
    #expect(left == [live, otherHost].sorted(), "\(left)")
  }

  @Test("row 11: a kill between publishing the map and its sidecar never pairs files of two runs; the rerun completes it")
  func killMidCommit() throws {
    let dir = try Fixtures.temporaryDirectory()
    let out = dir.appendingPathComponent("seg.nii.gz")
    let sidecar = dir.appendingPathComponent("seg.json")
    let args = ["segment", Self.image.path, "-o", out.path] + Self.models
    let first = try VibeSegBinary.run(args)
    #expect(first.status == 0, "\(first.stderr)")
    var environment = ProcessInfo.processInfo.environment
    environment["VIBESEG_TEST_FAULT"] = "kill-after-publish=1"
    let killed = try VibeSegBinary.run(args + ["--overwrite", "--roi-subset", "liver"], environment: environment)
    #expect(killed.status == 9, "killed by SIGKILL: \(killed.status) \(killed.stderr)")
    // The new map (liver only) is there; the old sidecar (every label) is not.
    let map = try NiftiImage(contentsOf: out).volume.converted(to: UInt8.self).voxels
    #expect(Set(map).isSubset(of: [0, 5]) && map.contains(5))
    #expect(!FileManager.default.fileExists(atPath: sidecar.path), "an old sidecar beside a new map")
    let rerun = try VibeSegBinary.run(args)
    #expect(rerun.status == 73 && rerun.stderr.contains("interrupted run"), "\(rerun.stderr)")
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: sidecar)) as? [String: Any]
    #expect(json?["labelsPresent"] as? [Int] == [5], "the sidecar is the killed run's: \(String(describing: json))")
    let left = try Self.hidden(dir)
    #expect(left.isEmpty, "\(left)")
  }

  @Test("rows 12, 19: a full disk while writing the sidecar leaves no map; the error names the output; a rerun needs no --overwrite")
  func fullDiskMidOutputs() throws {
    let dir = try Fixtures.temporaryDirectory()
    let out = dir.appendingPathComponent("seg.nii.gz")
    let args = ["segment", Self.image.path, "-o", out.path] + Self.models
    var environment = ProcessInfo.processInfo.environment
    environment["VIBESEG_TEST_FAULT"] = "no-space=seg.json"
    let full = try VibeSegBinary.run(args, environment: environment)
    #expect(full.status == 73 || full.status == 74, "\(full.stderr)")
    #expect(full.stderr.contains("\(dir.path)/seg.json") && full.stderr.contains("No space left"), "\(full.stderr)")
    #expect(!full.stderr.contains(".tmp-"), "the message names a temporary file: \(full.stderr)")
    let left = try FileManager.default.contentsOfDirectory(atPath: dir.path)
    #expect(left.isEmpty, "left: \(left)")
    let rerun = try VibeSegBinary.run(args)
    #expect(rerun.status == 0, "\(rerun.stderr)")
  }

  @Test("row 18: an unwritable output folder is found before any model is loaded")
  func unwritableFolder() throws {
    // /proc takes no new files, even for root (where a chmod'ed folder would not stop us).
    for command in [
      ["segment", Self.image.path, "-o", "/proc/vibeseg-test.nii.gz", "--model", "/nonexistent-model"],
      ["predict", "-m", "/nonexistent-model", "-i", Self.image.path, "-o", "/proc/vibeseg-test.nii.gz"],
      ["combine", "--water", Self.image.path, "-o", "/proc/vibeseg-test.nii.gz", "--model", "/nonexistent-model"],
    ] {
      let r = try VibeSegBinary.run(command)
      #expect(r.status == 73 && r.stderr.contains("/proc"), "\(command[0]): \(r.status) \(r.stderr)")
    }
  }
}
