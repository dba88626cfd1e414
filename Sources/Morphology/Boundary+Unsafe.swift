extension Boundary {
  /// Writes 1 into `out` at every boundary voxel of `mask` (see `innerBoundary(of:shape:)`);
  /// other entries of `out` are left as they are.
  static func markBoundary(_ mask: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>, shape: [Int]) {
    let ni = shape[0], nj = shape[1], nk = shape[2]
    let sj = ni, sk = ni * nj
    // Unchecked accesses below: every index is i + ni·(j + nj·k) with 0 <= i < ni, 0 <= j < nj,
    // 0 <= k < nk, and neighbours are only read after the matching bound check.
    for k in 0..<nk {
      for j in 0..<nj {
        let row = sj * j + sk * k
        for i in 0..<ni {
          let p = row + i
          guard mask[p] != 0 else { continue }
          if i == 0 || i == ni - 1 || j == 0 || j == nj - 1 || k == 0 || k == nk - 1
            || mask[p - 1] == 0 || mask[p + 1] == 0 || mask[p - sj] == 0 || mask[p + sj] == 0
            || mask[p - sk] == 0 || mask[p + sk] == 0
          {
            out[p] = 1
          }
        }
      }
    }
  }
}
