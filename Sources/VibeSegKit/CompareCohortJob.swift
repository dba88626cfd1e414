import Evaluation
import Foundation
import NiftiIO
import VolumeCore

/// `vibeseg compare-cohort A/ B/` (training.md §6.2): the label maps of two runs over one cohort,
/// paired by file name, compared per structure (Dice, volumes in mL, relative volume difference,
/// missing/extra fractions), with the 2-SD outliers of `CohortComparison` as a review queue.
///
/// - Pairing: every `.nii`/`.nii.gz` of A (sorted) with the file of the same name in B, as
///   `vibeseg evaluate` pairs prediction and reference (`EvaluationRun.matchCases`); B files
///   without an A file are listed as unmatched. A case whose B file is missing or unreadable, or
///   on another grid without `resampleB` (nearest neighbour onto A's grid, outside = background),
///   is recorded as failed and the others go on.
/// - Labels: with `map`, a JSON object `{"liver": {"a": 5, "b": 1}, ...}` (names are the report's;
///   B's ids are renamed to A's before counting, other ids ignored); without it, the same ids in
///   both maps: `labels` (ids, ranges or names) or every label present in any map of the cohort.
///   Names from `labelNames`, else the sidecar beside A's first map, else TotalVibeSegmentator's.
/// - Volumes: voxels x |det(A's affine)| / 1000 (mL).
///
/// Outputs in `output` (created if absent), published together by one `OutputTransaction`:
/// `compare.json` (everything), `cases.csv` (case x label), `labels.csv` (per-label spread and
/// thresholds), `review_queue.csv` (flagged cases, most extreme first) and `report.html`.
public struct CompareCohortJob: Sendable {
  public var a: URL
  public var b: URL
  public var output: URL
  public var map: URL?
  public var labels: [String] = []
  public var labelNames: URL?
  public var k = 2.0
  public var robust = false
  public var criterion = CohortComparison.Criterion.dice
  public var resampleB = false
  public var overwrite = false

  public init(a: URL, b: URL, output: URL) {
    self.a = a
    self.b = b
    self.output = output
  }

  /// The files `run` writes.
  public var outputs: [URL] {
    ["compare.json", "cases.csv", "labels.csv", "review_queue.csv", "report.html"].map { output.appendingPathComponent($0) }
  }

  /// One label of the comparison: its id in A (the report's id), in B, and its name.
  public struct LabelPair: Sendable, Equatable, Codable {
    public var id: Int
    public var bId: Int
    public var name: String
  }

  /// - Throws: `VibeSegKitError` — `.missingInput` (66: A or B absent, A holds no maps),
  ///   `.invalidOption` (64: A and B not both folders, a bad `--map` or `--labels`, k not
  ///   positive), `.invalidLabelFile`, `.cannotCreateOutput`; `EvaluationError`/`NiftiError`
  ///   for an unreadable file of A.
  public func run(progress: ((Int, Int) -> Void)? = nil) throws -> CompareCohortReport {
    guard k > 0, k.isFinite else { throw VibeSegKitError(.invalidOption, "--k must be a positive number, got \(k)", option: "--k") }
    for (url, name) in [(a, "A"), (b, "B")] {
      guard let isDirectory = EvaluationRun.isDirectory(url) else {
        throw VibeSegKitError(.missingInput, "\(name) does not exist", path: url.path)
      }
      guard isDirectory else {
        throw VibeSegKitError(.invalidOption, "\(name) must be a folder of label maps (one per case, same names in A and B)", path: url.path)
      }
    }
    let request = EvaluationRequest(prediction: b, reference: a)
    let (pairs, unmatched, _): ([EvaluationRun.CaseFiles], [String], Bool)
    do {
      (pairs, unmatched, _) = try EvaluationRun.matchCases(request)
    } catch {
      throw VibeSegKitError(.missingInput, error.message, path: error.context)
    }
    let (registry, _) = try StatisticsLabelRegistry.forLabelMap(pairs[0].reference, labelNames: labelNames)
    var pairsOfLabels: [LabelPair]? = try map.map { try Self.readMap($0) }
    if pairsOfLabels == nil, !labels.isEmpty {
      pairsOfLabels = try registry.resolve(labels).map { LabelPair(id: $0, bId: $0, name: registry.name(of: $0)) }
    }
    // Preflight before the long part: the output folder and the files in it.
    do {
      try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
    } catch {
      throw VibeSegKitError(.cannotCreateOutput, "cannot create the output folder: \(error.localizedDescription)", path: output.path)
    }
    let transaction: OutputTransaction
    do {
      transaction = try OutputTransaction(outputs: outputs, inputs: [], overwrite: overwrite)
    } catch {
      throw VibeSegKitError(.cannotCreateOutput, error.message, path: error.path, underlying: error)
    }

    let renaming = pairsOfLabels.map(Renaming.init)
    var cases: [CompareCohortReport.Case] = []
    var counts: [[Int: CohortComparison.Counts]] = []
    for (n, pair) in pairs.enumerated() {
      progress?(n, pairs.count)
      var item = CompareCohortReport.Case(name: pair.name, a: pair.reference.path, b: pair.prediction.path)
      do {
        let mapA = try EvaluationRun.readLabels(pair.reference, onto: nil)
        let (mapB, resampled) = try EvaluationRun.readPrediction(pair.prediction, reference: mapA.grid, resample: resampleB)
        item.resampled = resampled
        item.voxelMillilitres = mapA.grid.voxelVolumeCubicMillimeters / 1000
        counts.append(Self.count(a: mapA, b: mapB, labels: pairsOfLabels, renaming: renaming))
      } catch {
        item.error = "\(error)"
        counts.append([:])
      }
      cases.append(item)
    }
    progress?(pairs.count, pairs.count)
    let labelPairs =
      pairsOfLabels
      ?? Set(counts.flatMap(\.keys)).sorted().map { LabelPair(id: $0, bId: $0, name: registry.name(of: $0)) }
    let result = CohortComparison.analyse(
      counts, labels: labelPairs.map(\.id), k: k, robust: robust, criterion: criterion)
    let report = CompareCohortReport(
      job: self, labels: labelPairs, cases: cases, counts: counts, result: result, unmatchedB: unmatched)
    try ReportFile.write(try report.json(), to: outputs[0], in: transaction)
    try ReportFile.write(report.casesCSV(), to: outputs[1], in: transaction)
    try ReportFile.write(report.labelsCSV(), to: outputs[2], in: transaction)
    try ReportFile.write(report.reviewQueueCSV(), to: outputs[3], in: transaction)
    try ReportFile.write(report.html(), to: outputs[4], in: transaction)
    do {
      try transaction.commit()
    } catch {
      throw VibeSegKitError(.cannotCreateOutput, error.message, path: error.path, underlying: error)
    }
    return report
  }

