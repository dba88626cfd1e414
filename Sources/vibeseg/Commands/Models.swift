import ArgumentParser
import Foundation
import ModelZoo

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension VibeSegCommand {
  struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "models",
      abstract: "List, download, import, locate and remove the published TotalVibeSegmentator models.",
      discussion: """
        Models are cached in $VIBESEG_HOME/models (default ~/.vibeseg) as Dataset{ID:03}/<Trainer>__<Plans>__<config>/, \
        the layout of nnU-Net's results folder. Models prepared by upstream are also found where \
        TOTALVIBE_WEIGHTS_PATH and VIBESEG_WEIGHTS_PATH point (colon-separated lists allowed). \
        Downloads come from VIBESEG_RELEASE_URL (default \(ModelZoo.defaultReleaseURL.absoluteString)); \
        VIBESEG_DOWNLOAD_TIMEOUT sets the stall timeout in seconds (default 60). \
        Exit code 69: model unavailable (not installed, download or verification failed, unsafe archive).

        Examples:
          vibeseg models list
          vibeseg models download 100
          vibeseg models import 100.zip
        """,
      subcommands: [List.self, Download.self, Import.self, Path.self, Verify.self, Remove.self])

    struct List: ParsableCommand {
      static let configuration = CommandConfiguration(
        abstract: "The published models, and which are installed (and where).")

      @Flag(help: "Print JSON (schemaVersion 1).")
      var json = false

      func run() throws {
        try reportingErrors {
          let zoo = try ModelZoo.fromEnvironment()
          let installed = Dictionary(uniqueKeysWithValues: zoo.installedModels().map { ($0.id, $0) })
          let rows = zoo.catalog.map { ModelListing.Row(entry: $0, installed: installed[$0.id]) }
          if json {
            try printJSON(
              ModelListing(
                schemaVersion: 1, home: zoo.home.path, searchPaths: zoo.searchPaths.map(\.path),
                releaseURL: zoo.releaseBaseURL.absoluteString, models: rows))
          } else {
            print("id   installed  sha256  role            description")
            for row in rows {
              let id = row.id < 100 ? String(format: "%03d", row.id) : String(row.id)
              print(
                "\(id.padding(toLength: 4, withPad: " ", startingAt: 0)) \((row.installed ? (row.source == "cache" ? "yes" : "yes*") : "-").padding(toLength: 10, withPad: " ", startingAt: 0)) \((row.sha256 == nil ? "-" : "pub").padding(toLength: 7, withPad: " ", startingAt: 0)) \((row.role ?? "-").padding(toLength: 15, withPad: " ", startingAt: 0)) \(row.description)"
              )
            }
            print(
              "cache: \(zoo.home.appendingPathComponent("models").path)"
                + (rows.contains { $0.source == "search path" } ? "  (* found in a search path)" : ""))
          }
        }
      }
    }

    struct Download: ParsableCommand {
      static let configuration = CommandConfiguration(
        abstract: "Download, verify and install models (resumes interrupted downloads); prints each model folder.")

      @Argument(help: "Model ids, e.g. 100 278.")
      var ids: [Int]

      func validate() throws {
        guard !ids.isEmpty else { throw ValidationError("give at least one model id (see `vibeseg models list`)") }
      }

      func run() throws {
        try reportingErrors {
          let zoo = try ModelZoo.fromEnvironment()
          let reporter = ProgressReporter()
          for id in ids {
            let folder = try zoo.install(id: id, progress: reporter.report)
            print(folder.path)
          }
        }
      }
    }

    struct Import: ParsableCommand {
      static let configuration = CommandConfiguration(
        abstract:
          "Install models from zips downloaded elsewhere (offline machines); fold addenda NNN_1.zip must lie beside NNN.zip."
      )

      @Argument(help: "Release zips named NNN.zip (addenda NNN_K.zip beside them are picked up).")
      var zips: [String]

      @Option(help: "The model id, when a single zip is not named NNN.zip.")
      var id: Int?

      func validate() throws {
        guard !zips.isEmpty else { throw ValidationError("give at least one zip") }
        if id != nil && zips.count != 1 { throw ValidationError("--id needs exactly one zip") }
      }

      func run() throws {
        try reportingErrors {
          let zoo = try ModelZoo.fromEnvironment()
          let reporter = ProgressReporter()
          let mains = zips.filter {
            id != nil || !ModelZoo.isAddendumFileName(URL(fileURLWithPath: $0).lastPathComponent)
          }
          guard !mains.isEmpty else {
            throw ValidationError(
              "only fold addenda (NNN_K.zip) were given; import the main NNN.zip (its addenda beside it are used)")
          }
          for zip in mains {
            let folder = try zoo.importArchive(at: URL(fileURLWithPath: zip), id: id, progress: reporter.report)
            print(folder.path)
          }
        }
      }
    }

    struct Path: ParsableCommand {
      static let configuration = CommandConfiguration(abstract: "Print the model folder of an installed model.")

      @Argument(help: "A model id.")
      var id: Int

      func run() throws {
        try reportingErrors {
          let zoo = try ModelZoo.fromEnvironment()
          guard let folder = try zoo.installedModelFolder(id: id) else {
            throw ModelZooError(
              .unknownModel,
              "model \(id) is not installed; run `vibeseg models download \(id)`, or on an offline machine fetch \(zoo.releaseURL(for: ModelZoo.assetName(id: id)).absoluteString) elsewhere and run `vibeseg models import \(ModelZoo.assetName(id: id))`",
              path: zoo.home.appendingPathComponent("models").path)
          }
          print(folder.path)
        }
      }
    }

    struct Verify: ParsableCommand {
      static let configuration = CommandConfiguration(
        abstract: "Re-hash an installed model's files against the sizes and sha256 recorded at install.",
        discussion: """
          Reads every file listed in the model's INSTALLED.json. Exit 0 when all match; otherwise \
          each differing file is listed and the exit status is 69 (remove the model and download \
          or import it again).
          """)

      @Argument(help: "Model ids.")
      var ids: [Int]

      func validate() throws {
        guard !ids.isEmpty else { throw ValidationError("give at least one model id") }
      }

      func run() throws {
        try reportingErrors {
          let zoo = try ModelZoo.fromEnvironment()
          var failed: [Int] = []
          for id in ids {
            let result = try zoo.verify(id: id)
            if result.problems.isEmpty {
              printError(
                "vibeseg: model \(id): \(result.filesChecked) files match INSTALLED.json (\(ProgressReporter.bytes(result.bytesChecked)))")
            } else {
              for problem in result.problems { printError("vibeseg: model \(id): \(problem)") }
              failed.append(id)
            }
          }
          if !failed.isEmpty {
            throw ModelZooError(
              .verificationFailed,
              "\(failed.count == 1 ? "model" : "models") \(failed.map(String.init).joined(separator: ", ")) differ from their install record; run `vibeseg models remove` and download or import again",
              path: zoo.home.appendingPathComponent("models").path)
          }
        }
      }
    }

    struct Remove: ParsableCommand {
      static let configuration = CommandConfiguration(abstract: "Remove models (and partial downloads) from the cache.")

      @Argument(help: "Model ids.")
      var ids: [Int]

      func validate() throws {
        guard !ids.isEmpty else { throw ValidationError("give at least one model id") }
      }

      func run() throws {
        try reportingErrors {
          let zoo = try ModelZoo.fromEnvironment()
          for id in ids {
            switch try zoo.remove(id: id) {
            case .model: printError("vibeseg: removed model \(id)")
            case .downloadsOnly: printError("vibeseg: model \(id) was not installed; removed its unfinished download")
            }
          }
        }
      }
    }
  }
}

