import Foundation

/// dicom3tools' `dciodvfy` (Debian package `dicom3tools`), the independent IOD validator the
/// DICOM-SEG tests run when it is installed. CI installs it and sets VIBESEG_REQUIRE_DCIODVFY=1,
/// so that a missing tool fails there instead of skipping.
public enum DICOMValidator {
  public static let dciodvfyPath = "/usr/bin/dciodvfy"

  public static var dciodvfyAvailable: Bool { FileManager.default.isExecutableFile(atPath: dciodvfyPath) }

  public static var dciodvfyRequired: Bool { ProcessInfo.processInfo.environment["VIBESEG_REQUIRE_DCIODVFY"] == "1" }

  /// Runs dciodvfy on `file`: its exit status, its output, and the lines starting with `Error` or
  /// `Warning` (it exits 0 with warnings, so the lines are what count; dicom.md 5.1).
  public static func dciodvfy(_ file: URL) throws -> (status: Int32, output: String, problems: [String]) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: dciodvfyPath)
    process.arguments = [file.path]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let problems = output.split(separator: "\n").map(String.init).filter {
      $0.hasPrefix("Error") || $0.hasPrefix("Warning")
    }
    return (process.terminationStatus, output, problems)
  }
}
