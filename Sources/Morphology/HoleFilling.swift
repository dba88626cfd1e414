import VolumeCore

/// Hole filling of binary masks and of label maps.
///
/// A hole is a background voxel that cannot reach the border of the volume through background
/// voxels, stepping between neighbours of the given connectivity (`.six` by default). This is
/// scipy `ndimage.binary_fill_holes(mask, structure=generate_binary_structure(3, c))` (default
/// structure: c = 1, six neighbours) and fill_voids `fill` (six-connected flood of the background
/// from the faces), which TPTBox's `fill_holes` calls. Filling is 3-D; upstream's optional
/// slice-wise mode (`slice_wise_dim`) is not offered because TotalVibeSegmentator never uses it.
///
/// Algorithm: flood the background from the border voxels with an explicit stack (no
/// recursion) inside a one-voxel frame, so neighbours need no bounds checks. Time and memory
/// O(box) per mask, where box is the mask's bounding box grown by one voxel (clamped to the
/// volume): background outside that box always reaches the border, so the result equals filling
/// the whole volume.
public enum HoleFilling {
  /// `mask` (non-zero = foreground) with its holes set to 1; other foreground values are kept.
  ///
  /// - Precondition: `shape` holds 3 positive sizes whose product is `mask.count`.
  public static func filled(_ mask: [UInt8], shape: [Int], connectivity: Connectivity = .six) -> [UInt8] {
    precondition(shape.count == 3 && shape.allSatisfy { $0 >= 1 } && shape.reduce(1, *) == mask.count,
      "HoleFilling: \(mask.count) voxels for shape \(shape)")
    var binary = mask.map { $0 != 0 ? UInt8(1) : 0 }
    guard let box = boundingBoxes(binary, shape: shape)[1] else { return mask }
    binary.withUnsafeMutableBufferPointer { values in
      _ = fillLabel(values, shape: shape, label: 1, box: box, connectivity: connectivity)
    }
    return zip(mask, binary).map { $0 != 0 ? $0 : $1 }
  }

  /// TPTBox `NII.fill_holes()` on a label map: for each label in ascending order (all non-zero
  /// labels present, or those listed), the holes of the binary mask `map == label` are computed
  /// and written into the voxels among them that are *currently* 0. Voxels of other labels inside
  /// a hole stay; a lower label that filled a voxel first keeps it. Returns the number of voxels
  /// filled per label (labels that filled nothing are omitted).
  ///
  /// Work is bounded per component rather than per label, so scattered specks of a label do not
  /// make it flood the whole volume: with `.six` (`.twentySix`) background connectivity the
  /// foreground voxels bordering a finite background component form one 26- (6-) connected set
  /// (the border theorem for the well-behaved (26, 6) and (6, 26) adjacency pairs of digital
  /// topology), so every hole lies inside the bounding box of one foreground component of at
  /// least 6 (26) voxels, the fewest that enclose a voxel; each such component's box, grown by
  /// one voxel, is filled as in `filled(_:shape:connectivity:)` with all voxels of the label in
  /// it. `.eighteen` has no such pairing and fills each label's whole bounding box. Cost: one
  /// multi-label labelling, one pass for the boxes, and O(box) per large component.
  ///
  /// - Precondition: a 3-D volume (one channel).
  @discardableResult
  public static func fillHoles(in labelMap: inout Volume<UInt8>, labels: [UInt8]? = nil, connectivity: Connectivity = .six) -> [UInt8: Int] {
    precondition(labelMap.channelCount == 1, "HoleFilling: one channel expected, got \(labelMap.channelCount)")
    let shape = labelMap.shape
    var present = [Bool](repeating: false, count: 256)
    for v in labelMap.voxels { present[Int(v)] = true }
    let selected = (labels ?? (1...255).map { UInt8($0) }).filter { $0 != 0 && present[Int($0)] }
    let wanted = Set(selected)
    // Boxes to fill per label.
    var boxes = [UInt8: [(lower: [Int], upper: [Int])]]()
    if connectivity == .eighteen {
      for (label, box) in boundingBoxes(labelMap.voxels, shape: shape) where wanted.contains(label) { boxes[label] = [box] }
    } else {
      let components = ConnectedComponents(labelMap: labelMap, connectivity: connectivity == .six ? .twentySix : .six)
      let minimumShell = connectivity == .six ? 6 : 26
      let large = (0..<components.count).map { components.sizes[$0] >= minimumShell && wanted.contains(components.values[$0]) }
      for (c, box) in componentBoxes(components, including: large) { boxes[components.values[c - 1], default: []].append(box) }
    }
    var filledCounts = [UInt8: Int]()
    labelMap.voxels.withUnsafeMutableBufferPointer { values in
      for label in Set(selected).sorted() {
        var n = 0
        for box in boxes[label] ?? [] {
          n += fillLabel(values, shape: shape, label: label, box: box, connectivity: connectivity)
        }
        if n > 0 { filledCounts[label] = n }
      }
    }
    return filledCounts
  }