/// `vibeseg models list --json`.
struct ModelListing: Encodable {
  struct Row: Encodable {
    var id: Int
    var description: String
    var input: String
    var grid: String
    var notes: String
    var sha256: String?
    /// "whole body", "ROI", "spine", "swap detection", "CT"; nil for models this build does not know.
    var role: String?
    /// The ROI model a cascaded model runs on.
    var roiModel: Int?
    var installed: Bool
    var folder: String?
    /// "cache", "search path", or nil.
    var source: String?

    init(entry: ModelCatalogEntry, installed model: ModelZoo.InstalledModel?) {
      id = entry.id
      description = entry.description
      input = entry.input
      grid = entry.grid
      notes = entry.notes
      sha256 = entry.sha256
      role = entry.role?.rawValue
      roiModel = entry.roiModel
      installed = model != nil
      folder = model?.folder.path
      switch model?.source {
      case .cache?: source = "cache"
      case .searchPath?: source = "search path"
      case nil: source = nil
      }
    }
  }

  var schemaVersion: Int
  var home: String
  var searchPaths: [String]
  var releaseURL: String
  var models: [Row]
}

extension ModelZoo {
  /// The zoo the CLI uses: `VIBESEG_HOME` (default `~/.vibeseg`), search paths from
  /// `VIBESEG_WEIGHTS_PATH` then `TOTALVIBE_WEIGHTS_PATH` (each may be a colon-separated list),
  /// `VIBESEG_RELEASE_URL`, `VIBESEG_DOWNLOAD_TIMEOUT` (stall seconds) and the test hook
  /// `VIBESEG_TEST_EXTRACT_DELAY_MS`. Commands that need a model (`segment`) use it too.
  static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ModelZoo
  {
    func nonEmpty(_ key: String) -> String? {
      guard let value = environment[key]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
      return value
    }
    let home =
      nonEmpty("VIBESEG_HOME").map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) }
      ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".vibeseg")
    var searchPaths: [URL] = []
    for key in ["VIBESEG_WEIGHTS_PATH", "TOTALVIBE_WEIGHTS_PATH"] {
      for part in (nonEmpty(key) ?? "").split(separator: ":") where !part.isEmpty {
        searchPaths.append(URL(fileURLWithPath: (String(part) as NSString).expandingTildeInPath))
      }
    }
    var release = ModelZoo.defaultReleaseURL
    if let text = nonEmpty("VIBESEG_RELEASE_URL") {
      guard let url = URL(string: text.hasSuffix("/") ? String(text.dropLast()) : text), url.scheme != nil else {
        throw ValidationError("VIBESEG_RELEASE_URL is not a URL: \(text)")
      }
      release = url
    }
    var options = ModelZooOptions()
    if let text = nonEmpty("VIBESEG_DOWNLOAD_TIMEOUT") {
      guard let seconds = Double(text), seconds > 0 else {
        throw ValidationError("VIBESEG_DOWNLOAD_TIMEOUT must be a positive number of seconds, not \(text)")
      }
      options.stallTimeout = seconds
      options.retryDelay = min(options.retryDelay, seconds)
    }
    if let text = nonEmpty("VIBESEG_TEST_EXTRACT_DELAY_MS"), let ms = Double(text), ms > 0 {
      options.extractionDelayPerEntry = ms / 1000
    }
    return ModelZoo(home: home, searchPaths: searchPaths, releaseBaseURL: release, options: options)
  }
}

