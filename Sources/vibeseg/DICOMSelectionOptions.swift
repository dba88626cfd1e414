import ArgumentParser
import DICOMInput
import Foundation
import VibeSegKit

/// `--contrast` and `--series` (`segment`, `spine`): which series of a DICOM input to read
/// (`DICOMSelection`). Only with DICOM input: a NIfTI file has nothing to choose from (64).
struct DICOMSelectionOptions: ParsableArguments {
  @Option(help: "DICOM input: the contrast to read (water, fat, in, opp).")
  var contrast: String?

  @Option(help: "DICOM input: the series to read (SeriesNumber or SeriesInstanceUID).")
  var series: String?

  func validate() throws {
    if let contrast, DICOMContrast(rawValue: contrast) == nil || contrast == DICOMContrast.other.rawValue {
      throw ValidationError("--contrast must be one of \(DICOMContrast.dixon.map(\.rawValue).joined(separator: ", "))")
    }
  }

  var selection: DICOMSelection {
    DICOMSelection(contrast: contrast.flatMap(DICOMContrast.init), series: series)
  }

  /// A selection on a non-DICOM input is a usage error (call from `validate()`).
  func check(_ path: String) throws {
    guard !selection.isEmpty, ImageInput.format(of: URL(fileURLWithPath: path)) != .dicom else { return }
    throw ValidationError("--contrast and --series choose among the series of a DICOM input; \(path) is not DICOM")
  }

  /// `path` as an input URL carrying the selection.
  func input(_ path: String) -> URL {
    selection.applied(to: URL(fileURLWithPath: path))
  }
}
