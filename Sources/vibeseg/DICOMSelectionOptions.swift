import ArgumentParser
import DICOMCore
import DICOMInput
import Foundation
import VibeSegKit

/// `--contrast`, `--series`, `--duplicate-station` (`segment`, `spine`, `batch`): which series of a
/// DICOM input to read (`DICOMSelection`). Only with DICOM input: a NIfTI file has nothing to choose from (64).
struct DICOMSelectionOptions: ParsableArguments {
  @Option(help: "DICOM input: the contrast to read (water, fat, in, opp).")
  var contrast: String?

  @Option(help: "DICOM input: the series to read (SeriesNumber or SeriesInstanceUID).")
  var series: String?

  @Option(help: "DICOM input: a station acquired twice is refused (refuse, default) or the latest acquisition kept (newest).")
  var duplicateStation: String = DuplicateStationRule.refuse.rawValue

  @Option(help: "DICOM input: override contrasts, SERIES=CONTRAST,... (SeriesNumber or UID; water, fat, in, opp, other).")
  var contrastMap: String?

  func validate() throws {
    if let contrast, DICOMContrast(rawValue: contrast) == nil || contrast == DICOMContrast.other.rawValue {
      throw ValidationError("--contrast must be one of \(DICOMContrast.dixon.map(\.rawValue).joined(separator: ", "))")
    }
    if let contrastMap {
      do { _ = try ContrastRule.parseMap(contrastMap) } catch let error as DICOMError { throw ValidationError(error.message) }
    }
    guard DuplicateStationRule(rawValue: duplicateStation) != nil else {
      throw ValidationError("--duplicate-station must be refuse or newest")
    }
  }

  var selection: DICOMSelection {
    DICOMSelection(
      contrast: contrast.flatMap(DICOMContrast.init), series: series,
      duplicateStation: DuplicateStationRule(rawValue: duplicateStation) ?? .refuse,
      contrastMap: contrastMap.flatMap { try? ContrastRule.parseMap($0) } ?? [:])
  }

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
