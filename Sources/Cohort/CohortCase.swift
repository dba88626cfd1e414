import Foundation
import VibeSegKit

/// One case (subject, scan) of a cohort run: an id and its input files in channel order.
public struct CohortCase: Sendable, Equatable, Hashable {
  /// Unique within the run; names the outputs in the plain layout (`<id>.nii.gz`). Only
  /// `A-Z a-z 0-9 . _ -`, not starting with a dot.
  public var id: String
  /// Input files, channel 0 first.
  public var inputs: [URL]
  /// CSV lists only: the column each input came from, lowercased (`channel_0`, `channel_2`,
  /// `water`, ...), so that a task can tell which channel an input is when cells are left empty
  /// (`--task combine` maps columns to contrasts). nil for folder and BIDS cases: input i is
  /// channel i.
  public var channels: [String]?
  /// BIDS layout only: the input's folder relative to the input root (`sub-01/ses-1/anat`) and
  /// its key-value entities in file order (`[("sub", "01"), ("ses", "1"), ("acq", "ax")]`).
  public var bidsFolder: String?
  public var bidsEntities: [BIDSEntity]?

  public init(
    id: String, inputs: [URL], channels: [String]? = nil, bidsFolder: String? = nil, bidsEntities: [BIDSEntity]? = nil
  ) {
    self.id = id
    self.inputs = inputs
    self.channels = channels
    self.bidsFolder = bidsFolder
    self.bidsEntities = bidsEntities
  }
}

/// One `key-value` part of a BIDS file name.
public struct BIDSEntity: Sendable, Equatable, Hashable {
  public var key: String
  public var value: String
  public init(_ key: String, _ value: String) {
    self.key = key
    self.value = value
  }
}

/// Where the cases of a run come from.
public enum CaseSource: Sendable, Equatable {
  /// Files directly in a folder whose names match a shell glob (`fnmatch`, default `*.nii.gz` and
  /// `*.nii`). The id is the name without `.nii(.gz)`. When every matched name ends in nnU-Net's
  /// channel suffix `_XXXX` (four digits), files are grouped into multi-channel cases by the part
  /// before it, channels ordered by the suffix (`case_0000`, `case_0001` → case `case`).
  case folder(URL, pattern: String?)
  /// A CSV list (RFC 4180, UTF-8, header row required). Columns: `id` (optional; default: the
  /// first input's name without `.nii(.gz)`) and either `channel_0`, `channel_1`, ... (at least
  /// `channel_0`) or the Dixon contrast columns `water`, `in_phase`, `opposed_phase` (named after
  /// `vibeseg combine`'s `--water`, `--in-phase`, `--opposed-phase`; at least one; mixing them
  /// with `channel_N` columns is refused). A case's inputs are its non-empty cells, in channel
  /// order, contrast columns in the order water, in_phase, opposed_phase whatever their column
  /// order; `CohortCase.channels` keeps each input's column name. Relative paths are taken
  /// relative to the CSV file's folder. Other columns are ignored.
  ///
  /// `--task combine` maps `water` / `channel_0` to the water image, `in_phase` / `channel_1` to
  /// in-phase and `opposed_phase` / `channel_2` to opposed-phase, so a row may leave any contrast
  /// empty; the same positions hold for a folder's nnU-Net names (`_0000` water, `_0001`
  /// in-phase, `_0002` opposed-phase).
  case list(URL)
  /// A BIDS tree: every `sub-*` file below the folder (recursively, `derivatives/` skipped) whose
  /// name matches the glob. The id is the file name without `.nii(.gz)`; outputs follow upstream
  /// TotalVibeSegmentator's derivatives naming (`OutputLayout`).
  case bids(URL, pattern: String?)
}

