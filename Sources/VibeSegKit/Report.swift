import Foundation

/// One case (subject, scan) of a cohort report.
public struct CohortReportCase: Sendable, Equatable {
  /// Shown in the first column; any text (escaped in the page).
  public var caseID: String
  /// The preview picture as a URL reference from the HTML file, normally a path relative to the
  /// page's folder (`previews/sub-01.png`); nil when the case has none.
  public var thumbnail: String?
  /// Key volumes in millilitres, by structure name; a structure without a value is left blank.
  public var volumesMilliliters: [String: Double]
  /// Structures the validator reports missing, and those it reports fragmented (more connected
  /// components than expected), by name. Each is a flag.
  public var missingStructures: [String]
  public var fragmentedStructures: [String]
  /// A case that is not done (`failed`, `quarantined`, `pending`), with the error it raised: shown
  /// in the page, counted apart in its summary, never a source of z-scores. nil: done.
  public var status: String?
  public var error: String?

  public init(
    caseID: String, thumbnail: String? = nil, volumesMilliliters: [String: Double] = [:],
    missingStructures: [String] = [], fragmentedStructures: [String] = [], status: String? = nil, error: String? = nil
  ) {
    self.caseID = caseID
    self.thumbnail = thumbnail
    self.volumesMilliliters = volumesMilliliters
    self.status = status
    self.error = error
    self.missingStructures = missingStructures
    self.fragmentedStructures = fragmentedStructures
  }
}

/// How volume z-scores are computed within each volume column.
public enum CohortZScore: String, Sendable, CaseIterable {
  /// `(x − mean) / sd`, sample standard deviation (n − 1). With n cases no |z| can exceed
  /// `(n − 1)/√n` (2.85 for n = 10), and one outlier inflates the sd: weak for small cohorts.
  case standard
  /// Iglewicz and Hoaglin's modified z-score `0.6745 · (x − median) / MAD`, MAD = median absolute
  /// deviation; when MAD is 0, `(x − median) / (1.253314 · mean absolute deviation)`. Outliers do
  /// not mask themselves; the usual threshold is 3.5.
  case robust
}

/// How the report is titled and what it flags.
public struct CohortReportOptions: Sendable {
  public var title = "VibeSeg cohort report"
  /// Volume columns, in order; nil (default) = every structure name found in any case, sorted.
  public var volumeColumns: [String]? = nil
  /// Which z-score (default `.robust`) and the |z| above which a volume is flagged (default 3.5).
  public var zScore = CohortZScore.robust
  public var zScoreThreshold = 3.5
  /// Columns need at least this many values (default 3) for z-scores; fewer gives no volume flags.
  public var minimumCasesForZScores = 3
  /// Width in CSS pixels of the thumbnails (the picture links to the full-size file).
  public var thumbnailWidth = 240

  public init() {}
}

/// A static, offline HTML page for a cohort: one row per case with its preview thumbnail, key
/// volumes and flags (volume z-score outliers, missing and fragmented structures), sortable by any
/// column through a few lines of inline JavaScript. No external scripts, styles, fonts or requests:
/// the only references are the thumbnails the caller names.
///
/// ```swift
/// try CohortReport.write(cases, to: outputFolder.appendingPathComponent("report.html"))
/// ```
public enum CohortReport {
  /// One case's flags in the order shown: volume outliers (column order), missing, fragmented.
  public struct Flag: Sendable, Equatable {
    public enum Kind: String, Sendable { case volumeOutlier, missing, fragmented }
    public var kind: Kind
    public var structure: String
    /// The z-score for `.volumeOutlier`.
    public var zScore: Double?
    public var text: String {
      switch kind {
      case .volumeOutlier: "\(structure) volume z=\(CohortReport.format(zScore ?? 0, decimals: 1))"
      case .missing: "missing: \(structure)"
      case .fragmented: "fragmented: \(structure)"
      }
    }
  }

  /// The volume columns `options` selects for `cases`.
  /// `options.volumeColumns`, else every structure with a volume in the order of the label ids
  /// (TotalVibeSegmentator's registry: spleen, kidneys, ... as `vibeseg labels` lists them), names
  /// the registry does not know after them in name order.
  public static func volumeColumns(_ cases: [CohortReportCase], options: CohortReportOptions) -> [String] {
    if let columns = options.volumeColumns { return columns }
    let order = Dictionary(TotalVibeLabel.all.map { ($0.name, Int($0.id)) }, uniquingKeysWith: min)
    return Array(Set(cases.flatMap { $0.volumesMilliliters.keys })).sorted {
      let a = order[$0] ?? Int.max, b = order[$1] ?? Int.max
      return a != b ? a < b : $0 < $1
    }
  }

  /// Writes `html(cases:options:)` to `url` atomically (temporary file, then rename).
  ///
  /// - Throws: `VibeSegKitError` `.cannotCreateOutput` or `.ioFailure`.
  public static func write(
    _ cases: [CohortReportCase], to url: URL, options: CohortReportOptions = CohortReportOptions()
  )
    throws(VibeSegKitError)
  {
    try ReportFile.write(Array(html(cases, options: options).utf8), to: url)
  }

  /// `value` with a fixed number of decimals (`%.*f`, POSIX locale).
  static func format(_ value: Double, decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
  }
}
