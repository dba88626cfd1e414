import Morphology
import VolumeCore

/// Body masks and their overlap, for `resample-to`'s alignment QC (training.md §2.2): the voxels
/// above Otsu's threshold, their largest 26-connected component, holes filled (6-connected
/// background, scipy `binary_fill_holes`).
public enum BodyMask {
  /// skimage 0.26 `threshold_otsu(image, nbins=256)` of float values: `np.histogram` with 256
  /// equal bins over [min, max] (edges `min + i (max - min) / 256`, the last edge inclusive),
  /// bin centres, cumulative weights w1, w2 and means m1, m2 from both ends, and the first bin
  /// centre maximising w1[i] w2[i+1] (m1[i] - m2[i+1])^2. nil for no value; the value itself
  /// when all are equal.
  public static func otsuThreshold(_ values: [Double]) -> Double? {
    guard let low = values.min(), let high = values.max() else { return nil }
    if low == high { return low }
    let bins = 256
    let step = (high - low) / Double(bins)
    var edges = (0...bins).map { low + Double($0) * step }
    edges[bins] = high
    let norm = Double(bins) / (high - low)
    var counts = [Double](repeating: 0, count: bins)
    for x in values {
      // np.histogram's uniform-bin index, then its correction against the edges.
      var i = min(Int((x - low) * norm), bins - 1)
      if x < edges[i] { i -= 1 } else if i != bins - 1 && x >= edges[i + 1] { i += 1 }
      counts[i] += 1
    }
    let centres = (0..<bins).map { (edges[$0] + edges[$0 + 1]) / 2 }
    var w1 = [Double](repeating: 0, count: bins), s1 = w1
    var w2 = w1, s2 = w1
    var (cw, cs) = (0.0, 0.0)
    for i in 0..<bins {
      cw += counts[i]
      cs += counts[i] * centres[i]
      (w1[i], s1[i]) = (cw, cs)
    }
    (cw, cs) = (0, 0)
    for i in stride(from: bins - 1, through: 0, by: -1) {
      cw += counts[i]
      cs += counts[i] * centres[i]
      (w2[i], s2[i]) = (cw, cs)
    }
    var best = -Double.infinity, index = 0
    for i in 0..<(bins - 1) {
      let m1 = s1[i] / w1[i], m2 = s2[i + 1] / w2[i + 1]
      let v = w1[i] * w2[i + 1] * (m1 - m2) * (m1 - m2)
      // NaN (an empty side: 0/0) never wins, as in np.argmax only when other values exist.
      if v > best {
        best = v
        index = i
      }
    }
    return centres[index]
  }

  /// The body mask of `volume` (1 inside) and the threshold used; nil for an empty volume.
  public static func mask(_ volume: Volume<Double>) -> (mask: [UInt8], threshold: Double)? {
    guard let threshold = otsuThreshold(volume.voxels) else { return nil }
    let above = volume.voxels.map { $0 > threshold ? UInt8(1) : 0 }
    let components = ConnectedComponents(mask: above, shape: volume.shape, connectivity: .twentySix)
    guard let largest = components.largest(1).first else {
      return ([UInt8](repeating: 0, count: above.count), threshold)
    }
    let kept = components.componentIndex.map { $0 == Int32(largest) ? UInt8(1) : 0 }
    return (HoleFilling.filled(kept, shape: volume.shape, connectivity: .six), threshold)
  }

  /// 2|A ∩ B| / (|A| + |B|) over the voxels where `inside` is true (all when nil); nil when both
  /// are empty there.
  public static func dice(_ a: [UInt8], _ b: [UInt8], inside: [Bool]? = nil) -> Double? {
    var na = 0, nb = 0, both = 0
    for i in a.indices where inside?[i] ?? true {
      let x = a[i] != 0, y = b[i] != 0
      if x { na += 1 }
      if y { nb += 1 }
      if x && y { both += 1 }
    }
    return na + nb == 0 ? nil : 2 * Double(both) / Double(na + nb)
  }
}
