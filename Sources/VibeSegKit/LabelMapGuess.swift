import NiftiIO
import VolumeCore

/// Whether an image looks like a label map, so that `convert --spacing` resamples it with
/// nearest neighbour unless told otherwise (cubic interpolation of labels invents label values
/// that were never there).
public enum LabelMapGuess {
  /// The number of distinct non-zero values when `image` looks like a label map: an integer
  /// datatype without scaling, every value in 0...`maxLabel`, at most `maxLabels` distinct
  /// non-zero values; nil otherwise. One pass that stops at the first value outside the range.
  public static func labelCount(_ image: NiftiImage, maxLabel: Int = 1000, maxLabels: Int = 256) -> Int? {
    guard image.scaling == nil, image.volume.scalarType.integerRange != nil else { return nil }
    func count<V: VoxelScalar & FixedWidthInteger>(_ v: Volume<V>) -> Int? {
      var seen = [Bool](repeating: false, count: maxLabel + 1)
      var distinct = 0
      for x in v.voxels {
        guard x >= 0, x <= V(clamping: maxLabel) else { return nil }
        let i = Int(x)
        if i != 0 && !seen[i] {
          seen[i] = true
          distinct += 1
          if distinct > maxLabels { return nil }
        }
      }
      return distinct
    }
    switch image.volume {
    case .uint8(let v): return count(v)
    case .int8(let v): return count(v)
    case .int16(let v): return count(v)
    case .uint16(let v): return count(v)
    case .int32(let v): return count(v)
    case .uint32(let v): return count(v)
    case .int64(let v): return count(v)
    case .uint64(let v): return count(v)
    case .float32, .float64: return nil
    }
  }
}
