import Foundation

/// Where test fixtures live.
///
/// - Committed goldens: `Tests/Fixtures/<topic>/...`, made by `scripts/fixtures/*.py`.
/// - Real scans shared by the team: `../shared/fixtures/real/` beside the package root. That folder
///   is absent on a user's fresh clone: tests that need it are disabled with
///   `.enabled(if: Fixtures.realDataAvailable, Fixtures.realDataSkipMessage)` so the run says why.
public enum Fixtures {
  /// The package root (the folder holding Package.swift).
  public static let packageRoot: URL = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }  // Tests/_TestSupport/Fixtures.swift
    return url
  }()

  /// `Tests/Fixtures/<relativePath>`.
  public static func committed(_ relativePath: String) -> URL {
    packageRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(relativePath)
  }

  /// The model folder (`<Trainer>__<Plans>__<configuration>/`) of a committed tiny nnU-Net model,
  /// `Tests/Fixtures/models/<name>/...` (scripts/fixtures/make_model_folders.py).
  public static func modelFolder(_ name: String) -> URL {
    let root = committed("models/\(name)")
    let sub = try! FileManager.default.contentsOfDirectory(atPath: root.path).first { $0.contains("__") }!
    return root.appendingPathComponent(sub)
  }

  /// `../shared/fixtures/real` beside the package root.
  public static let realDirectory: URL = packageRoot.deletingLastPathComponent()
    .appendingPathComponent("shared/fixtures/real")

  public static var realDataAvailable: Bool {
    FileManager.default.fileExists(atPath: realDirectory.appendingPathComponent("README.md").path)
  }

  public static let realDataSkipMessage: Comment =
    "skipped: ../shared/fixtures/real/ is not present beside this checkout (real scans are only on team machines and CI)"

  public static func real(_ name: String) -> URL { realDirectory.appendingPathComponent(name) }

  /// A fresh temporary directory, removed by the caller (or left in /tmp).
  public static func temporaryDirectory(_ label: String = "vibeseg-tests") throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}

import Testing
public typealias Comment = Testing.Comment
