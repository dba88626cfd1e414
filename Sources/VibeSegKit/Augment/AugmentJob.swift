import Foundation
import ModelZoo
import NiftiIO
import VolumeCore
import VolumeTransforms

/// `vibeseg augment` (issue 21, training.md §4): seeded offline elastic deformation of one case —
/// one or more images and an optional label map on the same grid — as the authors' TPTBox
/// `elastic_deform.deformed_nii` does it with elasticdeform 0.5.1, made deterministic.
///
/// Per copy `k` (1 … `copies`, or the replayed copy):
/// 1. parameters: `AugmentLaw.draw` from `AugmentRandom(seed, SHA-256(caseID), k)` (σ, points),
///    then `D = σ · N(0, 1)` of shape 3 × P × P × P from the same stream; or `D` from
///    `replayParams` (a sidecar or `make_augment_fixtures.py`'s params.json);
/// 2. every image scaled to float32 (`normalize`, see `AugmentNormalization`; once per case),
///    all arrays reflect-padded by `pad` voxels (NumPy `mode="reflect"`);
/// 3. one `ElasticDeformation` for all arrays: images order 3, the label map order 0, cval 0,
///    evaluated only on the voxels inside the padding (elasticdeform's `crop`: the same values as
///    deforming the padded arrays and cropping back);
/// 4. images scaled back (`x = x'·range + min`, float32 arithmetic) and stored as float32, the
///    label map in its own type, both with the source header (units, description, sform/qform
///    codes) on the source grid;
/// 5. the sidecar `AugmentSidecar` with the parameters and the §4.4 safety checks.
///
/// Outputs in `outputFolder`: `<image stem>_d<k><suffix>` per image, `<label stem>_d<k><suffix>`,
/// and `<caseID>_d<k>.json` (suffix `.nii.gz` or `.nii` as the input's). All outputs of the run
/// are published together by one `OutputTransaction` (all or none; existing files only with
/// `overwrite`); bad inputs are refused before anything is written.
public struct AugmentJob: Sendable {
  public var images: [URL]
  public var label: URL?
  public var outputFolder: URL
  /// Keys the random stream and names the sidecar; default: the first image's stem.
  public var caseID: String?
  public var seed: UInt64 = 0
  /// Copies 1 … `copies` (ignored with `replayParams`).
  public var copies = 1
  public var sigma: Double?
  public var points: Int?
  public var deformFactor = 1.0
  public var pad = 10
  public var normalize: AugmentNormalization = .perImage
  /// Write `D` into every sidecar.
  public var dumpParams = false
  /// Replay one copy with the displacements of this JSON file instead of drawing them.
  public var replayParams: URL?
  public var threads = UsableCores.count
  public var overwrite = false
  public var compressionLevel = 4

  public init(images: [URL], outputFolder: URL) {
    self.images = images
    self.outputFolder = outputFolder
  }

  /// Uncompressed output size, reported before the deformation starts.
  public struct Estimate: Sendable {
    public var copies: Int
    public var voxelsPerVolume: Int
    public var bytesPerCopy: Int
    public var totalBytes: Int { copies * bytesPerCopy }
  }

  public struct Outcome: Sendable {
    public var sidecars: [AugmentSidecar]
    /// Every file written, in publication order.
    public var written: [URL]
    /// Reader warnings and safety-check warnings (vanished or new label values), each naming its file.
    public var warnings: [String]
  }

