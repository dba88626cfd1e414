import Foundation

/// Runs the built `vibeseg` binary and captures its exit status, stdout and stderr.
public struct CommandResult: Sendable {
  public var status: Int32
  public var stdout: String
  public var stderr: String
}

public enum VibeSegBinary {
  /// The `vibeseg` executable next to the test bundle (same build folder).
  public static let url: URL = {
    let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var folder = here.deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = folder.appendingPathComponent("vibeseg")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      folder.deleteLastPathComponent()
    }
    return Fixtures.packageRoot.appendingPathComponent(".build/debug/vibeseg")
  }()

  /// Runs `vibeseg arguments`; `environment` replaces the inherited environment when given.
  public static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> CommandResult {
    let process = Process()
    process.executableURL = url
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }
}
