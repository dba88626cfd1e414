import NiftiIO
import VolumeCore

/// The segmentation as 16-bit ids with a census: voxels per id and the bounding box (file axes
/// i, j, k, inclusive) of the ids that are shown.
struct PreviewLabelMap {
  var ids: [UInt16]
  /// `counts[id]` = voxels holding `id`, for every id 0...65535.
  var counts: [Int]
  /// Inclusive bounding box of the shown ids in file voxel indices; nil when none is present.
  var box: (lower: [Int], upper: [Int])?

  /// Checks that `image` is a label map and counts it.
  ///
  /// A label map is 3-D and holds whole numbers 0...65535 after `scl_slope`/`scl_inter`; integer
  /// datatypes are checked by their range, floating-point ones voxel by voxel (some tools store
  /// labels as float32). `shown` is a 65536-entry table: which ids count for the bounding box.
  ///
  /// - Throws: `VibeSegKitError.Code.notALabelMap` naming the first offending value.
  init(_ image: NiftiImage, path: String?, shown: [Bool]) throws(VibeSegKitError) {
    guard image.volume.channelCount == 1 else {
      throw VibeSegKitError(
        .notALabelMap,
        "the segmentation has \(image.volume.channelCount) volumes (4-D); a label map is one 3-D volume", path: path)
    }
    let ids: [UInt16]
    if image.scaling != nil {
      ids = try Self.wholeNumbers(image.scaledVolume(as: Double.self).voxels, path: path)
    } else {
      switch image.volume {
      case .uint8(let v): ids = v.voxels.map { UInt16($0) }
      case .int8(let v): ids = try Self.integers(v, path: path)
      case .int16(let v): ids = try Self.integers(v, path: path)
      case .uint16(let v): ids = v.voxels
      case .int32(let v): ids = try Self.integers(v, path: path)
      case .uint32(let v): ids = try Self.integers(v, path: path)
      case .int64(let v): ids = try Self.integers(v, path: path)
      case .uint64(let v): ids = try Self.integers(v, path: path)
      case .float32(let v): ids = try Self.wholeNumbers(v.voxels, path: path)
      case .float64(let v): ids = try Self.wholeNumbers(v.voxels, path: path)
      }
    }
    self.ids = ids
    var counts = [Int](repeating: 0, count: 65536)
    box = Self.census(ids: ids, shape: image.grid.shape, shown: shown, counts: &counts)
    self.counts = counts
  }

  static func integers<V: VoxelScalar & FixedWidthInteger>(_ volume: Volume<V>, path: String?) throws(VibeSegKitError)
    -> [UInt16]
  {
    if let range = volume.valueRange, range.min < 0 || range.max > 65535 {
      throw VibeSegKitError(
        .notALabelMap,
        "the segmentation holds values \(range.min)...\(range.max); label ids must be 0...65535", path: path)
    }
    return volume.voxels.map { UInt16(truncatingIfNeeded: $0) }
  }

  static func wholeNumbers<V: VoxelScalar & BinaryFloatingPoint>(_ voxels: [V], path: String?) throws(VibeSegKitError)
    -> [UInt16]
  {
    var ids = [UInt16](repeating: 0, count: voxels.count)
    for (index, value) in voxels.enumerated() {
      guard value >= 0, value <= 65535, value == value.rounded(.towardZero) else {
        throw VibeSegKitError(
          .notALabelMap,
          "the segmentation holds \(value) at voxel \(index) (file order); a label map holds whole ids 0...65535 "
            + "(was the image passed as the segmentation?)", path: path)
      }
      ids[index] = UInt16(value)
    }
    return ids
  }
}
