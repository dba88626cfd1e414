import DICOMCore
import Foundation
import TorchCheckpoint

/// The DICOM images under a path (a file or a folder tree), grouped into series, classified by
/// contrast and assembled into stations, with every problem found (dicom.md 2.4).
///
/// ```swift
/// let index = try DICOMIndex(scanning: url)
/// for group in index.groups { print(group.contrast.contrast, group.station ?? 0, group.files.count) }
/// if index.verdict == .rejected { ... }   // index.problems says why, each naming files or series
/// ```
///
/// Building the index reads only bounded header prefixes; no pixels are read.
public struct DICOMIndex: Sendable {
  /// The path as given.
  public var root: String
  /// One record per DICOM image file, in path order.
  public var files: [DICOMFileRecord]
  /// Files that are not images this index reads, with the reason (not DICOM, symbolic links,
  /// DICOM without pixel data ...). Not errors.
  public var skipped: [SkippedFile]
  /// DICOM files refused as broken or unsupported (truncated, bad lengths, big endian ...).
  public var rejected: [DICOMError]
  /// Series groups (rule 1), ordered by study, series number, series UID.
  public var groups: [SeriesGroup]
  /// Stations (rule 3), superior first; empty when no group has a Dixon contrast.
  public var stations: [DICOMStation]
  /// Every problem found, errors and warnings.
  public var problems: [DICOMProblem]
  /// The unpacked zip when the input was one (its files live in a scratch folder as long as the
  /// index, or a copy of it, lives); nil for files and folders.
  public var archive: DICOMArchive?

  /// A file's path as the user knows it (`ARCHIVE.zip:entry` for a zip's files).
  public func displayPath(_ path: String) -> String { archive?.displayPath(path) ?? path }

  /// A message with scratch paths shown as `displayPath` shows it.
  public func displayText(_ text: String) -> String { archive?.displayText(text) ?? text }

  public struct SkippedFile: Sendable, Equatable {
    public var path: String
    public var reason: String
  }

  public enum Verdict: String, Sendable {
    /// Images found and no error.
    case accepted
    /// At least one error problem (a rejected file included): dicom.md 6.4 exit 65.
    case rejected
    /// No DICOM image at all and nothing rejected: exit 66.
    case noImages
  }

  public var verdict: Verdict {
    if problems.contains(where: { $0.severity == .error }) { return .rejected }
    return files.isEmpty ? .noImages : .accepted
  }

  /// Indexes the file or folder tree at `url` (symbolic links inside it are listed as skipped,
  /// not followed).
  ///
  /// A zip (recognised by its signature) is unpacked first (`DICOMArchive`); its files are indexed
  /// where they were unpacked and shown as `ARCHIVE.zip:entry` (`displayPath`).
  ///
  /// - Throws: `DICOMError.fileNotFound` (no such path), `.unsupportedInput` (a damaged or unsafe
  ///   zip), `.tooLarge` (more files than `limits.maxFiles`), `.ioFailure`
  ///   (a folder that cannot be listed). Problems with the images are not thrown: they are in
  ///   `problems` and `verdict`.
  public init(
    scanning url: URL, limits: DICOMIndexLimits = DICOMIndexLimits(), duplicateStation: DuplicateStationRule = .refuse,
    contrastMap: [String: DICOMContrast] = [:]
  ) throws {
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue, DICOMArchive.isZip(url) {
      let archive = try DICOMArchive(unpacking: url, limits: limits)
      try self.init(scanning: archive.folder, limits: limits, duplicateStation: duplicateStation, contrastMap: contrastMap)
      self.root = url.path
      self.archive = archive
      return
    }
    let (outcomes, skipped) = try Self.scan(url, limits: limits)
    var files: [DICOMFileRecord] = []
    var rejected: [DICOMError] = []
    var skippedFiles = skipped
    for (path, outcome) in outcomes {
      switch outcome {
      case .image(let record): files.append(record)
      case .frames(let records): files += records
      case .skipped(let reason): skippedFiles.append(SkippedFile(path: path, reason: reason))
      case .rejected(let error): rejected.append(error)
      }
    }
    self.init(
      root: url.path, files: files, skipped: skippedFiles.sorted { $0.path < $1.path }, rejected: rejected, duplicateStation: duplicateStation,
      contrastMap: contrastMap)
  }

  /// The analysis of already-read records: grouping, within-group checks, contrast, stations.
  public init(
    root: String, files: [DICOMFileRecord], skipped: [SkippedFile] = [], rejected: [DICOMError] = [],
    duplicateStation: DuplicateStationRule = .refuse, contrastMap: [String: DICOMContrast] = [:]
  ) {
    self.root = root
    self.files = files
    self.skipped = skipped
    self.rejected = rejected
    var problems = rejected.map { DICOMProblem(.error, .rejectedFile, $0.description, paths: [$0.path]) }
    var groups = SeriesGroup.grouping(files, problems: &problems)
    ContrastRule.classify(&groups, problems: &problems, map: contrastMap)
    if duplicateStation == .newest { StationAssembly.keepNewest(&groups, problems: &problems) }
    let stations = StationAssembly.assemble(&groups, problems: &problems)
    self.groups = groups
    self.stations = stations
    self.problems = problems
  }
}

/// Caps of the folder walk.
public struct DICOMIndexLimits: Sendable {
  /// The most files (of any kind) in one tree: a UK Biobank visit has about 2,000 DICOM files,
  /// a NAKO subject a few thousand.
  public var maxFiles = 200_000
  /// The deepest folder nesting walked.
  public var maxDepth = 32
  public var header = DICOMReadLimits()
  /// Limits on a zip input (`DICOMArchive`): entries, 2 GiB per entry, 64 GiB in all, a declared
  /// compression ratio of at most 200 (zip bombs).
  public var zip: CheckpointLimits = {
    var limits = CheckpointLimits()
    limits.maxEntries = 200_000
    limits.maxEntryBytes = 1 << 31
    limits.maxTotalBytes = 1 << 36
    return limits
  }()

  public init() {}
}