  /// Counts per label of A's ids: with `labels`, B's ids renamed to A's and the rest ignored;
  /// without, every label present in either map.
  static func count(a: Volume<UInt16>, b: Volume<UInt16>, labels: [LabelPair]?, renaming: Renaming?)
    -> [Int: CohortComparison.Counts]
  {
    var b = b
    var a = a
    if let renaming {
      b.voxels = b.voxels.map { renaming.bToA[Int($0)] }
      a.voxels = a.voxels.map { renaming.keepA[Int($0)] ? $0 : 0 }
    }
    var out: [Int: CohortComparison.Counts] = [:]
    for overlap in LabelOverlap.countAll(prediction: a, reference: b).dropFirst()
    where overlap.predictionVoxels + overlap.referenceVoxels > 0 {
      out[overlap.label] = CohortComparison.Counts(
        a: overlap.predictionVoxels, b: overlap.referenceVoxels, both: overlap.intersectionVoxels)
    }
    if let labels {
      for pair in labels where out[pair.id] == nil { out[pair.id] = CohortComparison.Counts(a: 0, b: 0, both: 0) }
    }
    return out
  }

  /// Lookup tables of a label list, built once per run: B's id -> A's id (0 when unlisted), and
  /// whether A's id is listed.
  struct Renaming {
    var bToA = [UInt16](repeating: 0, count: 65536)
    var keepA = [Bool](repeating: false, count: 65536)

    init(_ labels: [LabelPair]) {
      for pair in labels {
        bToA[pair.bId] = UInt16(pair.id)
        keepA[pair.id] = true
      }
    }
  }

  /// `--map`: `{"name": {"a": id, "b": id}, ...}`, ids 1...65535, each id used once per side.
  static func readMap(_ url: URL) throws -> [LabelPair] {
    let data = try JSONInput.data(url, option: "--map")
    func bad(_ why: String) -> VibeSegKitError {
      VibeSegKitError(.invalidLabelFile, "--map: \(why) (expected {\"liver\": {\"a\": 5, \"b\": 1}, ...})", path: url.path, option: "--map")
    }
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], !object.isEmpty else {
      throw bad("not a non-empty JSON object")
    }
    var pairs: [LabelPair] = []
    for (name, value) in object.sorted(by: { $0.key < $1.key }) {
      guard let entry = value as? [String: Any], let a = entry["a"] as? Int, let b = entry["b"] as? Int,
        (1...65535).contains(a), (1...65535).contains(b)
      else { throw bad("entry '\(name)' needs integer ids \"a\" and \"b\" in 1...65535") }
      pairs.append(LabelPair(id: a, bId: b, name: name))
    }
    for side in [pairs.map(\.id), pairs.map(\.bId)] where Set(side).count != side.count {
      throw bad("an id is mapped twice on one side")
    }
    return pairs.sorted { $0.id < $1.id }
  }
}
