import Morphology
import VolumeCore
import VolumeTransforms

/// The priority merge of several TotalVibe label maps into one (Algorithm C of training.md §3.4):
/// the one implementation behind `vibeseg combine` (the Dixon contrasts, `ContrastCombination`)
/// and `vibeseg prepare-initial-masks merge` (other networks' maps, `InitialMaskMerge`).
///
/// Each source brings a map of TotalVibe ids and a rank per label value: the merged voxel takes
/// the label with the smallest rank among the sources' labels there (255: this source never
/// writes that label); equal ranks go to the earlier source. Because a source holds one label per
/// voxel, this one pass equals upstream's sequential loop "for each (rank) in order:
/// `out[(out == 0) & mask] = id`" (first writer wins) — `ContrastCombinationTests` checks it
/// against that literal loop.
///
/// Before merging, each source is filtered: labels it may not write are set to 0, and labels
/// with `TotalVibeLabel.keepsLargestComponentOnly` (expected max 1 component, group not vessel)
/// keep only their largest 6-connected component in that source (TPTBox
/// `get_largest_k_segmentation_connected_components`, connectivity 1; ties: the component whose
/// first voxel comes first in C order of the (i, j, k) array, `ConnectedComponents.rankedBySize`).
/// A removed component frees its voxels for the later sources.
///
/// Grid: the first source's. A source of another shape is resampled onto it with nearest
/// neighbour, world positions aligned (TPTBox `resample_from_to`, order 0, `mode='constant'`,
/// 0 outside); a source of the same shape but another affine (entries differing by more than
/// `affineToleranceMillimeters`) is refused with `.gridMismatch`, since merging it voxel by
/// voxel would silently misalign it.
///
/// Cost: per source one multi-label 6-connected labelling (only when a largest-component label is
/// present) and one pass; O(N · sources).
public enum LabelMerge {
  /// One input of the merge.
  public struct Source: Sendable {
    /// Names the source in errors ("water", "totalseg").
    public var name: String
    /// The command-line option that gave it (errors' `option`).
    public var option: String?
    /// TotalVibe ids (values that are no TotalVibe label are never written).
    public var labelMap: Volume<UInt8>
    /// `rank[v]`: priority of label value `v` from this source, smaller wins; 255 = never
    /// written. 256 entries.
    public var rank: [UInt8]

    /// - Precondition: `rank.count == 256`.
    public init(name: String, option: String? = nil, labelMap: Volume<UInt8>, rank: [UInt8]) {
      precondition(rank.count == 256, "LabelMerge.Source: rank needs 256 entries")
      self.name = name
      self.option = option
      self.labelMap = labelMap
      self.rank = rank
    }
  }

  /// Affine entries may differ by this much (mm) on grids treated as equal (float32 sform
  /// rounding is far below it, any real misalignment far above).
  public static let affineToleranceMillimeters = 1e-4

  /// The merged map on the first source's grid, and the positions of the sources that were
  /// resampled onto it.
  ///
  /// - Parameter gridAdvice: the end of the `.gridMismatch` message (what the user should do).
  /// - Precondition: `sources` is not empty and every map is 3-D.
  /// - Throws: `VibeSegKitError(.gridMismatch)` naming the source's option (see the type).
  public static func merge(_ sources: [Source], gridAdvice: String) throws(VibeSegKitError) -> (labelMap: Volume<UInt8>, resampled: [Int]) {
    precondition(!sources.isEmpty, "LabelMerge: no sources")
    let grid = sources[0].labelMap.grid
    var aligned = [Volume<UInt8>]()
    var resampled = [Int]()
    for (position, source) in sources.enumerated() {
      let map = source.labelMap
      precondition(map.channelCount == 1, "LabelMerge: \(source.name) is not 3-D")
      if position == 0 || map.grid == grid {
        aligned.append(map)
      } else if map.shape != grid.shape {
        aligned.append(map.resampled(onto: grid, order: .nearest, mode: .constant, cval: 0))
        resampled.append(position)
      } else if map.grid.affine.maxAbsDifference(to: grid.affine) > affineToleranceMillimeters {
        throw VibeSegKitError(.gridMismatch,
          "the \(source.name) label map has the shape of the \(sources[0].name) map, \(grid.shape), "
            + "but another affine (entries differ by up to \(map.grid.affine.maxAbsDifference(to: grid.affine)) mm):\n"
            + "\(map.grid.affine)\nvs\n\(grid.affine)\n\(gridAdvice)",
          option: source.option)
      } else {
        aligned.append(map)
      }
    }
    var output = Volume<UInt8>(grid: grid, repeating: 0)
    var best = [UInt8](repeating: 255, count: grid.voxelCount)  // rank of the label in `output`
    for (position, map) in aligned.enumerated() {
      var rank = sources[position].rank
      rank[0] = 255
      let labels = keepingLargestComponents(map, writable: rank)
      output.voxels.withUnsafeMutableBufferPointer { out in
        best.withUnsafeMutableBufferPointer { bestRank in
          rank.withUnsafeBufferPointer { rank in
            labels.withUnsafeBufferPointer { source in
              // Unchecked: every filtered map has grid.voxelCount voxels (resampled onto `grid`
              // above); labels index the 256-entry rank table.
              for p in 0..<out.count {
                let candidate = rank[Int(source[p])]  // rank[0] is 255
                if candidate < bestRank[p] {
                  bestRank[p] = candidate
                  out[p] = source[p]
                }
              }
            }
          }
        }
      }
    }
    return (output, resampled)
  }

  /// `map` with every label this source may not write (rank 255) set to 0, and every label that
  /// keeps only its largest component (`TotalVibeLabel.keepsLargestComponentOnly`) reduced to its
  /// largest 6-connected component.
  static func keepingLargestComponents(_ map: Volume<UInt8>, writable rank: [UInt8]) -> [UInt8] {
    var dropLabel = [Bool](repeating: true, count: 256)
    var needsComponents = false
    var present = [Bool](repeating: false, count: 256)
    for v in map.voxels { present[Int(v)] = true }
    for label in TotalVibeLabel.all where rank[Int(label.id)] != 255 {
      dropLabel[Int(label.id)] = false
      if label.keepsLargestComponentOnly && present[Int(label.id)] { needsComponents = true }
    }
    var out = map.voxels
    guard needsComponents else {
      for p in out.indices where dropLabel[Int(out[p])] { out[p] = 0 }
      return out
    }
    let components = ConnectedComponents(labelMap: map, connectivity: .six)
    let largest = components.largestComponentPerValue()
    // keep[c]: component c survives.
    var keep = [Bool](repeating: false, count: components.count + 1)
    for c in 1...max(components.count, 1) where c <= components.count {
      let value = components.values[c - 1]
      guard !dropLabel[Int(value)], let label = TotalVibeLabel.label(id: Int(value)) else { continue }
      keep[c] = !label.keepsLargestComponentOnly || largest[value] == c
    }
    out.withUnsafeMutableBufferPointer { o in
      components.componentIndex.withUnsafeBufferPointer { index in
        // Unchecked: index[p] is in 0...count; keep[0] is false, and background stays 0 anyway.
        for p in 0..<o.count where !keep[Int(index[p])] { o[p] = 0 }
      }
    }
    return out
  }
}
