import Evaluation
import Foundation
import NiftiIO
import VolumeCore

/// `vibeseg prepare-initial-masks manipulate`: reads the water and in-phase images (and the
/// body-composition map), checks that they share one grid, runs `WaterManipulation`, and writes
/// W'' as float32 (header units and form codes of the water image), optionally the background
/// and lung masks (uint8) and a JSON report (schemaVersion 1), all together or none
/// (`OutputTransaction`).
public struct WaterManipulationJob: Sendable {
  public var water: URL
  public var inPhase: URL
  public var bodyComposition: URL?
  public var output: URL
  public var backgroundMask: URL?
  public var lungMask: URL?
  public var reportURL: URL?
  public var options = WaterManipulation.Options()
  public var overwrite = false

  public init(water: URL, inPhase: URL, output: URL) {
    self.water = water
    self.inPhase = inPhase
    self.output = output
  }

  public struct Report: Sendable, Codable {
    public var schemaVersion = 1
    public var water: String
    public var inPhase: String
    public var bodyComposition: String?
    public var muscleFactor: Double
    public var airOffset: Double
    public var muscleLabel: Int
    public var lungCount: Int
    public var lungMinimumMilliliters: Double
    public var result: WaterManipulation.Report
    public var version = VibeSegVersion.string
  }

  public struct Outcome: Sendable {
    public var report: Report
    public var warnings: [String]
  }

  /// - Throws: `VibeSegKitError` `.missingInput`, `.invalidInput` (4-D, non-finite, no axis
  ///   codes), `.notALabelMap` (body composition), `.gridMismatch` (inputs on different grids:
  ///   resample them first), `.cannotCreateOutput`; `NiftiError`.
  public func run() throws -> Outcome {
    let outputs = try OutputTransaction(
      outputs: [output] + [backgroundMask, lungMask, reportURL].compactMap { $0 },
      inputs: [water, inPhase] + [bodyComposition].compactMap { $0 }, overwrite: overwrite)
    let w = try ImageInput.readVolume(water, warnIdentityAffine: false)
    let i = try ImageInput.readVolume(inPhase, warnIdentityAffine: false)
    var warnings = w.warnings + i.warnings
    try Self.requireGrid(i.grid, like: w.grid, inPhase, option: "--in-phase")
    var labels: Volume<UInt16>?
    if let bodyComposition {
      guard FileManager.default.fileExists(atPath: bodyComposition.path) else {
        throw VibeSegKitError(.missingInput, "no such file", path: bodyComposition.path, option: "--bodycomp")
      }
      let b = try ImageInput.read(bodyComposition)
      warnings += b.warnings
      try Self.requireGrid(b.grid, like: w.grid, bodyComposition, option: "--bodycomp")
      labels = try SegmentationStatistics.labelMap(b.image, path: bodyComposition.path)
    }
    let result = try WaterManipulation(options).run(
      water: w.values.converted(to: Float.self), inPhase: i.values.converted(to: Float.self), bodyComposition: labels)
    if let bodyComposition, result.report.muscleVoxels == 0 {
      warnings.append("\(bodyComposition.path): no voxel holds the muscle label \(options.muscleLabel); the water image was not scaled anywhere")
    }
    if result.report.lungComponentMilliliters.count < options.lungCount {
      warnings.append(
        "found \(result.report.lungComponentMilliliters.count) interior air component(s) of at least \(options.lungMinimumMilliliters) mL, expected \(options.lungCount) lungs; check the lung mask (threshold \(result.report.threshold))")
    }
    func image<V: VoxelScalar>(_ volume: Volume<V>) -> NiftiImage {
      var out = NiftiImage(volume)
      out.header.xyztUnits = w.image.header.xyztUnits
      out.header.sformCode = w.image.header.sformCode
      out.header.qformCode = w.image.header.qformCode
      return out
    }
    try image(result.water).write(to: output, in: outputs)
    if let backgroundMask { try image(result.background).write(to: backgroundMask, in: outputs) }
    if let lungMask { try image(result.lung).write(to: lungMask, in: outputs) }
    let report = Report(
      water: water.path, inPhase: inPhase.path, bodyComposition: bodyComposition?.path, muscleFactor: options.muscleFactor,
      airOffset: options.airOffset, muscleLabel: Int(options.muscleLabel), lungCount: options.lungCount,
      lungMinimumMilliliters: options.lungMinimumMilliliters, result: result.report)
    if let reportURL { try outputs.write(try SidecarJSON.encode(report, numericObjects: []), to: reportURL) }
    try outputs.commit()
    return Outcome(report: report, warnings: warnings)
  }

  static func requireGrid(_ grid: ImageGrid, like water: ImageGrid, _ url: URL, option: String) throws {
    guard LabelMap.gridsMatch(grid, water) else {
      throw VibeSegKitError(.gridMismatch,
        "not on the water image's grid (shape \(grid.shape) vs \(water.shape), affines differ by up to \(grid.affine.maxAbsDifference(to: water.affine)) mm); resample it first (`vibeseg resample-to --reference WATER`)",
        path: url.path, option: option)
    }
  }
}
