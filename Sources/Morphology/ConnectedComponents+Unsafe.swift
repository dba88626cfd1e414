/// The raster-scan union-find labelling behind `ConnectedComponents` (see its documentation).
enum ComponentLabelling {
  /// One backward neighbour: its linear offset and its step along i, j, k.
  struct Offset {
    var delta: Int
    var di: Int
    var dj: Int
    var dk: Int
  }

  /// Labels the voxels of `values` (0 = background; neighbours join when their values are equal).
  /// Returns the component number per voxel, component sizes and first voxels (file order).
  static func label(_ values: [UInt8], shape: [Int], connectivity: Connectivity) -> (index: [Int32], sizes: [Int], first: [Int]) {
    let ni = shape[0], nj = shape[1], nk = shape[2]
    let n = ni * nj * nk
    // Backward neighbours (visited before the current voxel in file order), split by the row
    // context: table[jLow + 2·jHigh + 4·kLow] lists the offsets valid for a row with j > 0,
    // j < nJ - 1, k > 0; `reduced` drops those the left neighbour (i - 1) is itself adjacent to.
    var all = [[Offset]](repeating: [], count: 8)
    var reduced = [[Offset]](repeating: [], count: 8)
    for context in 0..<8 {
      let jLow = context & 1 != 0, jHigh = context & 2 != 0, kLow = context & 4 != 0
      for dk in -1...0 {
        for dj in -1...1 {
          for di in -1...1 {
            // Backward: earlier in file order.
            guard dk < 0 || (dk == 0 && (dj < 0 || (dj == 0 && di < 0))) else { continue }
            guard connectivity.connects(di, dj, dk) else { continue }
            if dj < 0 && !jLow { continue }
            if dj > 0 && !jHigh { continue }
            if dk < 0 && !kLow { continue }
            let o = Offset(delta: di + ni * (dj + nj * dk), di: di, dj: dj, dk: dk)
            all[context].append(o)
            // Relative to the left neighbour the offset is (di + 1, dj, dk); if that joins too,
            // the left neighbour already united this voxel's label with it.
            // (Offset (-1, 0, 0) is the left neighbour itself.)
            let isLeft = di == -1 && dj == 0 && dk == 0
            let adjacentToLeft = isLeft || (abs(di + 1) <= 1 && connectivity.connects(di + 1, dj, dk))
            if !adjacentToLeft { reduced[context].append(o) }
          }
        }
      }
    }

    var index = [Int32](repeating: 0, count: n)
    var parent: [Int32] = [0]  // parent[0] unused; provisional labels start at 1
    parent.reserveCapacity(1024)

    values.withUnsafeBufferPointer { v in
      index.withUnsafeMutableBufferPointer { out in
        // Unchecked accesses: p = i + ni·(j + nj·k) is in 0..<n, and p + delta is only read
        // for offsets whose i/j/k steps stay inside the grid (row context and the di checks).
        var p = 0
        for k in 0..<nk {
          for j in 0..<nj {
            let context = (j > 0 ? 1 : 0) | (j < nj - 1 ? 2 : 0) | (k > 0 ? 4 : 0)
            let fullList = all[context], shortList = reduced[context]
            for i in 0..<ni {
              defer { p += 1 }
              let value = v[p]
              if value == 0 { continue }
              let sameLeft = i > 0 && v[p - 1] == value
              var current: Int32 = sameLeft ? out[p - 1] : 0
              let list = sameLeft ? shortList : fullList
              for o in list {
                if o.di < 0 && i == 0 { continue }
                if o.di > 0 && i == ni - 1 { continue }
                let q = p + o.delta
                guard v[q] == value else { continue }
                let other = out[q]
                if current == 0 {
                  current = other
                } else if other != current {
                  unite(&parent, current, other)
                }
              }
              if current == 0 {
                current = Int32(parent.count)
                parent.append(current)
              }
              out[p] = current
            }
          }
        }
      }
    }

    // Final numbers in order of the smallest provisional label of each set, which is the label
    // created at the set's first voxel (union by smaller label keeps it the root).
    let provisional = parent.count - 1
    var renumber = [Int32](repeating: 0, count: provisional + 1)
    var next: Int32 = 0
    for label in 1...max(provisional, 1) where label <= provisional {
      let root = find(&parent, Int32(label))
      if root == Int32(label) {
        next += 1
        renumber[label] = next
      } else {
        renumber[label] = renumber[Int(root)]
      }
    }
    var sizes = [Int](repeating: 0, count: Int(next))
    var first = [Int](repeating: 0, count: Int(next))
    renumber.withUnsafeBufferPointer { map in
      index.withUnsafeMutableBufferPointer { out in
        sizes.withUnsafeMutableBufferPointer { size in
          first.withUnsafeMutableBufferPointer { firstVoxel in
            // Unchecked: out[p] is a provisional label (<= provisional) or 0, and renumber maps
            // it into 1...next.
            for p in 0..<n {
              let label = out[p]
              if label == 0 { continue }
              let c = map[Int(label)]
              out[p] = c
              let slot = Int(c) - 1
              if size[slot] == 0 { firstVoxel[slot] = p }
              size[slot] += 1
            }
          }
        }
      }
    }
    return (index, sizes, first)
  }

  /// Root of `label` with path halving.
  @inline(__always) static func find(_ parent: inout [Int32], _ label: Int32) -> Int32 {
    parent.withUnsafeMutableBufferPointer { up in
      var x = Int(label)
      while up[x] != Int32(x) {
        let grand = up[Int(up[x])]
        up[x] = grand
        x = Int(grand)
      }
      return Int32(x)
    }
  }

  /// Joins the sets of `a` and `b`; the smaller root becomes the root.
  @inline(__always) static func unite(_ parent: inout [Int32], _ a: Int32, _ b: Int32) {
    let ra = find(&parent, a), rb = find(&parent, b)
    if ra == rb { return }
    if ra < rb { parent[Int(rb)] = ra } else { parent[Int(ra)] = rb }
  }
}