  /// Inclusive bounding boxes of the components `c` with `including[c - 1]`, keyed by component
  /// number, in component order. One pass.
  static func componentBoxes(_ components: ConnectedComponents, including: [Bool]) -> [(Int, (lower: [Int], upper: [Int]))] {
    let ni = components.shape[0], nj = components.shape[1], nk = components.shape[2]
    let n = components.count + 1
    var loI = [Int32](repeating: Int32.max, count: n), hiI = [Int32](repeating: -1, count: n)
    var loJ = loI, hiJ = hiI, loK = loI, hiK = hiI
    let include = [false] + including
    components.componentIndex.withUnsafeBufferPointer { index in
      var p = 0
      for k in 0..<nk {
        for j in 0..<nj {
          for i in 0..<ni {
            let c = Int(index[p])
            p += 1
            guard include[c] else { continue }
            let i32 = Int32(i), j32 = Int32(j), k32 = Int32(k)
            if i32 < loI[c] { loI[c] = i32 }
            if i32 > hiI[c] { hiI[c] = i32 }
            if j32 < loJ[c] { loJ[c] = j32 }
            if j32 > hiJ[c] { hiJ[c] = j32 }
            if k32 < loK[c] { loK[c] = k32 }
            if k32 > hiK[c] { hiK[c] = k32 }
          }
        }
      }
    }
    var boxes = [(Int, (lower: [Int], upper: [Int]))]()
    for c in 1..<n where include[c] {
      let lower: [Int] = [Int(loI[c]), Int(loJ[c]), Int(loK[c])]
      let upper: [Int] = [Int(hiI[c]), Int(hiJ[c]), Int(hiK[c])]
      boxes.append((c, (lower, upper)))
    }
    return boxes
  }

  /// `fillHoles(in:labels:connectivity:)` on a copy.
  public static func filledHoles(_ labelMap: Volume<UInt8>, labels: [UInt8]? = nil, connectivity: Connectivity = .six) -> Volume<UInt8> {
    var copy = labelMap
    fillHoles(in: &copy, labels: labels, connectivity: connectivity)
    return copy
  }

  /// Inclusive bounding box (lower, upper per axis) of every non-zero value. One pass.
  static func boundingBoxes(_ values: [UInt8], shape: [Int]) -> [UInt8: (lower: [Int], upper: [Int])] {
    let ni = shape[0], nj = shape[1], nk = shape[2]
    var loI = [Int](repeating: Int.max, count: 256), hiI = [Int](repeating: -1, count: 256)
    var loJ = loI, hiJ = hiI, loK = loI, hiK = hiI
    var rowStamp = [Int](repeating: -1, count: 256)  // last row (j + nJ·k) that updated j and k
    values.withUnsafeBufferPointer { v in
      var p = 0
      for k in 0..<nk {
        for j in 0..<nj {
          let row = j + nj * k
          for i in 0..<ni {
            let value = Int(v[p])
            p += 1
            if value == 0 { continue }
            if i < loI[value] { loI[value] = i }
            if i > hiI[value] { hiI[value] = i }
            if rowStamp[value] != row {
              rowStamp[value] = row
              if j < loJ[value] { loJ[value] = j }
              if j > hiJ[value] { hiJ[value] = j }
              if k < loK[value] { loK[value] = k }
              if k > hiK[value] { hiK[value] = k }
            }
          }
        }
      }
    }
    var boxes = [UInt8: (lower: [Int], upper: [Int])]()
    for value in 1..<256 where hiI[value] >= 0 {
      boxes[UInt8(value)] = ([loI[value], loJ[value], loK[value]], [hiI[value], hiJ[value], hiK[value]])
    }
    return boxes
  }
}
