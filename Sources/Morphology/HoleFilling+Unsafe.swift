extension HoleFilling {
  /// Fills the holes of `values == label` inside `box` (inclusive bounds, a label's bounding box)
  /// grown by one voxel and clamped to the volume, writing `label` into hole voxels whose value
  /// is 0. Returns the number of voxels written.
  ///
  /// The box is copied into a state buffer with a one-voxel frame on every side:
  /// 0 background not yet reached, 1 the label, 2 frame, 3 background reached from the border.
  /// Seeds are the background voxels on the (grown) box's faces; the flood never enters the
  /// frame, so neighbour offsets need no bounds checks.
  static func fillLabel(
    _ values: UnsafeMutableBufferPointer<UInt8>, shape: [Int], label: UInt8, box: (lower: [Int], upper: [Int]),
    connectivity: Connectivity
  ) -> Int {
    let ni = shape[0], nj = shape[1]
    let lower = (0..<3).map { max(box.lower[$0] - 1, 0) }
    let upper = (0..<3).map { min(box.upper[$0] + 1, shape[$0] - 1) }
    let bi = upper[0] - lower[0] + 1, bj = upper[1] - lower[1] + 1, bk = upper[2] - lower[2] + 1
    let pi = bi + 2, pj = bj + 2, pk = bk + 2
    let strideJ = pi, strideK = pi * pj
    var state = [UInt8](repeating: 2, count: pi * pj * pk)
    var offsets = [Int]()
    for dk in -1...1 {
      for dj in -1...1 {
        for di in -1...1 where connectivity.connects(di, dj, dk) {
          offsets.append(di + strideJ * dj + strideK * dk)
        }
      }
    }
    var stack = [Int32]()
    var written = 0
    state.withUnsafeMutableBufferPointer { s in
      // Unchecked accesses: local index (x + 1) + pi·((y + 1) + pj·(z + 1)) for 0 <= x < bi,
      // 0 <= y < bj, 0 <= z < bk is inside the padded buffer; a neighbour of an interior voxel is
      // interior or frame, and frame voxels (state 2) are never pushed.
      for z in 0..<bk {
        for y in 0..<bj {
          let global = lower[0] + ni * ((lower[1] + y) + nj * (lower[2] + z))
          let local = 1 + strideJ * (y + 1) + strideK * (z + 1)
          let onFaceJK = y == 0 || y == bj - 1 || z == 0 || z == bk - 1
          for x in 0..<bi {
            if values[global + x] == label {
              s[local + x] = 1
            } else if onFaceJK || x == 0 || x == bi - 1 {
              s[local + x] = 3
              stack.append(Int32(local + x))
            } else {
              s[local + x] = 0
            }
          }
        }
      }
      offsets.withUnsafeBufferPointer { offs in
        while let top = stack.popLast() {
          let p = Int(top)
          for o in offs where s[p + o] == 0 {
            s[p + o] = 3
            stack.append(Int32(p + o))
          }
        }
      }
      for z in 0..<bk {
        for y in 0..<bj {
          let global = lower[0] + ni * ((lower[1] + y) + nj * (lower[2] + z))
          let local = 1 + strideJ * (y + 1) + strideK * (z + 1)
          for x in 0..<bi where s[local + x] == 0 && values[global + x] == 0 {
            values[global + x] = label
            written += 1
          }
        }
      }
    }
    return written
  }
}
