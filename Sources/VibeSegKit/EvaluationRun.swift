import Evaluation
import Foundation
import NiftiIO
import VolumeCore
import VolumeTransforms

/// What `vibeseg evaluate` was asked for.
public struct EvaluationRequest: Sendable {
  /// A label map, or a folder of them matched to the reference folder by file name.
  public var prediction: URL
  public var reference: URL
  /// A second method's predictions (file or folder), compared with `prediction`.
  public var compare: URL?
  /// `--labels`: ids or names; empty = every label present in either map of a case.
  public var labels: [String]
  public var labelNames: URL?
  public var toleranceMillimeters: Double
  public var bootstrapIterations: Int
  public var seed: UInt64
  /// Resample predictions whose grid differs from the reference's (nearest neighbour, outside =
  /// background) instead of failing.
  public var resamplePrediction: Bool

  public init(prediction: URL, reference: URL, compare: URL? = nil, labels: [String] = [], labelNames: URL? = nil,
    toleranceMillimeters: Double = 2, bootstrapIterations: Int = 10_000, seed: UInt64 = 0, resamplePrediction: Bool = false) {
    self.prediction = prediction
    self.reference = reference
    self.compare = compare
    self.labels = labels
    self.labelNames = labelNames
    self.toleranceMillimeters = toleranceMillimeters
    self.bootstrapIterations = bootstrapIterations
    self.seed = seed
    self.resamplePrediction = resamplePrediction
  }
}

/// One case: its metrics per label for the prediction (and the compared method), or why it failed.
public struct EvaluationCase: Sendable, Codable, Equatable {
  public var name: String
  public var reference: String
  public var prediction: String
  public var compare: String?
  /// Nil when the case succeeded.
  public var error: String?
  public var metrics: [LabelMetrics]
  public var compareMetrics: [LabelMetrics]?
  /// Whether the prediction (or compared map) was resampled onto the reference grid.
  public var resampled: Bool

  public var failed: Bool { error != nil }
}

/// The library behind `vibeseg evaluate`.
public enum EvaluationRun {
  /// Evaluates every case and summarises (`EvaluationReport.init`).
  ///
  /// Files: `reference` a file → one case (`prediction` and `compare` must be files); a folder →
  /// one case per `*.nii` / `*.nii.gz` in it (sorted by name), each matched to the file of the same
  /// name in the prediction (and compare) folder. In folder mode a case whose file is missing or
  /// unreadable, not a label map, or on another grid (without `resamplePrediction`) is recorded
  /// as failed and the others go on; in single-file mode the error is thrown.
  ///
  /// - Throws: `EvaluationError` (`.missingInput`, `.gridMismatch`, `.nonIntegerLabels`),
  ///   `NiftiError`, `VibeSegKitError` (label file, `--labels`).
  public static func run(_ request: EvaluationRequest) throws -> EvaluationReport {
    // Names: --label-names, else the sidecar beside a single predicted map, else TotalVibe's table.
    let (registry, _) = try StatisticsLabelRegistry.forLabelMap(request.prediction, labelNames: request.labelNames)
    let selection = request.labels.isEmpty ? nil : try registry.resolve(request.labels)
    let settings = EvaluationSettings(toleranceMillimeters: request.toleranceMillimeters, labels: selection)
    let (pairs, unmatched, folderMode) = try matchCases(request)
    var cases = [EvaluationCase]()
    for pair in pairs {
      var c = EvaluationCase(name: pair.name, reference: pair.reference.path, prediction: pair.prediction.path,
        compare: pair.compare?.path, error: nil, metrics: [], compareMetrics: nil, resampled: false)
      do {
        let reference = try readLabels(pair.reference, onto: nil)
        let (prediction, r1) = try readPrediction(pair.prediction, reference: reference.grid, resample: request.resamplePrediction)
        c.metrics = try SegmentationEvaluator.evaluate(prediction: prediction, reference: reference, settings: settings, context: pair.prediction.path)
        c.resampled = r1
        if let compare = pair.compare {
          let (other, r2) = try readPrediction(compare, reference: reference.grid, resample: request.resamplePrediction)
          c.compareMetrics = try SegmentationEvaluator.evaluate(prediction: other, reference: reference, settings: settings, context: compare.path)
          c.resampled = c.resampled || r2
        }
      } catch {
        if !folderMode { throw error }
        c.error = "\(error)"
        c.metrics = []
        c.compareMetrics = nil
      }
      cases.append(c)
    }
    return EvaluationReport(cases: cases, unmatchedPredictions: unmatched, registry: registry, request: request)
  }

  struct CaseFiles {
    var name: String
    var reference: URL
    var prediction: URL
    var compare: URL?
  }

