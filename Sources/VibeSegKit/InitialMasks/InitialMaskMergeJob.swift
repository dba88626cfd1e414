import Foundation
import NiftiIO
import VolumeCore

/// `vibeseg prepare-initial-masks merge`: runs the `--exec` commands (if any), reads each
/// network's label map, resolves its mapping
/// (a `--map NAME=FILE` file, else the built-in table of `totalseg` or `spineps`), runs
/// `InitialMaskMerge`, and writes the uint8 TotalVibe map (header units and form codes of the
/// first source) and optionally a JSON report (schemaVersion 1: options, per-source value
/// counts and dropped values, validation findings, labels present). Outputs are published
/// together by one `OutputTransaction` (all or none; existing files only with `overwrite`).
public struct InitialMaskMergeJob: Sendable {
  /// `--source NAME=FILE`, in priority order.
  public var sources: [(name: String, url: URL)]
  /// `--map NAME=FILE`: mapping files by source name.
  public var maps: [String: URL] = [:]
  /// `--exec NAME=COMMAND`: commands that write a source's file first (`ExternalCommand`), run
  /// in source order before anything is read.
  public var execs: [String: String] = [:]
  public var kidneyCysts = InitialMaskMapping.KidneyCysts.kidney
  public var options = InitialMaskMerge.Options()
  public var output: URL
  public var reportURL: URL?
  public var overwrite = false

  /// Source names with a built-in mapping table.
  public static let builtInSources = ["totalseg", "spineps"]

  public init(sources: [(name: String, url: URL)], output: URL) {
    self.sources = sources
    self.output = output
  }

  /// The report (also written to `reportURL` when given) and the reader's warnings.
  public struct Outcome: Sendable {
    public var report: Report
    public var warnings: [String]
  }

  /// The JSON report.
  public struct Report: Sendable, Codable {
    public var schemaVersion = 1
    public var output: String
    public var priority: InitialMaskMerge.Priority
    public var aggressiveness: Int
    public var female: Bool
    public var dropUnmapped: Bool
    public var neverDeleteLastComponent: Bool
    public var kidneyCysts: InitialMaskMapping.KidneyCysts
    public var sources: [InitialMaskMerge.SourceReport]
    public var validation: LabelValidationReport
    /// TotalVibe id -> voxels in the written map.
    public var labelVoxels: [String: Int]
    public var version = VibeSegVersion.string
  }

  /// The mapping of source `name`: its `--map` file, else its built-in table.
  ///
  /// - Throws: `VibeSegKitError.invalidOption` for a name without either; the file's errors
  ///   (`InitialMaskMapping.read`).
  public func mapping(for name: String) throws(VibeSegKitError) -> InitialMaskMapping {
    if let url = maps[name] { return try InitialMaskMapping.read(contentsOf: url, option: "--map") }
    switch name {
    case "totalseg": return .totalSegmentator(kidneyCysts: kidneyCysts)
    case "spineps": return .spineps
    default:
      throw VibeSegKitError(.invalidOption,
        "the source \(name) has no built-in mapping (only \(Self.builtInSources.joined(separator: ", ")) have one); give --map \(name)=FILE",
        option: "--map")
    }
  }

  /// - Throws: `VibeSegKitError` `.invalidOption` (a `--map` or `--exec` for no source, a source
  ///   without a mapping, a malformed command), `.toolUnavailable` (a command that cannot start or
  ///   fails), `.cannotCreateOutput` (a source file an `--exec` would replace, without
  ///   `overwrite`), `.missingInput` (also: a command that did not write its file), `.notALabelMap` (negative, fractional, 4-D), the mapping
  ///   file's errors, `InitialMaskMerge.run`'s errors, `.cannotCreateOutput`; `NiftiError`.
  public func run() throws -> Outcome {
    for name in maps.keys.sorted() where !sources.contains(where: { $0.name == name }) {
      throw VibeSegKitError(.invalidOption, "--map \(name)=... names no --source", option: "--map")
    }
    for name in execs.keys.sorted() where !sources.contains(where: { $0.name == name }) {
      throw VibeSegKitError(.invalidOption, "--exec \(name)=... names no --source", option: "--exec")
    }
    let commands = try sources.map { source in try execs[source.name].map { try ExternalCommand($0, output: source.url.path) } }
    let outputs = try OutputTransaction(
      outputs: [output] + [reportURL].compactMap { $0 }, inputs: sources.map(\.url) + Array(maps.values), overwrite: overwrite)
    let mappings = try sources.map { try mapping(for: $0.name) }
    // The external networks first (the user's explicit commands), each writing its source file.
    for (source, command) in zip(sources, commands) {
      guard let command else { continue }
      if FileManager.default.fileExists(atPath: source.url.path) && !overwrite {
        throw VibeSegKitError(.cannotCreateOutput, "exists, and the --exec command for \(source.name) would replace it; pass --overwrite",
          path: source.url.path, option: "--exec")
      }
      try command.run(expecting: source.url)
    }
    var warnings = [String]()
    var inputs = [InitialMaskMerge.Source]()
    var firstImage: NiftiImage?
    for (source, mapping) in zip(sources, mappings) {
      guard FileManager.default.fileExists(atPath: source.url.path) else {
        throw VibeSegKitError(.missingInput, "no such file", path: source.url.path, option: "--source")
      }
      let input = try ImageInput.read(source.url)
      warnings += input.warnings
      if firstImage == nil { firstImage = input.image }
      let labels = try SegmentationStatistics.labelMap(input.image, path: source.url.path)
      inputs.append(.init(name: source.name, path: source.url.path, labelMap: labels, mapping: mapping))
    }
    let result = try InitialMaskMerge(options).run(inputs)
    for report in result.sources where report.resampled {
      warnings.append(
        "\(report.path ?? report.name): on another grid than the first source; its map was resampled onto that grid (nearest neighbour)")
    }
    for report in result.sources where !report.unmappedDroppedVoxels.isEmpty {
      let values = report.unmappedDroppedVoxels.keys.compactMap { Int($0) }.sorted().map(String.init).joined(separator: ", ")
      warnings.append("\(report.path ?? report.name): values without a mapping set to 0 (--drop-unmapped): \(values)")
    }
    for finding in result.validation.findings where finding.keptComponentSizes.isEmpty && !finding.removedComponentSizes.isEmpty {
      warnings.append(
        "\(finding.name) (\(finding.labelID)): all \(finding.componentCount) component(s) removed by the cleanup (expected \(finding.expectedMinimum)...\(finding.expectedMaximum), each at most \(finding.autofixLimitVoxels ?? 0) voxels)")
    }
    var counts = [Int](repeating: 0, count: 256)
    for v in result.labelMap.voxels { counts[Int(v)] += 1 }
    let report = Report(
      output: output.path, priority: options.priority, aggressiveness: options.aggressiveness, female: options.female,
      dropUnmapped: options.dropUnmapped, neverDeleteLastComponent: options.neverDeleteLastComponent, kidneyCysts: kidneyCysts, sources: result.sources, validation: result.validation,
      labelVoxels: Dictionary(uniqueKeysWithValues: (1..<256).filter { counts[$0] > 0 }.map { (String($0), counts[$0]) }))
    try SegmentJob.labelImage(result.labelMap, like: firstImage!).write(to: output, in: outputs)
    if let reportURL {
      let bytes = try SidecarJSON.encode(report, numericObjects: ["labelVoxels"])
      try outputs.write(bytes, to: reportURL)
    }
    try outputs.commit()
    return Outcome(report: report, warnings: warnings)
  }
}
