import Morphology
import VolumeCore

/// Voxel counts and bounding boxes of one label in a prediction and a reference.
public struct LabelOverlap: Sendable, Equatable {
  public var label: Int
  public var predictionVoxels = 0
  public var referenceVoxels = 0
  /// Voxels labelled `label` in both.
  public var intersectionVoxels = 0
  public var predictionBox: VoxelBox?
  public var referenceBox: VoxelBox?

  public init(label: Int) { self.label = label }

  /// The box holding the label in either map (nil when it is in neither).
  public var unionBox: VoxelBox? {
    switch (predictionBox, referenceBox) {
    case let (p?, r?): p.union(r)
    case let (p?, nil): p
    case let (nil, r?): r
    case (nil, nil): nil
    }
  }

  /// `2|P∩R| / (|P| + |R|)`; nil when both are empty (see `LabelMetrics` for the policy).
  public var dice: Double? {
    let total = predictionVoxels + referenceVoxels
    return total == 0 ? nil : 2 * Double(intersectionVoxels) / Double(total)
  }

  /// `|P∩R| / |P∪R|`; nil when both are empty.
  public var intersectionOverUnion: Double? {
    let union = predictionVoxels + referenceVoxels - intersectionVoxels
    return union == 0 ? nil : Double(intersectionVoxels) / Double(union)
  }

  /// Counts and boxes of every label in one pass over both maps: O(voxels) time, O(max label)
  /// memory. Index `l` of the result describes label `l` (index 0, the background, is not counted).
  ///
  /// - Precondition: both volumes have the same shape.
  public static func countAll(prediction: Volume<UInt16>, reference: Volume<UInt16>) -> [LabelOverlap] {
    precondition(prediction.shape == reference.shape, "LabelOverlap: shapes differ")
    let maxLabel = Int(max(prediction.valueRange?.max ?? 0, reference.valueRange?.max ?? 0))
    var p = BoxAccumulator(labels: maxLabel + 1), r = BoxAccumulator(labels: maxLabel + 1)
    var intersection = [Int](repeating: 0, count: maxLabel + 1)
    let ni = prediction.shape[0], nj = prediction.shape[1], nk = prediction.shape[2]
    prediction.voxels.withUnsafeBufferPointer { pv in
      reference.voxels.withUnsafeBufferPointer { rv in
        intersection.withUnsafeMutableBufferPointer { inter in
          var index = 0
          for k in 0..<nk {
            for j in 0..<nj {
              for i in 0..<ni {
                let a = Int(pv[index]), b = Int(rv[index])
                if a != 0 { p.add(a, i, j, k) }
                if b != 0 {
                  r.add(b, i, j, k)
                  if a == b { inter[a] += 1 }
                }
                index += 1
              }
            }
          }
        }
      }
    }
    return (0...maxLabel).map { l in
      var o = LabelOverlap(label: l)
      o.predictionVoxels = p.count[l]
      o.referenceVoxels = r.count[l]
      o.intersectionVoxels = intersection[l]
      o.predictionBox = p.box(l)
      o.referenceBox = r.box(l)
      return o
    }
  }
}

/// Per-label voxel counts and index bounds, accumulated voxel by voxel.
package struct BoxAccumulator {
  package var count: [Int]
  var lower: [Int]  // 3 per label
  var upper: [Int]

  package init(labels: Int) {
    count = [Int](repeating: 0, count: labels)
    lower = [Int](repeating: .max, count: 3 * labels)
    upper = [Int](repeating: .min, count: 3 * labels)
  }

  @inline(__always) package mutating func add(_ label: Int, _ i: Int, _ j: Int, _ k: Int) {
    count[label] += 1
    let b = 3 * label
    if i < lower[b] { lower[b] = i }
    if i > upper[b] { upper[b] = i }
    if j < lower[b + 1] { lower[b + 1] = j }
    if j > upper[b + 1] { upper[b + 1] = j }
    if k < lower[b + 2] { lower[b + 2] = k }
    if k > upper[b + 2] { upper[b + 2] = k }
  }

  package func box(_ label: Int) -> VoxelBox? {
    guard count[label] > 0 else { return nil }
    let b = 3 * label
    return VoxelBox(lower: Array(lower[b..<(b + 3)]), upper: Array(upper[b..<(b + 3)]))
  }
}