  static func isDirectory(_ url: URL) -> Bool? {
    var dir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &dir) else { return nil }
    return dir.boolValue
  }

  static func isNifti(_ name: String) -> Bool {
    let lower = name.lowercased()
    return lower.hasSuffix(".nii") || lower.hasSuffix(".nii.gz")
  }

  static func caseName(_ file: String) -> String {
    file.lowercased().hasSuffix(".nii.gz") ? String(file.dropLast(7)) : file.lowercased().hasSuffix(".nii") ? String(file.dropLast(4)) : file
  }

  /// Pairs the inputs; returns the cases, prediction files with no reference, and whether this is
  /// folder mode.
  static func matchCases(_ request: EvaluationRequest) throws(EvaluationError) -> ([CaseFiles], [String], Bool) {
    guard let refIsDir = isDirectory(request.reference) else {
      throw EvaluationError(.missingInput, "the reference does not exist", context: request.reference.path)
    }
    guard let predIsDir = isDirectory(request.prediction) else {
      throw EvaluationError(.missingInput, "the prediction does not exist", context: request.prediction.path)
    }
    var compareIsDir: Bool? = nil
    if let compare = request.compare {
      guard let d = isDirectory(compare) else { throw EvaluationError(.missingInput, "the --compare input does not exist", context: compare.path) }
      compareIsDir = d
    }
    guard predIsDir == refIsDir, compareIsDir == nil || compareIsDir == refIsDir else {
      throw EvaluationError(.missingInput, "--pred, --ref and --compare must all be files or all be folders", context: request.reference.path)
    }
    if !refIsDir {
      return ([CaseFiles(name: caseName(request.reference.lastPathComponent), reference: request.reference,
        prediction: request.prediction, compare: request.compare)], [], false)
    }
    func list(_ url: URL) throws(EvaluationError) -> [String] {
      do {
        return try FileManager.default.contentsOfDirectory(atPath: url.path).filter(isNifti).sorted()
      } catch {
        throw EvaluationError(.missingInput, "cannot list the folder", context: url.path, underlying: error)
      }
    }
    let refs = try list(request.reference)
    guard !refs.isEmpty else { throw EvaluationError(.missingInput, "the reference folder holds no .nii/.nii.gz files", context: request.reference.path) }
    let predictions = Set(try list(request.prediction))
    let cases = refs.map { file in
      CaseFiles(name: caseName(file), reference: request.reference.appendingPathComponent(file),
        prediction: request.prediction.appendingPathComponent(file), compare: request.compare?.appendingPathComponent(file))
    }
    let unmatched = predictions.subtracting(refs).sorted().map { request.prediction.appendingPathComponent($0).path }
    return (cases, unmatched, true)
  }

  static func readLabels(_ url: URL, onto grid: ImageGrid?) throws -> Volume<UInt16> {
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw EvaluationError(.missingInput, "file not found (no file of this name beside the reference's)", context: url.path)
    }
    let image = try NiftiImage(contentsOf: url)
    guard image.volume.channelCount == 1 else {
      throw EvaluationError(.nonIntegerLabels, "has \(image.volume.channelCount) volumes; a label map is 3-D", context: url.path)
    }
    var volume = image.volume
    if let grid, !LabelMap.gridsMatch(grid, volume.grid) {
      // Nearest neighbour keeps label values; voxels mapping outside the prediction are background.
      volume = volume.resampled(onto: grid, order: .nearest, mode: .constant, cval: 0)
    }
    return try LabelMap.labels(from: volume, scaling: image.scaling, source: url.path)
  }

  static func readPrediction(_ url: URL, reference grid: ImageGrid, resample: Bool) throws -> (Volume<UInt16>, Bool) {
    let raw = try readLabels(url, onto: nil)
    if LabelMap.gridsMatch(raw.grid, grid) { return (raw, false) }
    guard resample else {
      throw EvaluationError(.gridMismatch, SegmentationEvaluatorMessages.mismatch(raw.grid, grid), context: url.path)
    }
    return (try readLabels(url, onto: grid), true)
  }
}

/// Error wording shared with `SegmentationEvaluator`.
enum SegmentationEvaluatorMessages {
  static func mismatch(_ p: ImageGrid, _ r: ImageGrid) -> String {
    p.shape != r.shape
      ? "prediction shape \(p.shape) differs from reference shape \(r.shape); pass --resample-pred to resample it onto the reference grid (nearest neighbour)"
      : "prediction and reference have the same shape but different world geometry (affines differ by up to \(p.affine.maxAbsDifference(to: r.affine)) mm); pass --resample-pred to resample it onto the reference grid"
  }
}
