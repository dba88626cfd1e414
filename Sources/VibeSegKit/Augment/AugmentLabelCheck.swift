import VolumeCore

/// The label safety checks of training.md §4.4 for one deformed copy: nearest-neighbour sampling
/// can only repeat source values, so any new value is the cval 0 (the copy sampled outside the
/// padded input where the source has no 0); vanished values and per-value volume ratios show
/// how much a structure was squeezed out or grown.
enum AugmentLabelCheck {
  /// Voxel count per value (as Double; label maps hold integers, which are exact up to 2^53).
  static func counts(_ volume: AnyVolume) -> [Double: Int] {
    switch volume {
    case .uint8(let v): counts(v.voxels)
    case .int8(let v): counts(v.voxels)
    case .int16(let v): counts(v.voxels)
    case .uint16(let v): counts(v.voxels)
    case .int32(let v): counts(v.voxels)
    case .uint32(let v): counts(v.voxels)
    case .int64(let v): counts(v.voxels)
    case .uint64(let v): counts(v.voxels)
    case .float32(let v): counts(v.voxels)
    case .float64(let v): counts(v.voxels)
    }
  }

  /// Counts with a dense table for values 0 … 65535 and a dictionary for the rest.
  static func counts<V: VoxelScalar>(_ voxels: [V]) -> [Double: Int] {
    var dense = [Int](repeating: 0, count: 65536)
    var sparse = [Double: Int]()
    for voxel in voxels {
      let value = voxel.doubleValue
      if value >= 0 && value < 65536, value == value.rounded(.down) {
        dense[Int(value)] += 1
      } else {
        sparse[value, default: 0] += 1
      }
    }
    for (value, count) in dense.enumerated() where count > 0 { sparse[Double(value), default: 0] += count }
    return sparse
  }

  static func check(source: [Double: Int], copy: [Double: Int]) -> AugmentSidecar.LabelCheck {
    let sourceValues = source.keys.sorted()
    let copyValues = copy.keys.sorted()
    var ratio = [String: Double]()
    for value in sourceValues { ratio[text(value)] = Double(copy[value] ?? 0) / Double(source[value]!) }
    return AugmentSidecar.LabelCheck(
      sourceValues: sourceValues, copyValues: copyValues, newValues: copyValues.filter { source[$0] == nil },
      vanishedValues: sourceValues.filter { copy[$0] == nil }, volumeRatio: ratio)
  }

  /// `5` for 5.0, `2.5` otherwise.
  static func text(_ value: Double) -> String {
    value == value.rounded(.down) && abs(value) < 1e15 ? String(Int64(value)) : String(value)
  }
}
