import Foundation
import Testing
@testable import VolumeCore
import _TestSupport

@Suite("usable cores")
struct UsableCoresTests {
  @Test("at least 1, at most the online processors; a one-core affinity mask gives 1 (taskset)")
  func bounds() throws {
    #expect(UsableCores.count >= 1 && UsableCores.count <= ProcessInfo.processInfo.activeProcessorCount)
    #if os(Linux)
      guard FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset") else { return }
      // `predict --help` shows the --threads default: under `taskset -c 0` it must be 1.
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
      process.arguments = ["-c", "0", VibeSegBinary.url.path, "predict", "--help"]
      process.environment = ["COLUMNS": "300", "PATH": "/usr/bin:/bin"]
      let pipe = Pipe()
      process.standardOutput = pipe
      try process.run()
      let data = pipe.fileHandleForReading.readDataToEndOfFile()
      process.waitUntilExit()
      let help = String(decoding: data, as: UTF8.self)
      let line = help.split(separator: "\n").first { $0.contains("--threads <threads>") }.map(String.init) ?? ""
      #expect(line.contains("(default: 1)"), "\(help)")
    #endif
  }

  #if os(Linux)
    @Test("CPU lists as /proc/self/status writes them")
    func lists() {
      #expect(UsableCores.affinityCount("0-3,8") == 5)
      #expect(UsableCores.affinityCount("0") == 1)
      #expect(UsableCores.affinityCount("3-1") == nil)
      #expect(UsableCores.affinityCount("x") == nil)
    }
  #endif
}
