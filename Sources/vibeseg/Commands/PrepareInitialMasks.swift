import ArgumentParser
import Foundation
import VibeSegKit

extension InitialMaskMerge.Priority: ExpressibleByArgument {}
extension InitialMaskMapping.KidneyCysts: ExpressibleByArgument {}

extension VibeSegCommand {
  struct PrepareInitialMasks: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "prepare-initial-masks",
      abstract: "Initial training masks from other networks' label maps (TotalSegmentator, SPINEPS, body composition).",
      subcommands: [Merge.self])

    struct Merge: ParsableCommand {
      static let configuration = CommandConfiguration(
        abstract: "Map other networks' label maps to TotalVibe ids, merge them with priorities, clean up components.",
        discussion: """
          Each --source NAME=FILE is one network's label map. Its values become TotalVibe ids \
          through a mapping: built in for totalseg (TotalSegmentator v2 task total, by class name: \
          organs, vessels, muscles and bones by name, small_bowel and colon -> intestine, \
          vertebrae_S1 -> sacrum, vertebrae L5-C1, brain, skull and ribs dropped) and spineps \
          (TPTBox Location ids: 41-48 -> 70, 49/50/52/53/62 -> 69, 100 -> 68, 61 -> 71, \
          60 -> 52, 26 -> 23), or a JSON file --map NAME=FILE {"source value": TotalVibe id or \
          name, 0 to drop}, required for any other source (body composition). A value with no \
          mapping is refused (listing every such value) unless --drop-unmapped.

          Sources are merged in the order given (--priority sources; recommended: spineps, \
          totalseg, bodycomp): a voxel keeps the label of the first source that has one there; \
          --priority groups uses combine's order instead (vessel, lung, cns, prone_to_over_seg, \
          bone, digestion, muscle, organ, rest, then source). Single-component structures (not \
          vessels) keep only their largest 6-connected component per source. Then every label \
          whose 26-connected component count is outside its expected range loses its components \
          of at most autofix x --aggressiveness voxels, as combine does. The map is written on \
          the first source's grid (others of another shape are resampled, nearest neighbour); \
          outputs are written together or not at all.

          Examples:
            vibeseg prepare-initial-masks merge --source spineps=sp.nii.gz --source totalseg=ts.nii.gz \\
              --source bodycomp=bc.nii.gz --map bodycomp=bc_map.json -o init.nii.gz --report init.json
            vibeseg prepare-initial-masks merge --source totalseg=ts.nii.gz --kidney-cysts drop --female -o init.nii.gz
          """)

      @Option(help: "A network's label map as NAME=FILE (totalseg, spineps, or any name with a --map); repeat, in priority order.")
      var source: [String] = []

      @Option(help: "A mapping file for a source as NAME=FILE (JSON {\"source value\": TotalVibe id or name}); replaces a built-in table.")
      var map: [String] = []

      @Option(name: .shortAndLong, help: "Merged label map (.nii or .nii.gz, uint8 TotalVibe ids).")
      var output: String

      @Option(help: "Write a JSON report (per-source values, dropped values, removed components) to this file.")
      var report: String?

      @Option(help: "Priority: sources (in the order given) or groups (combine's group order, then source).")
      var priority: InitialMaskMerge.Priority = .sources

      @Option(help: "Component cleanup multiplier of each label's autofix size (0: no cleanup).")
      var aggressiveness: Int = 15

      @Option(help: "TotalSegmentator's kidney cysts: kidney (part of the kidney of their side) or drop.")
      var kidneyCysts: InitialMaskMapping.KidneyCysts = .kidney

      @Flag(help: "Never write prostate (female subjects).")
      var female = false

      @Flag(help: "Set values without a mapping to 0 instead of refusing the map.")
      var dropUnmapped = false

      @Flag(help: "Replace existing outputs (never an input).")
      var overwrite = false

      func validate() throws {
        guard !source.isEmpty else { throw ValidationError("give at least one --source NAME=FILE") }
        try checkNiftiOutput(output)
        guard aggressiveness >= 0 else { throw ValidationError("--aggressiveness must not be negative, got \(aggressiveness)") }
        var names = Set<String>()
        for item in try parsedSources() where !names.insert(item.name).inserted {
          throw ValidationError("--source: the name \(item.name) is given twice")
        }
        var mapped = Set<String>()
        for item in try parsedMaps() {
          guard names.contains(item.name) else { throw ValidationError("--map \(item.name)=...: no --source is named \(item.name)") }
          guard mapped.insert(item.name).inserted else { throw ValidationError("--map: two files for \(item.name)") }
        }
        for name in names where !mapped.contains(name) && !InitialMaskMergeJob.builtInSources.contains(name) {
          throw ValidationError(
            "--source \(name): no built-in mapping (only \(InitialMaskMergeJob.builtInSources.joined(separator: ", "))); give --map \(name)=FILE")
        }
      }

      func parsedSources() throws -> [ImageArgument] { try source.map { try Self.named($0, option: "--source") } }
      func parsedMaps() throws -> [ImageArgument] { try map.map { try Self.named($0, option: "--map") } }

      static func named(_ text: String, option: String) throws -> ImageArgument {
        let item = try ImageArgument(text, defaultName: "", option: option)
        guard !item.name.isEmpty else { throw ValidationError("\(option) needs NAME=FILE (e.g. totalseg=ts.nii.gz), got '\(text)'") }
        return item
      }

      func run() throws {
        try reportingErrors {
          var job = InitialMaskMergeJob(
            sources: try parsedSources().map { ($0.name, URL(fileURLWithPath: $0.path)) }, output: URL(fileURLWithPath: output))
          job.maps = Dictionary(uniqueKeysWithValues: try parsedMaps().map { ($0.name, URL(fileURLWithPath: $0.path)) })
          job.kidneyCysts = kidneyCysts
          job.options = .init(aggressiveness: aggressiveness, priority: priority, female: female, dropUnmapped: dropUnmapped)
          job.reportURL = report.map { URL(fileURLWithPath: $0) }
          job.overwrite = overwrite
          let outcome = try job.run()
          printWarnings(outcome.warnings)
          printWritten([output] + [report].compactMap { $0 })
        }
      }
    }
  }
}
