import Foundation
import NiftiIO
import VolumeCore
import VolumeStitching

/// `vibeseg stitch`: reads the stations through `ImageInput`, stitches them
/// (`VolumeStitching.Stitching`, TPTBox 1.1.0 `stitching()` without N4 / histogram matching), and
/// publishes the stitched image and the optional JSON report together (`OutputTransaction`:
/// both or neither).
///
/// ```swift
/// let report = try StitchJob(stations: urls, output: out, options: StitchOptions()).run()
/// ```
public struct StitchJob: Sendable {
  public var stations: [URL]
  public var output: URL
  public var reportURL: URL?
  public var options: StitchOptions
  public var overwrite: Bool
  public var compressionLevel: Int

  public init(
    stations: [URL], output: URL, reportURL: URL? = nil, options: StitchOptions, overwrite: Bool = false,
    compressionLevel: Int = 4
  ) {
    self.stations = stations
    self.output = output
    self.reportURL = reportURL
    self.options = options
    self.overwrite = overwrite
    self.compressionLevel = compressionLevel
  }

  /// The report and the reader's warnings (each naming its file).
  public struct Outcome: Sendable {
    public var report: StitchReport
    public var readerWarnings: [String]
  }

  /// - Throws: `NiftiError` (a station missing or unreadable, names the file; output exists
  ///   without `overwrite` or cannot be created), `VibeSegKitError.invalidInput` (a station that
  ///   is not one 3-D volume or has a singular affine, fewer than 2 stations left after
  ///   kick-out, an impossible grid), `.invalidOption` (fewer than 2 stations given, an option
  ///   out of range).
  public func run() throws -> Outcome {
    let outputs = try OutputTransaction(
      outputs: [output] + (reportURL.map { [$0] } ?? []), inputs: stations, overwrite: overwrite)
    var inputs = [StitchStation]()
    var warnings = [String]()
    for url in stations {
      let read = try ImageInput.read(url)
      warnings += read.warnings
      inputs.append(StitchStation(volume: read.values, hasScaling: read.image.scaling != nil, name: url.path))
    }
    let result: Stitching.Result
    do {
      result = try Stitching(options: options).stitch(inputs)
    } catch {
      let code: VibeSegKitError.Code =
        (error.code == .invalidOption || (error.code == .tooFewStations && stations.count < 2))
        ? .invalidOption : .invalidInput
      throw VibeSegKitError(code, error.message, path: error.station)
    }
    var writeOptions = NiftiWriteOptions()
    writeOptions.compressionLevel = compressionLevel
    try NiftiImage(volume: result.volume).write(to: output, options: writeOptions, in: outputs)
    if let reportURL {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      encoder.nonConformingFloatEncodingStrategy = .convertToString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
      try outputs.write(Array(try encoder.encode(result.report)) + [0x0A], to: reportURL)
    }
    try outputs.commit()
    return Outcome(report: result.report, readerWarnings: warnings)
  }
}
