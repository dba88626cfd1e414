/// A problem the index found: an error rejects the set (exit 65), a warning is reported only.
/// The message names the files or series it is about.
public struct DICOMProblem: Sendable, Equatable, CustomStringConvertible {
  public enum Severity: String, Sendable {
    case error
    case warning
  }

  public enum Kind: String, Sendable, CaseIterable {
    /// A DICOM file that could not be read (truncated, malformed, unsupported syntax).
    case rejectedFile
    /// The same SOPInstanceUID in two files: one is kept (warning).
    case duplicateInstance
    /// Two different instances at one slice position (rule 4).
    case repeatedSlices
    /// Slice gaps differ by more than 1 % of their median: a missing slice, or two stations in
    /// one series (rule 4).
    case nonUniformSpacing
    /// Slice positions do not lie on one line along the slice normal.
    case slicesNotStacked
    /// The InstanceNumber range does not match the slice count (warning, rule 4).
    case instanceNumberGap
    /// Files of one group disagree on SeriesDescription (warning).
    case inconsistentDescription
    /// Two sources of contrast evidence disagree (rule 2).
    case contrastConflict
    /// Two series of one contrast cover the same z-range (rule 3); refused.
    case repeatedStation
    /// The contrasts do not share their stations (count, matrix, spacing, orientation, positions).
    case stationMismatch
    /// A station count other than the cohort's usual one (warning).
    case stationCount
  }

  public var severity: Severity
  public var kind: Kind
  public var message: String
  /// SeriesInstanceUIDs the problem is about.
  public var series: [String]
  /// Files the problem is about.
  public var paths: [String]

  public init(_ severity: Severity, _ kind: Kind, _ message: String, series: [String] = [], paths: [String] = []) {
    self.severity = severity
    self.kind = kind
    self.message = message
    self.series = series
    self.paths = paths
  }

  public var description: String { "\(severity.rawValue): \(message)" }
}
