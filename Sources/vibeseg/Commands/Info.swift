import ArgumentParser
import Foundation
import NiftiIO
import VibeSegKit
import VolumeCore
import VolumeTransforms

extension VibeSegCommand {
  struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show a NIfTI file's (or a DICOM series folder's) geometry, datatype, value range and problems.")

    @Argument(help: "A .nii or .nii.gz file, or a folder holding one DICOM series.")
    var file: String

    @Flag(help: "Print JSON (schemaVersion 1) instead of text.")
    var json = false

    @Flag(help: "Accept files with no usable sform/qform, using voxel sizes only (left/right may be wrong).")
    var allowNoOrientation = false

    func run() throws {
      try reportingErrors {
        var options = NiftiReadOptions()
        options.allowMissingOrientation = allowNoOrientation
        options.acceptAnySpatialUnits = true  // shown with a warning; other commands refuse them
        let input = try ImageInput.read(URL(fileURLWithPath: file), options: options)
        var report = ImageReport(path: file, image: input.image)
        if input.format == .dicom {
          report.format = "DICOM series"
          report.affineSource = "DICOM"
          report.warnings = input.warnings + report.warnings
        }
        if json {
          try printJSON(report)
        } else {
          print(report.text)
        }
      }
    }
  }
}

/// What `vibeseg info` reports (also its JSON, schemaVersion 1).
struct ImageReport: Encodable {
  var schemaVersion = 1
  var file: String
  var format: String
  var byteOrder: String
  var datatype: String
  var shape: [Int]
  var channels: Int
  var spacing: [Double]
  var axisCodes: String?
  var affine: [[Double]]
  var affineSource: String
  var sformCode: Int
  var qformCode: Int
  var scaling: [String: Double]?
  var minimum: Double?
  var maximum: Double?
  var nonFiniteVoxels: Int
  var warnings: [String]

  init(path: String, image: NiftiImage) {
    file = path
    format = "NIfTI-\(image.header.version.rawValue)"
    byteOrder = image.header.byteOrder.rawValue
    datatype = image.volume.scalarType.rawValue
    shape = image.grid.shape
    channels = image.volume.channelCount
    spacing = image.grid.spacingMillimeters
    axisCodes = image.grid.orientation?.code
    affine = image.grid.affine.rows
    affineSource = image.affineSource.rawValue
    sformCode = image.header.sformCode
    qformCode = image.header.qformCode
    scaling = image.scaling.map { ["slope": $0.slope, "intercept": $0.intercept] }
    let range = image.volume.valueRange
    if let range, let s = image.scaling {
      let a = range.min * s.slope + s.intercept, b = range.max * s.slope + s.intercept
      minimum = min(a, b)
      maximum = max(a, b)
    } else {
      minimum = range?.min
      maximum = range?.max
    }
    // The range is over finite voxels; a slope can still carry it past Double's range.
    if minimum?.isFinite == false { minimum = nil }
    if maximum?.isFinite == false { maximum = nil }
    nonFiniteVoxels = image.nonFiniteVoxelCount
    var notes = image.warnings.map(\.description)
    if image.grid.affine == .identity { notes.append("affine: identity (orientation probably missing)") }
    let obliquity = image.grid.affine.obliquityRadians * 180 / Double.pi
    if obliquity > 1e-3 { notes.append("affine: oblique by \(String(format: "%.2f", obliquity))°") }
    warnings = notes
  }

  /// JSON: every key always present; `minimum`/`maximum` are `null` when no voxel is finite
  /// (the NaN/Inf count is `nonFiniteVoxels`), so no non-finite number ever reaches the JSON.
  enum CodingKeys: String, CodingKey {
    case schemaVersion, file, format, byteOrder, datatype, shape, channels, spacing, axisCodes, affine,
      affineSource, sformCode, qformCode, scaling, minimum, maximum, nonFiniteVoxels, warnings
  }

  func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(schemaVersion, forKey: .schemaVersion)
    try c.encode(file, forKey: .file)
    try c.encode(format, forKey: .format)
    try c.encode(byteOrder, forKey: .byteOrder)
    try c.encode(datatype, forKey: .datatype)
    try c.encode(shape, forKey: .shape)
    try c.encode(channels, forKey: .channels)
    try c.encode(spacing, forKey: .spacing)
    try c.encode(axisCodes, forKey: .axisCodes)
    try c.encode(affine, forKey: .affine)
    try c.encode(affineSource, forKey: .affineSource)
    try c.encode(sformCode, forKey: .sformCode)
    try c.encode(qformCode, forKey: .qformCode)
    try c.encode(scaling, forKey: .scaling)
    try c.encode(minimum, forKey: .minimum)
    try c.encode(maximum, forKey: .maximum)
    try c.encode(nonFiniteVoxels, forKey: .nonFiniteVoxels)
    try c.encode(warnings, forKey: .warnings)
  }

  var text: String {
    func fmt(_ v: Double) -> String { String(format: "%g", v) }
    var lines = [
      "file:        \(file)",
      "format:      \(format), \(byteOrder)-endian, \(datatype)",
      "shape:       \(shape.map(String.init).joined(separator: " x "))\(channels > 1 ? " x \(channels) volumes" : "")",
      "spacing:     \(spacing.map(fmt).joined(separator: " x ")) mm",
      "axis codes:  \(axisCodes ?? "undetermined")",
      "affine:      (\(affineSource); sform_code \(sformCode), qform_code \(qformCode))",
    ]
    lines += affine.map { "             [" + $0.map { String(format: "%10.4f", $0) }.joined(separator: " ") + "]" }
    if let scaling { lines.append("scaling:     slope \(fmt(scaling["slope"]!)), intercept \(fmt(scaling["intercept"]!))") }
    lines.append("values:      min \(minimum.map(fmt) ?? "-"), max \(maximum.map(fmt) ?? "-")\(nonFiniteVoxels > 0 ? ", \(nonFiniteVoxels) NaN/Inf" : "")")
    lines += warnings.map { "warning:     \($0)" }
    return lines.joined(separator: "\n")
  }
}
