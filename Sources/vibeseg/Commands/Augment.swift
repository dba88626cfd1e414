import ArgumentParser
import Foundation
import VibeSegKit
import VolumeCore

extension AugmentNormalization: ExpressibleByArgument {}

extension VibeSegCommand {
  struct Augment: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Seeded offline elastic deformation of a training case (TPTBox/elasticdeform parity).",
      discussion: """
        Writes deformed copies of one case (images + optional label map on the same grid) as the \
        authors' TPTBox deformed_nii does with elasticdeform 0.5.1 deform_random_grid, but \
        reproducibly: every copy's parameters come from a generator keyed by (--seed, SHA-256 of \
        --case-id, copy index), so output does not depend on --threads or on other cases.
        Per copy: sigma0 = 2 + 2.5 U, sigma = sigma0 x --deform-factor, control points P uniform in \
        3 ... max_points(sigma0) (the authors' table), displacements D ~ N(0, sigma^2) voxels on a \
        P x P x P grid; images min-max normalised (--normalize), all arrays reflect-padded by \
        --pad, one field for all (images cubic B-spline, labels nearest, outside 0), cropped back, \
        images de-normalised and stored float32, the label map in its own type.
        Outputs in -o DIR, for copy k: <image stem>_d<k>.nii.gz per --image, <label stem>_d<k>.nii.gz, \
        and <case-id>_d<k>.json (seed, sigma, points, label checks; with --dump-params the \
        displacements D[3][P][P][P], which elasticdeform.deform_grid replays; --replay-params FILE \
        deforms one copy with the D of such a file). Copies: --copies N, or --target-total T \
        --cases N (factor = clamp(round(T/N), 4, 500), copies = factor - 1). All outputs are \
        written together or not at all; the uncompressed size is printed first.

        Examples:
          vibeseg augment --image s01_water.nii.gz --image s01_fat.nii.gz --label s01_seg.nii.gz \\
            --case-id s01 --seed 42 --copies 9 -o aug/
          vibeseg augment --image s01_water.nii.gz --label s01_seg.nii.gz --target-total 2000 --cases 120 -o aug/
          vibeseg augment --image s01_water.nii.gz --replay-params aug/s01_water_d3.json -o replay/
        """)

    @Option(name: .customLong("image"), help: "An image of the case (.nii/.nii.gz); repeat for more contrasts.")
    var images: [String] = []

    @Option(help: "The case's label map on the same grid (deformed with nearest neighbour).")
    var label: String?

    @Option(name: .shortAndLong, help: "Output folder (must exist).")
    var output: String

    @Option(help: "Case id keying the random stream and naming the sidecar (default: the first image's stem).")
    var caseId: String?

    @Option(help: "Global seed (unsigned 64-bit).")
    var seed: UInt64 = 0

    @Option(help: "Deformed copies to write (d1 ... dN).")
    var copies: Int?

    @Option(help: "Target dataset size; with --cases gives the copies per case.")
    var targetTotal: Int?

    @Option(help: "Number of source cases (with --target-total).")
    var cases: Int?

    @Option(help: "Fix sigma (voxels) instead of drawing it; --deform-factor is then not applied.")
    var sigma: Double?

    @Option(help: "Fix the control points per axis instead of drawing them.")
    var points: Int?

    @Option(help: "Multiplies the drawn sigma.")
    var deformFactor: Double = 1.0

    @Option(help: "Reflect padding in voxels before deforming.")
    var pad: Int = 10

    @Option(help: "Image scaling around the deformation: per-image, joint or none.")
    var normalize: AugmentNormalization = .perImage

    @Flag(help: "Write the control displacements D into every sidecar.")
    var dumpParams = false

    @Option(help: "Deform one copy with the displacements of this JSON file (a sidecar written with --dump-params).")
    var replayParams: String?

    @Option(help: "Threads (default: every usable core); the output does not depend on it.")
    var threads: Int = UsableCores.count

    @Option(help: "gzip level for .nii.gz outputs (libdeflate 1-12).")
    var compressionLevel: Int = 4

    @Flag(help: "Replace existing outputs.")
    var overwrite = false

    func validate() throws {
      guard !images.isEmpty else { throw ValidationError("give at least one --image") }
      let counts = [copies != nil, targetTotal != nil, replayParams != nil].filter { $0 }.count
      guard counts == 1 else {
        throw ValidationError("give exactly one of --copies N, --target-total T (with --cases N), --replay-params FILE")
      }
      if (targetTotal == nil) != (cases == nil) { throw ValidationError("--target-total and --cases go together") }
      if let copies, copies < 1 { throw ValidationError("--copies must be at least 1") }
      if let targetTotal, let cases, targetTotal < 1 || cases < 1 {
        throw ValidationError("--target-total and --cases must be at least 1")
      }
      if replayParams != nil && (sigma != nil || points != nil) {
        throw ValidationError(
          "--replay-params takes sigma and the displacements from the file; leave out --sigma and --points")
      }
      if let sigma, !(sigma > 0 && sigma.isFinite) {
        throw ValidationError("--sigma must be a positive number of voxels")
      }
      if let points, !(1...64).contains(points) { throw ValidationError("--points must be 1...64") }
      if !(deformFactor > 0 && deformFactor.isFinite) { throw ValidationError("--deform-factor must be positive") }
      if pad < 0 { throw ValidationError("--pad must be 0 or more") }
      if threads < 1 { throw ValidationError("--threads must be at least 1") }
      if !(1...12).contains(compressionLevel) { throw ValidationError("--compression-level must be 1...12") }
    }

    func run() throws {
      try reportingErrors {
        var job = AugmentJob(
          images: images.map { URL(fileURLWithPath: $0) }, outputFolder: URL(fileURLWithPath: output))
        job.label = label.map { URL(fileURLWithPath: $0) }
        job.caseID = caseId
        job.seed = seed
        if let copies { job.copies = copies }
        if let targetTotal, let cases { job.copies = AugmentLaw.copies(targetTotal: targetTotal, sourceCases: cases) }
        job.sigma = sigma
        job.points = points
        job.deformFactor = deformFactor
        job.pad = pad
        job.normalize = normalize
        job.dumpParams = dumpParams
        job.replayParams = replayParams.map { URL(fileURLWithPath: $0) }
        job.threads = threads
        job.compressionLevel = compressionLevel
        job.overwrite = overwrite
        let outcome = try job.run { estimate in
          let bytes = Double(estimate.totalBytes)
          let size = bytes >= 1e9 ? String(format: "%.1f GB", bytes / 1e9) : String(format: "%.1f MB", bytes / 1e6)
          printError(
            "vibeseg: note: \(estimate.copies) cop\(estimate.copies == 1 ? "y" : "ies") of \(estimate.voxelsPerVolume) voxels: up to \(size) uncompressed"
          )
        }
        printWarnings(outcome.warnings)
        printWritten(outcome.written.map(\.path))
      }
    }
  }
}