  /// - Parameter willStart: called once after the inputs are read and checked, before the first
  ///   copy is computed (the command prints the disk estimate there).
  /// - Throws: `VibeSegKitError` — `.invalidOption` (64: no image, an option out of range,
  ///   `--replay-params` with `--sigma`/`--points`, two inputs with one stem, an axis too short to
  ///   deform), `.missingInput` (66), `.invalidInput` (65: 4-D or non-finite voxels, an unreadable
  ///   or malformed params file, joint normalisation with a zero maximum), `.gridMismatch` (65:
  ///   an image or the label map on another grid); `NiftiError` (unreadable input, outputs that
  ///   exist without `overwrite` or cannot be created).
  public func run(willStart: (Estimate) -> Void = { _ in }) throws -> Outcome {
    try checkOptions()
    let replay = try replayParams.map { try Self.readParams($0) }
    let copyIndices = replay.map { [$0.copyIndex ?? 1] } ?? Array(1...copies)
    let caseName = caseID ?? ImageInput.stem(of: images[0])
    let names = try outputNames()

    var outputURLs = [URL]()
    for k in copyIndices { outputURLs += names.urls(copy: k, caseName: caseName, folder: outputFolder) }
    let transaction = try OutputTransaction(
      outputs: outputURLs, inputs: images + [label, replayParams].compactMap { $0 }, overwrite: overwrite)
    let source = try readCase()
    var warnings = source.warnings
    let (reads, labelRead, grid) = (source.images, source.label, source.grid)

    let scaled = try AugmentScaling(reads.map(\.values), mode: normalize, names: images.map(\.path))
    let box = VoxelBox(lower: [pad, pad, pad], upper: grid.shape.map { $0 + pad })
    let inputs = ElasticDeformation.Inputs(
      images: scaled.volumes.map { $0.reflectPadded(by: pad) },
      label: labelRead.map { $0.values.reflectPadded(by: pad) },
      parallel: threads > 1)
    let labelBytes = labelRead.map { $0.values.scalarType.byteCount } ?? 0
    willStart(
      Estimate(
        copies: copyIndices.count, voxelsPerVolume: grid.voxelCount,
        bytesPerCopy: grid.voxelCount * (4 * images.count + labelBytes) + 352 * (images.count + (label == nil ? 0 : 1)))
    )

    let digest = Self.digestBytes(caseName)
    var writeOptions = NiftiWriteOptions()
    writeOptions.compressionLevel = compressionLevel
    writeOptions.threads = threads
    var sidecars = [AugmentSidecar]()
    let sourceCounts = labelRead.map { AugmentLabelCheck.counts($0.values) }
    for k in copyIndices {
      let (draw, field) = self.field(copy: k, replay: replay, caseDigest: digest)
      let deformed = field.apply(to: inputs, crop: box, threads: threads)
      let copyNames = names.files(copy: k)
      for (m, volume) in deformed.images.enumerated() {
        var restored = scaled.restored(volume, image: m)
        restored.grid = grid
        let image = NiftiImage(volume: AnyVolume(restored), header: reads[m].image.header)
        try image.write(
          to: outputFolder.appendingPathComponent(copyNames.images[m]), options: writeOptions, in: transaction)
      }
      var check: AugmentSidecar.LabelCheck?
      if var labels = deformed.label, let labelRead, let sourceCounts, let labelName = copyNames.label {
        labels.grid = grid
        let result = AugmentLabelCheck.check(source: sourceCounts, copy: AugmentLabelCheck.counts(labels))
        check = result
        let url = outputFolder.appendingPathComponent(labelName)
        if !result.newValues.isEmpty || !result.vanishedValues.isEmpty {
          warnings.append(
            "\(url.path): label values \(result.newValues.map(AugmentLabelCheck.text)) appeared and \(result.vanishedValues.map(AugmentLabelCheck.text)) vanished (outside fraction \(String(format: "%.3f", Double(deformed.outsideCount) / Double(grid.voxelCount))))"
          )
        }
        try NiftiImage(volume: labels, header: labelRead.image.header).write(
          to: url, options: writeOptions, in: transaction)
      }
      let sidecar = self.sidecar(
        copy: k, caseName: caseName, draw: draw, field: field, replay: replay, names: copyNames, scaled: scaled,
        outsideFraction: Double(deformed.outsideCount) / Double(grid.voxelCount), labels: check)
      try transaction.write(
        try SidecarJSON.encode(sidecar, numericObjects: []),
        to: outputFolder.appendingPathComponent(copyNames.sidecar(caseName)))
      sidecars.append(sidecar)
    }
    try transaction.commit()
    return Outcome(sidecars: sidecars, written: outputURLs, warnings: warnings)
  }

  /// Option checks that need no file (the command's `validate()` repeats the usage ones).
  func checkOptions() throws {
    guard !images.isEmpty else { throw VibeSegKitError(.invalidOption, "give at least one --image", option: "--image") }
    if let caseID, caseID.isEmpty || caseID.contains("/") || caseID.hasPrefix(".") {
      throw VibeSegKitError(
        .invalidOption, "--case-id '\(caseID)' names the sidecar file: give a non-empty name without '/' that does not start with '.'",
        option: "--case-id")
    }
    guard copies >= 1 else { throw VibeSegKitError(.invalidOption, "--copies must be at least 1", option: "--copies") }
    guard pad >= 0 else { throw VibeSegKitError(.invalidOption, "--pad must be >= 0", option: "--pad") }
    guard threads >= 1 else {
      throw VibeSegKitError(.invalidOption, "--threads must be at least 1", option: "--threads")
    }
    guard (1...12).contains(compressionLevel) else {
      throw VibeSegKitError(.invalidOption, "--compression-level must be 1...12", option: "--compression-level")
    }
    if let sigma, !(sigma > 0 && sigma.isFinite) {
      throw VibeSegKitError(.invalidOption, "--sigma must be a positive number of voxels", option: "--sigma")
    }
    if let points, !(1...64).contains(points) {
      throw VibeSegKitError(.invalidOption, "--points must be 1...64", option: "--points")
    }
    guard deformFactor > 0 && deformFactor.isFinite else {
      throw VibeSegKitError(.invalidOption, "--deform-factor must be positive", option: "--deform-factor")
    }
    if replayParams != nil && (sigma != nil || points != nil) {
      throw VibeSegKitError(
        .invalidOption,
        "--replay-params takes sigma and the displacements from the file; leave out --sigma and --points",
        option: "--replay-params")
    }
  }

