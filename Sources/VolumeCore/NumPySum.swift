/// NumPy's `pairwise_sum` (the reduction behind `np.sum`/`np.mean` of a contiguous array), in the
/// array's own precision: fewer than 8 elements are summed in order starting from -0.0 (so a sum of
/// negative zeros stays -0.0, as in NumPy); up to 128 with eight
/// interleaved accumulators combined as `((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))` plus the remainder in
/// order; above that the array is split at `n/2 - (n/2 % 8)` and the halves' sums are added.
package enum NumPySum {
  package static func pairwise<T: BinaryFloatingPoint>(_ a: ArraySlice<T>) -> T {
    let n = a.count
    let start = a.startIndex
    if n < 8 {
      var res: T = -0.0
      for v in a { res += v }
      return res
    }
    if n <= 128 {
      var r = Array(a[start..<(start + 8)])
      var i = 8
      while i < n - n % 8 {
        for j in 0..<8 { r[j] += a[start + i + j] }
        i += 8
      }
      var res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
      while i < n {
        res += a[start + i]
        i += 1
      }
      return res
    }
    var n2 = n / 2
    n2 -= n2 % 8
    return pairwise(a[start..<(start + n2)]) + pairwise(a[(start + n2)...])
  }
}
