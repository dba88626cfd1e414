import Evaluation
import Foundation
import NiftiIO
import VolumeCore

/// What `vibeseg stats` was asked for: files and options.
public struct StatisticsRequest: Sendable {
  public var segmentation: URL
  /// `--image NAME=PATH`, in order.
  public var images: [(name: String, url: URL)]
  public var water: URL?
  public var fat: URL?
  /// A vertebra instance map (`--spine`) for per-level body composition.
  public var spine: URL?
  /// `--labels`: ids or names; empty = all present.
  public var labels: [String]
  /// `--label-names`: a JSON label file replacing the TotalVibeSegmentator table.
  public var labelNames: URL?
  public var fatFractionMinimumSignal: Double

  public init(segmentation: URL, images: [(name: String, url: URL)] = [], water: URL? = nil, fat: URL? = nil,
    spine: URL? = nil, labels: [String] = [], labelNames: URL? = nil, fatFractionMinimumSignal: Double = 1) {
    self.segmentation = segmentation
    self.images = images
    self.water = water
    self.fat = fat
    self.spine = spine
    self.labels = labels
    self.labelNames = labelNames
    self.fatFractionMinimumSignal = fatFractionMinimumSignal
  }
}

extension SegmentationStatistics {
  /// Reads the files of `request` and computes the report (`compute(...)`). Reader warnings are
  /// carried into `StatisticsReport.warnings`.
  ///
  /// - Throws: `NiftiError` for unreadable files; `VibeSegKitError` for a segmentation that is not
  ///   a label map, images off its grid, unknown labels or a bad label file.
  public static func run(_ request: StatisticsRequest) throws -> StatisticsReport {
    let (registry, _) = try StatisticsLabelRegistry.forLabelMap(request.segmentation, labelNames: request.labelNames)
    let selection = request.labels.isEmpty ? nil : try registry.resolve(request.labels)
    var warnings = [String]()
    let segImage = try NiftiImage(contentsOf: request.segmentation)
    warnings += segImage.warnings.map { "\(request.segmentation.path): \($0)" }
    let labels = try labelMap(segImage, path: request.segmentation.path)
    func values(_ url: URL, _ name: String) throws -> Volume<Double> {
      let image = try NiftiImage(contentsOf: url)
      warnings += image.warnings.map { "\(url.path): \($0)" }
      guard image.volume.channelCount == 1 else {
        throw VibeSegKitError(.invalidOption, "has \(image.volume.channelCount) volumes; give a 3-D image", context: "\(name) \(url.path)")
      }
      return doubleVolume(image)
    }
    let images = try request.images.map { (name: $0.name, values: try values($0.url, $0.name)) }
    let water = try request.water.map { try values($0, "--water") }
    let fat = try request.fat.map { try values($0, "--fat") }
    let spine = try request.spine.map { url in try labelMap(try NiftiImage(contentsOf: url), path: url.path) }
    var report = try compute(labels: labels, images: images, water: water, fat: fat, spine: spine,
      options: StatisticsOptions(labels: selection, registry: registry, fatFractionMinimumSignal: request.fatFractionMinimumSignal),
      source: request.segmentation.path)
    report.warnings = warnings
    return report
  }

  /// `image.scaledVolume(as: Double.self)` with the per-voxel loop specialised for each stored
  /// type (the generic conversion costs ~40 ns per voxel; this ~1 ns).
  static func doubleVolume(_ image: NiftiImage) -> Volume<Double> {
    func convert<V: VoxelScalar>(_ v: Volume<V>) -> Volume<Double> {
      let (slope, intercept) = image.scaling ?? (1, 0)
      let scaled = image.scaling != nil
      var out = [Double](repeating: 0, count: v.voxels.count)
      v.voxels.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
          for x in 0..<src.count {
            let d = src[x].doubleValue
            dst[x] = scaled ? d * slope + intercept : d
          }
        }
      }
      return Volume(grid: v.grid, channelCount: v.channelCount, voxels: out)
    }
    switch image.volume {
    case .uint8(let v): return convert(v)
    case .int8(let v): return convert(v)
    case .int16(let v): return convert(v)
    case .uint16(let v): return convert(v)
    case .int32(let v): return convert(v)
    case .uint32(let v): return convert(v)
    case .int64(let v): return convert(v)
    case .uint64(let v): return convert(v)
    case .float32(let v): return convert(v)
    case .float64(let v): return v.channelCount == 1 && image.scaling == nil ? v : convert(v)
    }
  }

  static func labelMap(_ image: NiftiImage, path: String) throws(VibeSegKitError) -> Volume<UInt16> {
    guard image.volume.channelCount == 1 else {
      throw VibeSegKitError(.notALabelMap, "has \(image.volume.channelCount) volumes; a label map is 3-D", context: path)
    }
    do {
      return try LabelMap.labels(from: image.volume, scaling: image.scaling, source: path)
    } catch {
      throw VibeSegKitError(.notALabelMap, error.message, context: path)
    }
  }
}