  /// Output file names per input (`<stem>_d<k><suffix>`), refusing two inputs with one stem.
  func outputNames() throws -> AugmentNames {
    let inputs = images + (label.map { [$0] } ?? [])
    var seen = Set<String>()
    for url in inputs {
      let stem = ImageInput.stem(of: url)
      guard seen.insert(stem).inserted else {
        throw VibeSegKitError(
          .invalidOption, "two inputs are named \(stem); their copies would overwrite each other (rename one)",
          path: url.path)
      }
    }
    return AugmentNames(images: images, label: label)
  }

  /// The 32 bytes of SHA-256 of the case id (the package's one hash, `FileDigest`).
  static func digestBytes(_ caseID: String) -> [UInt8] {
    let hex = Array(FileDigest.sha256(caseID).utf8)
    return stride(from: 0, to: hex.count, by: 2).map {
      UInt8(String(decoding: hex[$0..<($0 + 2)], as: UTF8.self), radix: 16)!
    }
  }

  /// Reads a replay file: JSON with `displacement` `[3][P_i][P_j][P_k]` (finite numbers) and
  /// optionally `sigma`, `points` (must equal P_i when given), `copyIndex` (≥ 1), `seed`.
  static func readParams(_ url: URL) throws -> AugmentSidecar {
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw VibeSegKitError(.missingInput, "no such file", path: url.path, option: "--replay-params")
    }
    let params: AugmentSidecar
    do {
      params = try JSONDecoder().decode(AugmentSidecar.self, from: Data(contentsOf: url))
    } catch {
      throw VibeSegKitError(
        .invalidInput, "not an augment params file (JSON with displacement [3][P][P][P]): \(error)", path: url.path,
        option: "--replay-params", underlying: error)
    }
    guard let nested = params.displacement, let field = AugmentSidecar.field(nested) else {
      throw VibeSegKitError(
        .invalidInput, "displacement must be a [3][P_i][P_j][P_k] array of finite numbers (voxels)", path: url.path,
        option: "--replay-params")
    }
    if let points = params.points, points != field.controlShape[0] {
      throw VibeSegKitError(
        .invalidInput, "points is \(points) but the displacement has \(field.controlShape[0]) control points along i",
        path: url.path, option: "--replay-params")
    }
    if let copy = params.copyIndex, copy < 1 {
      throw VibeSegKitError(.invalidInput, "copyIndex must be >= 1", path: url.path, option: "--replay-params")
    }
    return params
  }
}

/// Output names of one case: `<stem>_d<k><suffix>` per input, `<case>_d<k>.json`.
struct AugmentNames: Sendable {
  let images: [URL]
  let label: URL?

  struct Copy {
    var images: [String]
    var label: String?
    var index: Int
    func sidecar(_ caseName: String) -> String { "\(caseName)_d\(index).json" }
  }

  func files(copy k: Int) -> Copy {
    Copy(images: images.map { Self.name($0, copy: k) }, label: label.map { Self.name($0, copy: k) }, index: k)
  }

  func urls(copy k: Int, caseName: String, folder: URL) -> [URL] {
    let copy = files(copy: k)
    return (copy.images + (copy.label.map { [$0] } ?? []) + [copy.sidecar(caseName)]).map {
      folder.appendingPathComponent($0)
    }
  }

  static func name(_ url: URL, copy k: Int) -> String {
    let file = url.lastPathComponent
    let stem = ImageInput.stem(of: url)
    let suffix = file.hasPrefix(stem) && stem != file ? String(file.dropFirst(stem.count)) : ".nii.gz"
    return "\(stem)_d\(k)\(suffix)"
  }
}