/// Finding the cases of a run, and choosing a shard of them.
public enum CaseDiscovery {
  /// The cases of `source`, sorted by id (byte order of the UTF-8 id).
  ///
  /// - Parameter segmentations: BIDS only: true keeps the label maps (`*_msk.*`, `*_seg-*`) and
  ///   nothing else (tasks that read segmentations, e.g. `stats`); false (default) skips them,
  ///   as upstream's `parallel_bids.py` does.
  /// - Throws: `BatchError` `.missingInput` (no such folder or list, a listed file missing),
  ///   `.invalidArgument` (malformed CSV, duplicate or unsafe ids, no case found).
  /// - Parameter dicom: the series each DICOM case reads (`batch --contrast/--series`), carried
  ///   by its input URL.
  public static func cases(from source: CaseSource, segmentations: Bool = false, dicom: DICOMSelection = DICOMSelection()) throws -> [CohortCase] {
    let found: [CohortCase]
    switch source {
    case .folder(let url, let pattern):
      found = try folderCases(url, pattern: pattern).map { item in
        guard !dicom.isEmpty, item.inputs.count == 1, isDICOMCase(item.inputs[0]) else { return item }
        var chosen = item
        chosen.inputs = [dicom.applied(to: item.inputs[0])]
        return chosen
      }
    case .list(let url): found = try listCases(url)
    case .bids(let url, let pattern): found = try bidsCases(url, pattern: pattern, segmentations: segmentations)
    }
    var seen = [String: CohortCase]()
    for item in found {
      guard isSafeID(item.id) else {
        throw BatchError(
          .invalidArgument,
          "case id '\(item.id)' may only contain letters, digits, '.', '_' and '-' (and must not start with '.'), since it names output files",
          path: item.inputs.first?.path)
      }
      if let other = seen[item.id] {
        throw BatchError(
          .invalidArgument,
          "two cases have the id '\(item.id)' (\(other.inputs.first?.path ?? "?") and \(item.inputs.first?.path ?? "?")); ids must be unique",
          path: item.inputs.first?.path)
      }
      seen[item.id] = item
    }
    guard !found.isEmpty else {
      throw BatchError(
        .invalidArgument, "no case found (check the folder, --pattern or --bids)", path: sourcePath(source))
    }
    return found.sorted { Array($0.id.utf8).lexicographicallyPrecedes(Array($1.id.utf8)) }
  }

  /// The cases of shard `index` of `count` (0-based): those whose id's 64-bit FNV-1a hash (over
  /// the UTF-8 bytes, offset basis 0xcbf29ce484222325, prime 0x100000001b3) modulo `count` equals
  /// `index`, in the input order. The assignment depends on the id alone, never on which other
  /// cases exist, so shards of `sbatch --array=0-(N-1)` need no coordination, adding a case moves
  /// no other case to another shard, and the same case always lands in the same shard file.
  public static func shard(_ cases: [CohortCase], index: Int, count: Int) -> [CohortCase] {
    precondition(count >= 1 && (0..<count).contains(index), "shard \(index)/\(count)")
    return cases.filter { Int(fnv1a64($0.id) % UInt64(count)) == index }
  }

