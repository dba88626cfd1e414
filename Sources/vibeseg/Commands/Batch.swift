import ArgumentParser
import Cohort
import ModelZoo
import VibeSegKit
import Dispatch
import Foundation
import VolumeCore

/// Signal sources of a running batch (kept alive for the process's lifetime).
nonisolated(unsafe) var batchSignalSources: [any DispatchSourceSignal] = []

extension VibeSegCommand {
  struct Batch: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Run a task over a cohort: crash-safe, resumable, shardable (Slurm arrays).",
      discussion: """
        Cases come from INPUT: a folder (files matching --pattern, default *.nii.gz and *.nii; nnU-Net \
        channel names case_0000, case_0001 are grouped into one case), a CSV list (header: id, channel_0, \
        channel_1, ...; or id, water, in_phase, opposed_phase; relative paths from the CSV's folder), or a \
        BIDS tree with --bids (outputs named like upstream's derivatives: <entities>_seg-<model>_msk.nii.gz, \
        in the input's sub-folder). In a folder, each zip and each subfolder holding DICOM is one case too \
        (a UK Biobank visit zip, a NAKO study folder; id: the name without .zip): --contrast/--series \
        choose its series for segment, spine and predict; combine takes its water, in and opp series. \
        --task combine runs `vibeseg combine` per case: its contrasts are the CSV columns water, in_phase, \
        opposed_phase (or channel_0, channel_1, channel_2), or a folder's _0000 (water), _0001 (in-phase), \
        _0002 (opposed-phase) files; it writes <id>.nii.gz and the sidecar <id>.json, byte-identical to \
        `vibeseg combine` with the same --model, --female and --fill-holes. \
        Outputs go to OUT_DIR (<id>.nii.gz; --stats adds <id>.stats.csv/.json, --preview <id>.preview.png), \
        the manifest to OUT_DIR/.vibeseg/manifest-shard-I-of-N.sqlite (SQLite: per case input sha256, \
        model sha256, tool version, flags, status, attempts, error, timings, output sha256s and stat keys). \
        A rerun skips cases whose outputs are in place with their recorded sha256 and match the current \
        model, version, flags and inputs; others are redone. An output whose size, mtime (ns), inode and \
        device equal those recorded is trusted without reading it; --verify-outputs re-hashes every one. \
        Failures and deaths are counted apart: an error a case raises, or a crash of the process it \
        causes (a fatal signal the process raises on itself while working on it), is one attempt, and \
        after --retries attempts the case is quarantined. A process death of unseen cause (SIGKILL, \
        OOM killer, power loss) is no attempt: it is charged, as a death, only to the case being \
        computed (never one read ahead or being written), that case goes after the rest of the shard, \
        and after --max-deaths deaths it is quarantined. --retry-quarantined tries quarantined cases \
        again; --overwrite redoes everything. \
        One process per shard and output folder (a lock in OUT_DIR/.vibeseg); the output folder is \
        checked writable before any model is loaded; a manifest that cannot be written stops the run. \
        --shard I/N (0-based) takes the cases whose id's FNV-1a 64-bit hash mod N is I: \
        `sbatch --array=0-99` with `--shard $SLURM_ARRAY_TASK_ID/100`. SIGINT/SIGTERM: no new case \
        starts, a commit in progress finishes, the case being computed is left pending; exit 130/143. \
        Exit codes: 0 all cases done, 2 some failed or quarantined (listed on stderr and in the manifest), \
        64 usage, 66 input missing, 69 model unavailable, 73 cannot create output, 74 manifest I/O, \
        75 this shard is being run into OUT_DIR by another process.

        Examples:
          vibeseg batch cohort/ -o results/ --task segment --stats --preview
          vibeseg batch list.csv -o results/ --task combine --shard $SLURM_ARRAY_TASK_ID/100
          vibeseg batch imagesTs/ -o predictions/ --task predict --model MODEL_FOLDER
          vibeseg batch ukbb_zips/ -o results/ --task combine
        """)

    @Argument(help: "Input folder, CSV case list, or BIDS root (with --bids).")
    var input: String

    @Option(name: .shortAndLong, help: "Output folder (created if missing).")
    var output: String

    @Option(help: "Task: \(CohortTasks.kinds.joined(separator: ", ")).")
    var task: String = "predict"

    @Option(
      help: """
        Model: an nnU-Net v2 model folder (predict); a model id or folder (segment and combine: default 100, \
        spine: 511).
        """)
    var model: String?

    @Option(help: "ROI model id or folder for a cascaded model (default: the id its dataset.json names).")
    var roiModel: String?

    @Flag(help: "combine: never write prostate (female subjects).")
    var female = false

    @Flag(help: "combine, segment: fill holes in every structure of the (combined) map.")
    var fillHoles = false

    @Option(parsing: .upToNextOption, help: "segment: keep only these structures: names, ids or ranges, comma or space separated.")
    var roiSubset: [String] = []

    @OptionGroup var dicom: DICOMSelectionOptions

    @Option(help: "spine: relabel a model folder as model 511 or 512 (default: from its plans.json dataset_name).")
    var spineLabels: Int?

    @Flag(help: "segment: predict only inside the bounding box of voxels > 20 (upstream --crop).")
    var crop = false

    @Flag(help: "segment: keep the model's grid instead of resampling back to the input (upstream keep_size).")
    var keepSize = false

    @Flag(help: "segment, spine: also write one binary mask per structure, <id>.mask-<name>.nii.gz.")
    var splitMasks = false

    @Option(help: "segment, combine: nifti (default) or both: also <id>.seg.dcm, a DICOM-SEG of each DICOM case (a NIfTI case then fails).")
    var outputType: SegmentationOutputType = .nifti

    @Option(help: "DICOM-SEG encoding: none (explicit VR little endian) or deflate (about 100x smaller; pydicom, highdicom, dcmqi read it, dciodvfy does not).")
    var dicomCompress: DICOMSegCompression = .none

    @Option(help: "Shell glob for input file names (default *.nii.gz and *.nii).")
    var pattern: String?

    @Flag(help: "INPUT is a BIDS tree; outputs are named like upstream's derivatives.")
    var bids = false

    @Option(help: "This shard I/N of the case list (0 <= I < N).")
    var shard: String = "0/1"

    @Option(help: "Attempts per case before it is quarantined (errors it raised, crashes it caused).")
    var retries: Int = 2

    @Option(
      help: """
        Process deaths of unseen cause (SIGKILL, OOM killer) while a case was being computed before it \
        is quarantined.
        """)
    var maxDeaths: Int = 10

    @Flag(help: "Try quarantined cases again (without redoing done ones, unlike --overwrite).")
    var retryQuarantined = false

    @Flag(help: "Also write per-case statistics next to each label map.")
    var stats = false

    @Flag(help: "Also write a per-case QC preview PNG.")
    var preview = false

    @Flag(help: "Redo every case, including done, failed and quarantined ones.")
    var overwrite = false

    @Flag(
      help: """
        Re-hash every recorded output when resuming. Without it an output whose size, mtime (ns), inode \
        and device are unchanged is trusted without being read, so a rerun over a finished cohort reads \
        no label map; bytes changed in place with the mtime put back (touch -d, some restore tools, bit \
        rot) then go unnoticed. With it every output is read again (slow for large cohorts) and a \
        changed one redoes its case.
        """)
    var verifyOutputs = false

    @Option(help: "Threads for the network (shared out among --jobs) (default: every usable core: affinity and cgroup quota respected, as nnU-Net and PyTorch use them).")
    var threads: Int = UsableCores.count

    @Option(
      help: """
        Run J worker processes side by side, each on its own sub-shard (I + N*j of N*J) with \
        max(1, threads/J) network threads: more throughput when one case cannot keep every core busy.
        """)
    var jobs: Int = 1

    @Option(parsing: .upToNextOption, help: "Folds (default: every fold_N found).")
    var folds: [String] = []

    @Option(help: "segment/spine/combine: use only the first N folds of the model (names sorted as strings; upstream's max_folds). Not with --folds.")
    var maxFolds: Int?

    @Option(help: "predict: checkpoint final (default) or best. (segment, spine and combine choose as upstream: final for every fold, else best for every fold.)")
    var checkpoint: CheckpointChoice?

    @Option(help: "Sliding-window step as a fraction of the patch.")
    var stepSize: Double = 0.5

    @Option(help: "segment/spine/combine: voxels of reflect padding on the model grid (upstream padd; 0 = none).")
    var pad: Int = 5

    @Flag(inversion: .prefixedNo, help: "predict: test-time mirroring (default on when the checkpoint allows it). segment, spine and combine never mirror, as upstream.")
    var tta: Bool?

    func parsedShard() throws -> (Int, Int) {
      let parts = shard.split(separator: "/")
      guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else {
        throw ValidationError("--shard expects I/N with 0 <= I < N (e.g. 3/10), got '\(shard)'")
      }
      return (i, n)
    }

    func validate() throws {
      _ = try parsedShard()
      guard retries >= 1 else { throw ValidationError("--retries must be at least 1") }
      guard maxDeaths >= 1 else { throw ValidationError("--max-deaths must be at least 1") }
      guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
      try checkFolds(folds)
      guard jobs >= 1 && jobs <= 64 else { throw ValidationError("--jobs must be between 1 and 64") }
      guard stepSize > 0 && stepSize <= 1 else { throw ValidationError("--step-size must be in (0, 1]") }
      guard (0...64).contains(pad) else { throw ValidationError("--pad must be in 0...64") }
      if bids && input.lowercased().hasSuffix(".csv") { throw ValidationError("--bids needs a folder, not a CSV list") }
      if pattern != nil && input.lowercased().hasSuffix(".csv") {
        throw ValidationError("--pattern applies to folders, not a CSV list")
      }
      if female && task != "combine" { throw ValidationError("--female applies to --task combine") }
      if fillHoles && !["combine", "segment"].contains(task) {
        throw ValidationError("--fill-holes applies to --task combine and --task segment")
      }
      if (dicom.contrast != nil || dicom.series != nil) && !["segment", "spine", "predict"].contains(task) {
        throw ValidationError("--contrast and --series choose the series of DICOM cases for --task segment, spine or predict (combine finds water, in and opp itself)")
      }
      if spineLabels != nil && task != "spine" { throw ValidationError("--spine-labels applies to --task spine") }
      if let spineLabels, SpineModel(rawValue: spineLabels) == nil { throw ValidationError("--spine-labels must be 511 or 512") }
      if (!roiSubset.isEmpty || crop || keepSize) && task != "segment" {
        throw ValidationError("--roi-subset, --crop and --keep-size apply to --task segment (as in vibeseg segment)")
      }
      if outputType != .nifti && !["segment", "combine"].contains(task) {
        throw ValidationError("--output-type applies to --task segment and --task combine")
      }
      if dicomCompress != .none && !outputType.writesDICOMSeg {
        throw ValidationError("--dicom-compress applies to DICOM-SEG output: add --output-type both")
      }
      if outputType == .dicomSeg {
        throw ValidationError("batch always writes the label maps its manifest tracks: use --output-type both for a DICOM-SEG beside each")
      }
      if splitMasks && !["segment", "spine"].contains(task) {
        throw ValidationError("--split-masks applies to --task segment and --task spine")
      }
      if ["segment", "spine", "combine"].contains(task) {
        if checkpoint != nil {
          throw ValidationError(
            "--checkpoint applies to --task predict; TotalVibeSegmentator's pipeline uses checkpoint_final for every fold, else checkpoint_best for every fold, as upstream")
        }
        if tta != nil { throw ValidationError("--tta/--no-tta apply to --task predict; TotalVibeSegmentator's pipeline never mirrors, as upstream") }
      } else if maxFolds != nil {
        throw ValidationError("--max-folds applies to --task segment, spine and combine (upstream's max_folds); for predict name the folds with --folds")
      }
      if let maxFolds {
        guard maxFolds >= 1 else { throw ValidationError("--max-folds must be at least 1") }
        guard folds.isEmpty else { throw ValidationError("--max-folds and --folds exclude each other: --folds names the folds, --max-folds keeps the first N") }
      }
      if bids && task == "combine" {
        throw ValidationError(
          "--task combine needs each subject's contrasts in one case: a CSV list (water, in_phase, opposed_phase) or a folder with _0000/_0001/_0002 names, not --bids"
        )
      }
    }

    func run() throws {
      let (index, count) = try parsedShard()
      if let parent = ProcessInfo.processInfo.environment[Self.parentVariable] { Self.dieWithParent(parent) }
      if jobs > 1 { try runJobs(index: index, count: count) }
      let inputURL = URL(fileURLWithPath: input)
      let source: CaseSource =
        bids
        ? .bids(inputURL, pattern: pattern)
        : input.lowercased().hasSuffix(".csv") ? .list(inputURL) : .folder(inputURL, pattern: pattern)
      var options = BatchOptions(
        source: source, outputFolder: URL(fileURLWithPath: output), task: task,
        toolVersion: VibeSegCommand.configuration.version)
      options.shardIndex = index
      options.shardCount = count
      options.retries = retries
      options.maxDeaths = maxDeaths
      options.retryQuarantined = retryQuarantined
      options.recordCrashes = true
      options.statistics = stats
      options.preview = preview
      options.overwrite = overwrite
      options.verifyOutputs = verifyOutputs
      options.taskOptions.model = model
      options.taskOptions.roiModel = roiModel
      options.taskOptions.female = female
      options.taskOptions.fillHoles = fillHoles
      options.taskOptions.roiSubset = roiSubset
      options.taskOptions.crop = crop
      options.taskOptions.spineLabels = spineLabels
      options.taskOptions.dicomSelection = dicom.selection
      options.taskOptions.keepSize = keepSize
      options.taskOptions.splitMasks = splitMasks
      options.taskOptions.outputType = outputType
      options.taskOptions.dicomCompression = dicomCompress
      options.taskOptions.folds = folds.isEmpty ? nil : folds
      options.taskOptions.maxFolds = maxFolds
      options.taskOptions.checkpoint = (checkpoint ?? .final).rawValue
      options.taskOptions.stepSize = stepSize
      options.taskOptions.padding = pad
      options.taskOptions.mirroring = tta ?? true
      options.taskOptions.threads = threads
      let zoo = try ModelZoo.fromEnvironment()
      // Model ids: the installed model, else downloaded once (under the zoo's install lock, so the
      // jobs of a Slurm array do not download it twice).
      options.taskOptions.modelLocator = ModelLocator(zoo: zoo, allowDownload: true, progress: ProgressReporter().report)
      let progress = BatchProgress(terminal: isatty(STDERR_FILENO) != 0)
      var hooks = BatchHooks()
      hooks.events = { progress.handle($0) }
      if let spec = ProcessInfo.processInfo.environment["VIBESEG_TEST_CRASH_POINT"] {
        hooks.crashPoint = CrashPoint(spec).reach
      } else if let spec = ProcessInfo.processInfo.environment["VIBESEG_TEST_CRASH_CASE"] {
        hooks.crashPoint = CrashCase(spec, kind: ProcessInfo.processInfo.environment["VIBESEG_TEST_CRASH_KIND"]).reach
      }
      let runner = BatchRun(options: options, hooks: hooks)
      for (number, code) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: DispatchQueue(label: "vibeseg.signals"))
        source.setEventHandler {
          let summary = runner.interrupt(signal: number)
          progress.finish(summary)
          printError(
            "vibeseg: batch interrupted by \(number == SIGINT ? "SIGINT" : "SIGTERM"); rerun the same command to resume"
          )
          fflush(nil)
          _exit(code)
        }
        source.resume()
        batchSignalSources.append(source)
      }
      try reportingErrors {
        let summary = try runner.run()
        progress.finish(summary)
        for failure in summary.failed { printError("vibeseg: error: case \(failure.id) failed: \(failure.error)") }
        for failure in summary.quarantined {
          printError("vibeseg: error: case \(failure.id) quarantined: \(failure.error)")
        }
        if !summary.allSucceeded { throw ExitCode(2) }
      }
    }
  }
}
