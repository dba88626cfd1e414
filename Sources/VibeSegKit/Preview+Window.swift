import VolumeCore

/// The intensity range shown from black to white, in the image's scaled units
/// (`stored · scl_slope + scl_inter`).
public struct PreviewWindow: Sendable, Equatable {
  public var lower: Double
  public var upper: Double

  public init(lower: Double, upper: Double) {
    self.lower = lower
    self.upper = upper
  }

  /// The window from two percentiles of all finite voxels (background included), as
  /// `numpy.percentile(values, [lower, upper])` with NumPy's default linear method: position
  /// `q/100 · (n − 1)` in the sorted values, interpolated between its two neighbours.
  ///
  /// Integer images of 8 or 16 bits use an exact histogram (one pass); other types copy the finite
  /// values and find the order statistics by quickselect (expected O(n), no full sort). Stored values
  /// are ranked before scaling; a negative `scl_slope` swaps the ends. An image without a finite
  /// voxel gets the window 0...0.
  static func robust(
    _ volume: AnyVolume, scaling: (slope: Double, intercept: Double)?, lowerPercentile: Double,
    upperPercentile: Double
  ) -> PreviewWindow {
    let qs = [lowerPercentile, upperPercentile]
    let stored: [Double]?
    switch volume {
    case .uint8(let v): stored = histogramPercentiles(v.voxels, qs)
    case .int8(let v): stored = histogramPercentiles(v.voxels, qs)
    case .int16(let v): stored = histogramPercentiles(v.voxels, qs)
    case .uint16(let v): stored = histogramPercentiles(v.voxels, qs)
    case .int32(let v): stored = selectionPercentiles(v.voxels, qs)
    case .uint32(let v): stored = selectionPercentiles(v.voxels, qs)
    case .int64(let v): stored = selectionPercentiles(v.voxels, qs)
    case .uint64(let v): stored = selectionPercentiles(v.voxels, qs)
    case .float32(let v): stored = selectionPercentiles(v.voxels, qs)
    case .float64(let v): stored = selectionPercentiles(v.voxels, qs)
    }
    guard let stored else { return PreviewWindow(lower: 0, upper: 0) }
    let (slope, intercept) = scaling ?? (1, 0)
    let a = stored[0] * slope + intercept
    let b = stored[1] * slope + intercept
    return PreviewWindow(lower: min(a, b), upper: max(a, b))
  }

  /// Linear-interpolated percentile from a function giving the k-th smallest of n values.
  static func interpolate(_ q: Double, count n: Int, _ orderStatistic: (Int) -> Double) -> Double {
    let position = q / 100 * Double(n - 1)
    let k = Int(position.rounded(.down))
    let fraction = position - Double(k)
    let low = orderStatistic(k)
    guard fraction > 0, k + 1 < n else { return low }
    return low + fraction * (orderStatistic(k + 1) - low)
  }

  static func histogramPercentiles<V: VoxelScalar & FixedWidthInteger>(_ voxels: [V], _ qs: [Double]) -> [Double]? {
    precondition(V.bitWidth <= 16)
    guard !voxels.isEmpty else { return nil }
    let offset = Int(V.min)
    var histogram = [Int](repeating: 0, count: 1 << V.bitWidth)
    voxels.withUnsafeBufferPointer { values in
      histogram.withUnsafeMutableBufferPointer { bins in
        // Unchecked: Int(v) - Int(V.min) lies in 0..<2^bitWidth == bins.count.
        for v in values { bins[Int(v) - offset] += 1 }
      }
    }
    var cumulative = [Int]()
    cumulative.reserveCapacity(histogram.count)
    var total = 0
    for count in histogram {
      total += count
      cumulative.append(total)
    }
    func kth(_ k: Int) -> Double {
      // First bin whose cumulative count exceeds k.
      var lo = 0
      var hi = cumulative.count - 1
      while lo < hi {
        let mid = (lo + hi) / 2
        if cumulative[mid] > k { hi = mid } else { lo = mid + 1 }
      }
      return Double(lo + offset)
    }
    return qs.map { interpolate($0, count: voxels.count, kth) }
  }

  static func selectionPercentiles<V: VoxelScalar>(_ voxels: [V], _ qs: [Double]) -> [Double]? {
    precondition(qs == qs.sorted(), "percentiles are selected in ascending order")
    var values = voxels.filter { $0.doubleValue.isFinite }
    guard !values.isEmpty else { return nil }
    let n = values.count
    return values.withUnsafeMutableBufferPointer { buffer in
      var selected = [Int: Double]()
      var start = 0
      func kth(_ k: Int) -> Double {
        if let known = selected[k] { return known }
        // Order statistics are requested in ascending order; everything left of `start` is already
        // at most the values right of it, so the search can begin there.
        let value = quickselect(buffer, from: k >= start ? start : 0, k: k)
        selected[k] = value.doubleValue
        start = k + 1
        return value.doubleValue
      }
      return qs.map { interpolate($0, count: n, kth) }
    }
  }

  /// Rearranges `buffer[from...]` so that position `k` holds the value a sort would put there,
  /// smaller-or-equal values before it and greater-or-equal after (Hoare partition, median of
  /// three pivots). Returns that value.
  static func quickselect<V: Comparable>(_ buffer: UnsafeMutableBufferPointer<V>, from: Int, k: Int) -> V {
    var lo = from
    var hi = buffer.count - 1
    while lo < hi {
      let mid = lo + (hi - lo) / 2
      if buffer[mid] < buffer[lo] { buffer.swapAt(mid, lo) }
      if buffer[hi] < buffer[lo] { buffer.swapAt(hi, lo) }
      if buffer[hi] < buffer[mid] { buffer.swapAt(hi, mid) }
      let pivot = buffer[mid]
      var i = lo
      var j = hi
      while i <= j {
        while buffer[i] < pivot { i += 1 }
        while pivot < buffer[j] { j -= 1 }
        if i <= j {
          buffer.swapAt(i, j)
          i += 1
          j -= 1
        }
      }
      if k <= j { hi = j } else if k >= i { lo = i } else { return buffer[k] }
    }
    return buffer[k]
  }
}