  /// 64-bit FNV-1a of the UTF-8 bytes of `text`.
  public static func fnv1a64(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01b3
    }
    return hash
  }

  static func isSafeID(_ id: String) -> Bool {
    !id.isEmpty && !id.hasPrefix(".")
      && id.unicodeScalars.allSatisfy {
        $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0))
      }
  }

  static func sourcePath(_ source: CaseSource) -> String {
    switch source {
    case .folder(let url, _), .list(let url), .bids(let url, _): url.path
    }
  }

  /// The file name without `.nii.gz` / `.nii` (or without its last extension otherwise).
  static func stem(_ name: String) -> String {
    ImageInput.stem(name) ?? (name as NSString).deletingPathExtension
  }

  static func matches(_ name: String, pattern: String?) -> Bool {
    if let pattern { return fnmatch(pattern, name, 0) == 0 }
    return ImageInput.isImage(name)
  }

  static func requireFolder(_ url: URL) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw BatchError(.missingInput, "input folder not found", path: url.path)
    }
  }

  static func folderCases(_ folder: URL, pattern: String?) throws -> [CohortCase] {
    try requireFolder(folder)
    let entries = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }.sorted()
    let names = entries.filter { matches($0, pattern: pattern) && !isDICOMCase(folder.appendingPathComponent($0)) }
    // DICOM visits: each zip, and each subfolder holding DICOM, is one case (id: the name without
    // `.zip`); --pattern selects among them by name as among files.
    let visits = entries.filter { (pattern == nil || matches($0, pattern: pattern)) && isDICOMCase(folder.appendingPathComponent($0)) }
      .map { CohortCase(id: dicomCaseID($0), inputs: [folder.appendingPathComponent($0)]) }
    return visits + (try imageCases(folder, names: names))
  }

  /// A zip, or a folder in which `ImageInput` finds DICOM: one DICOM case of a folder run.
  static func isDICOMCase(_ url: URL) -> Bool {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else { return false }
    if !isFolder.boolValue && !url.lastPathComponent.lowercased().hasSuffix(".zip") { return false }
    return ImageInput.format(of: url) == .dicom
  }

  static func dicomCaseID(_ name: String) -> String {
    name.lowercased().hasSuffix(".zip") ? String(name.dropLast(4)) : name
  }

  /// NIfTI files of a folder run, grouped into channels by nnU-Net's `_XXXX` suffix when every
  /// name has one.
  static func imageCases(_ folder: URL, names: [String]) throws -> [CohortCase] {
    let stems = names.map(stem)
    let channelled =
      !stems.isEmpty
      && stems.allSatisfy { s in
        let parts = s.split(separator: "_", omittingEmptySubsequences: false)
        return parts.count >= 2 && parts.last!.count == 4 && parts.last!.allSatisfy(\.isNumber)
      }
    guard channelled else {
      return zip(names, stems).map { CohortCase(id: $1, inputs: [folder.appendingPathComponent($0)]) }
    }
    var groups = [String: [(Int, URL)]]()
    for (name, s) in zip(names, stems) {
      let id = String(s.dropLast(5))
      groups[id, default: []].append((Int(s.suffix(4))!, folder.appendingPathComponent(name)))
    }
    return try groups.map { id, channels in
      let sorted = channels.sorted { $0.0 < $1.0 }
      guard sorted.map(\.0) == Array(0..<sorted.count) else {
        throw BatchError(
          .invalidArgument,
          "case '\(id)' has channels \(sorted.map(\.0)); nnU-Net naming needs _0000, _0001, ... without gaps",
          path: sorted[0].1.path)
      }
      return CohortCase(id: id, inputs: sorted.map(\.1))
    }
  }

  /// The contrast columns of a CSV list, in channel order (`CaseSource.list`).
  public static let contrastColumns = ["water", "in_phase", "opposed_phase"]
  /// Sort keys of contrast columns: after any `channel_N` (mixing both is refused).
  static let contrastBase = Int.max - 8

  static func listCases(_ list: URL) throws -> [CohortCase] {
    guard let data = FileManager.default.contents(atPath: list.path) else {
      throw BatchError(.missingInput, "case list not found or unreadable", path: list.path)
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw BatchError(.invalidArgument, "the case list is not UTF-8 text", path: list.path)
    }
    guard let parsed = CSVParser.rows(text) else {
      throw BatchError(.invalidArgument, "unterminated quoted field", path: list.path)
    }
    let rows = parsed.filter { !($0.count == 1 && $0[0].isEmpty) }
    guard let header = rows.first else { throw BatchError(.invalidArgument, "the case list is empty", path: list.path) }
    let names = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    let idColumn = names.firstIndex(of: "id")
    var channelColumns = [(Int, Int)]()
    for (column, name) in names.enumerated() {
      if name.hasPrefix("channel_") {
        guard let n = Int(name.dropFirst(8)), n >= 0 else {
          throw BatchError(
            .invalidArgument, "column '\(header[column])': expected channel_0, channel_1, ...", path: list.path)
        }
        channelColumns.append((n, column))
      } else if let n = contrastColumns.firstIndex(of: name) {
        channelColumns.append((contrastBase + n, column))
      }
    }
    channelColumns.sort { $0.0 < $1.0 }
    let contrastNamed = channelColumns.contains { $0.0 >= contrastBase }
    if let duplicate = zip(channelColumns, channelColumns.dropFirst()).first(where: { $0.0.0 == $0.1.0 }) {
      throw BatchError(
        .invalidArgument, "the header has the column '\(header[duplicate.1.1])' twice", path: list.path)
    }
    if contrastNamed && channelColumns.contains(where: { $0.0 < contrastBase }) {
      throw BatchError(
        .invalidArgument,
        "the header mixes channel_N columns with contrast columns (\(contrastColumns.joined(separator: ", "))); use one kind",
        path: list.path)
    }
    guard channelColumns.first?.0 == 0 || contrastNamed else {
      throw BatchError(
        .invalidArgument,
        "the header needs a channel_0 column (and optionally id, channel_1, ...) or contrast columns (\(contrastColumns.joined(separator: ", ")))",
        path: list.path)
    }
    let base = list.deletingLastPathComponent()
    return try rows.dropFirst().enumerated().map { offset, row in
      let line = offset + 2
      func cell(_ column: Int) -> String {
        column < row.count ? row[column].trimmingCharacters(in: .whitespaces) : ""
      }
      let given = channelColumns.filter { !cell($0.1).isEmpty }
      let inputs = given.map { cell($0.1) }.map { path -> URL in
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
      }
      guard !inputs.isEmpty else {
        let kind = contrastNamed ? "contrast" : "channel"
        throw BatchError(
          .invalidArgument, "line \(line): no input file (every \(kind) column is empty)", path: list.path)
      }
      let id = idColumn.map(cell).flatMap { $0.isEmpty ? nil : $0 } ?? stem(inputs[0].lastPathComponent)
      return CohortCase(id: id, inputs: inputs, channels: given.map { names[$0.1] })
    }
  }

  static func bidsCases(_ root: URL, pattern: String?, segmentations: Bool) throws -> [CohortCase] {
    try requireFolder(root)
    let fm = FileManager.default
    guard
      let walker = fm.enumerator(at: root, includingPropertiesForKeys: [.isDirectoryKey], options: [.skipsHiddenFiles])
    else {
      throw BatchError(.missingInput, "cannot list the BIDS folder", path: root.path)
    }
    let rootPath = root.standardizedFileURL.path
    var result = [CohortCase]()
    for case let url as URL in walker {
      let name = url.lastPathComponent
      if (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true {
        if name == "derivatives" || name == ".vibeseg" { walker.skipDescendants() }
        continue
      }
      guard name.hasPrefix("sub-"), matches(name, pattern: pattern) else { continue }
      let s = stem(name)
      let isSegmentation = s.hasSuffix("_msk") || s.contains("_seg-") || name.contains("_msk.")
      guard isSegmentation == segmentations else { continue }
      let parts = s.split(separator: "_").map(String.init)
      let entities = parts.compactMap { part -> BIDSEntity? in
        guard let dash = part.firstIndex(of: "-") else { return nil }
        return BIDSEntity(String(part[..<dash]), String(part[part.index(after: dash)...]))
      }
      let folderPath = url.deletingLastPathComponent().standardizedFileURL.path
      var relative = folderPath.hasPrefix(rootPath) ? String(folderPath.dropFirst(rootPath.count)) : ""
      while relative.hasPrefix("/") { relative.removeFirst() }
      result.append(CohortCase(id: s, inputs: [url], bidsFolder: relative, bidsEntities: entities))
    }
    return result
  }
}
