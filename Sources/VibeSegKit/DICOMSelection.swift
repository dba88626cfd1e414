import DICOMCore
import DICOMInput
import Foundation

/// Which series of a DICOM input (a folder, a zip, a visit) a command reads: a contrast
/// (`--contrast water`; `combine` chooses each contrast itself), a series (`--series 7` by
/// SeriesNumber, or by SeriesInstanceUID), or both. With neither, the input must hold exactly one
/// series group.
///
/// The choice travels with the input's URL as its fragment (`#contrast=water&series=7`, built by
/// `applied(to:)`, read by `init(of:)`), so that every job that takes an input URL (segment,
/// spine, combine, batch) carries it without a parameter of its own; `url.path` is unchanged.
/// Sidecars record it (`Provenance.File.selection`).
public struct DICOMSelection: Sendable, Equatable {
  public var contrast: DICOMContrast?
  /// A SeriesNumber ("7") or a SeriesInstanceUID.
  public var series: String?
  /// What the index does with a station acquired twice (`--duplicate-station`).
  public var duplicateStation: DuplicateStationRule = .refuse
  /// `--contrast-map`: SeriesNumber or UID -> contrast, overriding the index's rules.
  public var contrastMap: [String: DICOMContrast] = [:]

  public init(
    contrast: DICOMContrast? = nil, series: String? = nil, duplicateStation: DuplicateStationRule = .refuse,
    contrastMap: [String: DICOMContrast] = [:]
  ) {
    self.contrast = contrast
    self.series = series
    self.duplicateStation = duplicateStation
    self.contrastMap = contrastMap
  }

  public var isEmpty: Bool { contrast == nil && series == nil && duplicateStation == .refuse && contrastMap.isEmpty }

  /// This selection's index rules (duplicate stations, contrast map) with another contrast and
  /// series.
  public func choosing(contrast: DICOMContrast?, series: String? = nil) -> DICOMSelection {
    DICOMSelection(contrast: contrast, series: series, duplicateStation: duplicateStation, contrastMap: contrastMap)
  }

  /// The index of `url` under this selection's rules (the URL's fragment is not part of the path).
  public func index(_ url: URL) throws -> DICOMIndex {
    try DICOMIndex(scanning: URL(fileURLWithPath: url.path), duplicateStation: duplicateStation, contrastMap: contrastMap)
  }

  /// The selection `url` carries (none for a plain file URL).
  public init(of url: URL) {
    self.init()
    for item in URLComponents(url: url, resolvingAgainstBaseURL: false)?.fragment?.split(separator: "&") ?? [] {
      let pair = item.split(separator: "=", maxSplits: 1).map(String.init)
      guard pair.count == 2 else { continue }
      switch pair[0] {
      case "contrast": contrast = DICOMContrast(rawValue: pair[1])
      case "series": series = pair[1].removingPercentEncoding ?? pair[1]
      case "duplicate": duplicateStation = DuplicateStationRule(rawValue: pair[1]) ?? .refuse
      case "map":
        let text = (pair[1].removingPercentEncoding ?? pair[1]).replacingOccurrences(of: ";", with: ",").replacingOccurrences(of: ":", with: "=")
        contrastMap = (try? ContrastRule.parseMap(text)) ?? [:]
      default: break
      }
    }
  }