/// Draws download progress on stderr: a one-line bar (bytes, rate, ETA) on a terminal, plain log
/// lines at the start and end of each step otherwise. Safe to call from any thread (a lock keeps
/// the bar state and the lines whole).
final class ProgressReporter: @unchecked Sendable {
  private let terminal = isatty(STDERR_FILENO) == 1
  private var barShown = false
  private let lock = NSLock()

  func report(_ event: DownloadProgress) {
    lock.lock()
    defer { lock.unlock() }
    switch event.phase {
    case .downloading:
      guard terminal else { return }
      var line = "\(event.asset)  "
      if let total = event.totalBytes, total > 0 {
        let fraction = min(Double(event.bytesReceived) / Double(total), 1)
        let filled = Int(fraction * 24)
        line += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 24 - filled) + "] "
        line += "\(Self.bytes(event.bytesReceived)) / \(Self.bytes(total))"
      } else {
        line += Self.bytes(event.bytesReceived)
      }
      if let rate = event.bytesPerSecond { line += "  \(Self.bytes(Int64(rate)))/s" }
      if let eta = event.secondsRemaining { line += "  ETA \(Self.duration(eta))" }
      printError("\r\u{1B}[K" + line, newline: false)
      barShown = true
    case .connecting:
      log("downloading \(event.asset)" + (event.message.map { " \($0)" } ?? ""))
    case .retrying: log("\(event.asset): \(event.message ?? "retrying")")
    case .verifying: log("verifying \(event.asset)" + (event.totalBytes.map { " (\(Self.bytes($0)))" } ?? ""))
    case .reusingDownload: log("reusing the verified download \(event.asset)")
    case .extracting: log("extracting \(event.asset)")
    case .installed: log("model \(event.modelID) installed: \(event.asset)")
    case .alreadyInstalled: log("model \(event.modelID) is already installed: \(event.asset)")
    case .waitingForLock: log(event.message ?? "waiting for another install")
    }
  }

  private func log(_ line: String) {
    if barShown {
      printError("\r\u{1B}[K", newline: false)
      barShown = false
    }
    printError("vibeseg: " + line)
  }

  private func printError(_ text: String, newline: Bool = true) {
    FileHandle.standardError.write(Data((text + (newline ? "\n" : "")).utf8))
  }

  static func bytes(_ count: Int64) -> String {
    let value = Double(count)
    let kb = 1024.0
    let mb = kb * 1024
    let gb = mb * 1024
    if value >= gb { return String(format: "%.2f GB", value / gb) }
    if value >= mb { return String(format: "%.1f MB", value / mb) }
    if value >= kb { return String(format: "%.0f KB", value / kb) }
    return "\(count) B"
  }

  static func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600
      ? "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
      : s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
  }
}
