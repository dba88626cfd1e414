import ArgumentParser
import DICOMCore
import DICOMInput
import Foundation
import VibeSegKit

/// `--duplicate-station` and `--contrast-map` (`dicom index`, `dicom convert`, `combine`, and with
/// `DICOMSelectionOptions` `segment`, `spine`, `batch`): the index's user overrides, parsed and
/// checked once (a malformed map is a usage error, 64).
struct DICOMRuleOptions: ParsableArguments {
  @Option(help: "DICOM input: a station acquired twice is refused (refuse, default, 65) or the latest acquisition kept (newest, with a warning).")
  var duplicateStation: DuplicateStationRule = .refuse

  @Option(help: "DICOM input: override contrasts, SERIES=CONTRAST,... (SeriesNumber or UID; water, fat, in, opp, other).")
  var contrastMap: String?

  func validate() throws {
    do { _ = try ContrastRule.parseMap(contrastMap ?? "") } catch let error as DICOMError { throw ValidationError(error.message) }
  }

  /// The parsed map (validated in `validate()`).
  var map: [String: DICOMContrast] { (try? ContrastRule.parseMap(contrastMap ?? "")) ?? [:] }

  /// These rules with a contrast and series chosen.
  func selection(contrast: DICOMContrast? = nil, series: String? = nil) -> DICOMSelection {
    DICOMSelection(contrast: contrast, series: series, duplicateStation: duplicateStation, contrastMap: map)
  }
}

/// `--contrast`, `--series` and the index rules (`segment`, `spine`, `batch`): which series of a
/// DICOM input to read (`DICOMSelection`). Only with DICOM input: a NIfTI file has nothing to choose from (64).
struct DICOMSelectionOptions: ParsableArguments {
  @Option(help: "DICOM input: the contrast to read (water, fat, in, opp).")
  var contrast: String?

  @Option(help: "DICOM input: the series to read (SeriesNumber or SeriesInstanceUID).")
  var series: String?

  @OptionGroup var rules: DICOMRuleOptions

  func validate() throws {
    if let contrast, DICOMContrast(rawValue: contrast) == nil || contrast == DICOMContrast.other.rawValue {
      throw ValidationError("--contrast must be one of \(DICOMContrast.dixon.map(\.rawValue).joined(separator: ", "))")
    }
  }

  var selection: DICOMSelection { rules.selection(contrast: contrast.flatMap(DICOMContrast.init), series: series) }

  /// A selection on a non-DICOM input is a usage error (call from `validate()`).
  func check(_ path: String) throws {
    guard !selection.isEmpty, ImageInput.format(of: URL(fileURLWithPath: path)) != .dicom else { return }
    throw ValidationError("--contrast, --series, --duplicate-station and --contrast-map choose among the series of a DICOM input; \(path) is not DICOM")
  }

  /// `path` as an input URL carrying the selection.
  func input(_ path: String) -> URL {
    selection.applied(to: URL(fileURLWithPath: path))
  }
}

extension DuplicateStationRule: ExpressibleByArgument {}