  /// The fragment text (`contrast=water&series=7`), nil when empty.
  public var fragment: String? {
    let parts = [
      contrast.map { "contrast=\($0.rawValue)" }, series.map { "series=\($0)" },
      duplicateStation == .refuse ? nil : "duplicate=\(duplicateStation.rawValue)",
      contrastMap.isEmpty
        ? nil
        : "map=" + contrastMap.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value.rawValue)" }.joined(separator: ";")
          .addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: ".:;-")))!,
    ].compactMap { $0 }
    return parts.isEmpty ? nil : parts.joined(separator: "&")
  }

  /// `url` carrying this selection (`url` itself when empty).
  public func applied(to url: URL) -> URL {
    guard let fragment, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return url }
    components.fragment = fragment
    return components.url ?? url
  }

  /// The groups of `index` this selection names, superior station first. With no selection: every
  /// group. A multi-station choice is one contrast with one group per station.
  ///
  /// - Throws: `VibeSegKitError.invalidInput` (65) when nothing matches or the choice is ambiguous,
  ///   listing the groups and how to choose.
  public func groups(of index: DICOMIndex, source: String) throws -> [SeriesGroup] {
    var chosen = index.groups
    if let series {
      chosen = chosen.filter { $0.seriesNumber.map(String.init) == series || $0.key.seriesInstanceUID == series }
    }
    if let contrast {
      chosen = chosen.filter { $0.contrast.contrast == contrast }
    }
    if chosen.isEmpty {
      throw VibeSegKitError(
        .invalidInput, "no series group matches \(describe) (the input holds: \(Self.list(index.groups, index)))", path: source)
    }
    if chosen.count == 1 { return chosen }
    let contrasts = Set(chosen.map(\.contrast.contrast))
    let stations = chosen.compactMap(\.station)
    if contrasts.count == 1, contrasts.first != .other, stations.count == chosen.count, Set(stations).count == stations.count {
      return chosen.sorted { $0.station! < $1.station! }
    }
    let how = Set(index.groups.map(\.contrast.contrast)).count > 1
      ? "choose one with --contrast \(DICOMContrast.dixon.map(\.rawValue).joined(separator: "|")) or --series NUMBER"
      : "choose one with --series NUMBER"
    throw VibeSegKitError(
      .invalidInput, "\(chosen.count) series groups\(isEmpty ? "" : " match \(describe)") (\(Self.list(chosen, index))); \(how)",
      path: source)
  }

  /// The water, in-phase and opposed-phase series a DICOM visit holds (`combine --dicom`,
  /// `batch --task combine` on a zip or study folder), each as `url` carrying its contrast; the
  /// fat series is not used (upstream combines water, in and opp).
  ///
  /// - Throws: `VibeSegKitError.invalidInput` when none of the three is there, `DICOMError` from
  ///   indexing.
  public static func dixonInputs(of url: URL) throws -> [DICOMContrast: URL] {
    let rules = DICOMSelection(of: url)
    let index = try rules.index(url)
    let present = Set(index.groups.map(\.contrast.contrast))
    var inputs = [DICOMContrast: URL]()
    for contrast in [DICOMContrast.water, .inPhase, .opposedPhase] where present.contains(contrast) {
      inputs[contrast] = rules.choosing(contrast: contrast).applied(to: url)
    }
    guard !inputs.isEmpty else {
      throw VibeSegKitError(
        .invalidInput, "no water, in-phase or opposed-phase series found (vibeseg dicom index shows what the input holds)", path: url.path)
    }
    return inputs
  }

  /// `dixonInputs(of:)` by the roles of `combine`.
  public static func combineInputs(of url: URL) throws -> [ContrastCombination.Contrast: URL] {
    Dictionary(uniqueKeysWithValues: try dixonInputs(of: url).map { (role($0.key)!, $0.value) })
  }

  /// `combine`'s role of a Dixon contrast (fat has none).
  public static func role(_ contrast: DICOMContrast) -> ContrastCombination.Contrast? {
    switch contrast {
    case .water: .water
    case .inPhase: .inPhase
    case .opposedPhase: .opposedPhase
    case .fat, .other: nil
    }
  }

  /// Whether `url` is a DICOM input holding more than one contrast (then `--water DICOM` reads
  /// its water series).
  public static func holdsSeveralContrasts(_ url: URL) throws -> Bool {
    guard ImageInput.format(of: url) == .dicom else { return false }
    return Set(try DICOMSelection(of: url).index(url).groups.map(\.contrast.contrast)).count > 1
  }

  var describe: String {
    [contrast.map { "contrast \($0.rawValue)" }, series.map { "series \($0)" }].compactMap { $0 }.joined(separator: " and ")
  }

  static func list(_ groups: [SeriesGroup], _ index: DICOMIndex) -> String {
    groups.map { group in
      let name = (group.seriesNumber.map { "series \($0)" } ?? group.key.seriesInstanceUID)
        + (group.seriesDescription.map { " '\(DICOMText.printable($0))'" } ?? "")
      return "\(name): \(group.contrast.contrast.rawValue)\(group.station.map { ", station \($0)" } ?? ""), \(group.files.count) slice(s)"
    }.joined(separator: "; ")
  }
}
