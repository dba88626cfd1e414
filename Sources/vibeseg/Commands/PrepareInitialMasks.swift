import ArgumentParser
import Foundation
import VibeSegKit

extension InitialMaskMerge.Priority: ExpressibleByArgument {}
extension InitialMaskMapping.KidneyCysts: ExpressibleByArgument {}

extension VibeSegCommand {
  struct PrepareInitialMasks: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "prepare-initial-masks",
      abstract: "Initial training masks: a CT-like water image for TotalSegmentator, then other networks' maps merged.",
      subcommands: [Manipulate.self, Merge.self])

    struct Manipulate: ParsableCommand {
      static let configuration = CommandConfiguration(
        abstract: "Make a water image look more like CT before TotalSegmentator runs on it (the paper's Algorithm A).",
        discussion: """
          W' = water with voxels of the body-composition muscle label multiplied by \
          --muscle-factor (paper 0.8). Voxels of the in-phase image below the threshold \
          (--threshold-fraction x its 99.5th percentile, default 0.1, or --threshold) form \
          26-connected components: those touching the R-L or A-P faces of the volume (also S-I \
          with --si-faces) are outside air; of the others, the --lung-count (2) largest of at \
          least --lung-min-ml (200 mL) are lung. W'' = W' minus --air-offset (paper 600, NAKO \
          units) in air and lung; written as float32, never clamped. The paper fixes the factor \
          and the offset; threshold and component rules are VibeSeg's defaults. Inputs must \
          share one grid. Outputs are written together or not at all.

          Examples:
            vibeseg prepare-initial-masks manipulate --water W.nii.gz --in-phase IN.nii.gz \\
              --bodycomp bc.nii.gz --muscle-label 2 -o W_ct.nii.gz --lung-mask lung.nii.gz --background-mask air.nii.gz
            vibeseg prepare-initial-masks manipulate --water W.nii.gz --in-phase IN.nii.gz -o W_ct.nii.gz --threshold 40
          """)

      @Option(help: "Water image.") var water: String
      @Option(help: "In-phase image (air and lung are found in it).") var inPhase: String
      @Option(help: "Body-composition label map (its muscle voxels are darkened).") var bodycomp: String?
      @Option(help: "The muscle value in --bodycomp (66: TotalVibe muscle).") var muscleLabel: Int = 66
      @Option(help: "Factor for water voxels in muscle (paper 0.8).") var muscleFactor: Double = 0.8
      @Option(help: "Subtracted from water in air and lung (paper 600, NAKO units).") var airOffset: Double = 600
      @Option(help: "In-phase threshold as a fraction of its 99.5th percentile.") var thresholdFraction: Double = 0.1
      @Option(help: "Absolute in-phase threshold (replaces --threshold-fraction).") var threshold: Double?
      @Flag(help: "Components touching the superior or inferior face are outside air too.") var siFaces = false
      @Option(help: "How many interior air components are lung.") var lungCount: Int = 2
      @Option(help: "Smallest lung component (mL).") var lungMinMl: Double = 200
      @Option(name: .shortAndLong, help: "Manipulated water image (.nii or .nii.gz, float32).") var output: String
      @Option(help: "Write the outside-air mask (uint8) here.") var backgroundMask: String?
      @Option(help: "Write the lung mask (uint8) here.") var lungMask: String?
      @Option(help: "Write a JSON report (threshold, volumes) here.") var report: String?
      @Flag(help: "Replace existing outputs (never an input).") var overwrite = false

      func validate() throws {
        try checkNiftiOutput(output)
        if let backgroundMask { try checkNiftiOutput(backgroundMask) }
        if let lungMask { try checkNiftiOutput(lungMask) }
        guard (0...65535).contains(muscleLabel) else { throw ValidationError("--muscle-label must be 0...65535") }
        guard muscleFactor.isFinite, airOffset.isFinite, thresholdFraction.isFinite, threshold?.isFinite ?? true else {
          throw ValidationError("--muscle-factor, --air-offset and the thresholds must be finite numbers")
        }
        guard lungCount >= 0, lungMinMl >= 0 else { throw ValidationError("--lung-count and --lung-min-ml must not be negative") }
      }

      func run() throws {
        try reportingErrors {
          var job = WaterManipulationJob(
            water: URL(fileURLWithPath: water), inPhase: URL(fileURLWithPath: inPhase), output: URL(fileURLWithPath: output))
          job.bodyComposition = bodycomp.map { URL(fileURLWithPath: $0) }
          job.backgroundMask = backgroundMask.map { URL(fileURLWithPath: $0) }
          job.lungMask = lungMask.map { URL(fileURLWithPath: $0) }
          job.reportURL = report.map { URL(fileURLWithPath: $0) }
          job.overwrite = overwrite
          job.options.muscleLabel = UInt16(muscleLabel)
          job.options.muscleFactor = muscleFactor
          job.options.airOffset = airOffset
          job.options.thresholdFraction = thresholdFraction
          job.options.threshold = threshold
          job.options.superiorInferiorFaces = siFaces
          job.options.lungCount = lungCount
          job.options.lungMinimumMilliliters = lungMinMl
          let outcome = try job.run()
          printWarnings(outcome.warnings)
          printWritten([output] + [backgroundMask, lungMask, report].compactMap { $0 })
        }
      }
    }

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
          mapping is refused (listing every such value) unless --drop-unmapped. External \
          networks are run by you, or by VibeSeg with --exec NAME=COMMAND (no shell; {output} is \
          replaced by the source's file, which the command must write).

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
            vibeseg prepare-initial-masks merge --source totalseg=ts.nii.gz \\
              --exec "totalseg=TotalSegmentator -i W_ct.nii.gz -o {output} --ml" -o init.nii.gz
          """)

      @Option(help: "A network's label map as NAME=FILE (totalseg, spineps, or any name with a --map); repeat, in priority order.")
      var source: [String] = []

      @Option(help: "A mapping file for a source as NAME=FILE (JSON {\"source value\": TotalVibe id or name}); replaces a built-in table.")
      var map: [String] = []

      @Option(help: "Run this command first to write a source's file, as NAME=COMMAND (no shell; {output} = that file); repeat.")
      var exec: [String] = []

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

      @Flag(help: "The cleanup keeps a label's largest component when it would remove all of them.")
      var neverDeleteLastComponent = false

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
        var executed = Set<String>()
        for item in try parsedExecs() {
          guard names.contains(item.name) else { throw ValidationError("--exec \(item.name)=...: no --source is named \(item.name)") }
          guard executed.insert(item.name).inserted else { throw ValidationError("--exec: two commands for \(item.name)") }
        }
        for name in names where !mapped.contains(name) && !InitialMaskMergeJob.builtInSources.contains(name) {
          throw ValidationError(
            "--source \(name): no built-in mapping (only \(InitialMaskMergeJob.builtInSources.joined(separator: ", "))); give --map \(name)=FILE")
        }
      }

      func parsedSources() throws -> [ImageArgument] { try source.map { try Self.named($0, option: "--source") } }
      func parsedMaps() throws -> [ImageArgument] { try map.map { try Self.named($0, option: "--map") } }
      func parsedExecs() throws -> [ImageArgument] { try exec.map { try Self.named($0, option: "--exec") } }

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
          job.execs = Dictionary(uniqueKeysWithValues: try parsedExecs().map { ($0.name, $0.path) })
          job.kidneyCysts = kidneyCysts
          job.options = .init(
            aggressiveness: aggressiveness, priority: priority, female: female, dropUnmapped: dropUnmapped,
            neverDeleteLastComponent: neverDeleteLastComponent)
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
