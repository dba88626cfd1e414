import Dispatch
import Evaluation
import VolumeCore

/// Groups voxel values by label with a counting sort, then summarises each group.
struct LabelGrouping {
  /// Slot of each label id in `selected` order, or -1.
  let slot: [Int]
  /// Start of each slot's values in the grouped buffer (`selected.count + 1` entries).
  let offsets: [Int]
  let labels: [UInt16]

  init(labels volume: Volume<UInt16>, counts: [Int], selected: [Int]) {
    var slot = [Int](repeating: -1, count: max(counts.count, (selected.max() ?? 0) + 1))
    var offsets = [0]
    for (s, id) in selected.enumerated() {
      slot[id] = s
      offsets.append(offsets[s] + (id < counts.count ? counts[id] : 0))
    }
    self.slot = slot
    self.offsets = offsets
    self.labels = volume.voxels
  }

  /// One `IntensitySummary` per selected label, in `selected` order.
  func summaries(of values: [Double]) -> [IntensitySummary] {
    let total = offsets.last!
    var grouped = [Double](repeating: 0, count: total)
    var cursor = Array(offsets.dropLast())
    labels.withUnsafeBufferPointer { l in
      values.withUnsafeBufferPointer { v in
        grouped.withUnsafeMutableBufferPointer { g in
          slot.withUnsafeBufferPointer { s in
            // Unchecked: l[x] < slot.count (slot spans the largest label); cursor[s] stays below
            // offsets[s + 1] because offsets count exactly the voxels of each label.
            for x in 0..<l.count {
              let sl = s[Int(l[x])]
              if sl >= 0 {
                g[cursor[sl]] = v[x]
                cursor[sl] += 1
              }
            }
          }
        }
      }
    }
    var out = [IntensitySummary](repeating: IntensitySummary(), count: offsets.count - 1)
    let offsets = self.offsets
    grouped.withUnsafeMutableBufferPointer { g in
      out.withUnsafeMutableBufferPointer { o in
        let gb = g, ob = o
        // Largest groups first; each item writes only its own slice of `grouped` and slot of `out`.
        let sizes: [Int] = (0..<ob.count).map { (s: Int) -> Int in offsets[s + 1] - offsets[s] }
        let order: [Int] = (0..<ob.count).sorted { (x: Int, y: Int) -> Bool in sizes[x] > sizes[y] }
        let body: (Int) -> Void = { w in
          let s = order[w]
          ob[s] = Self.summarize(UnsafeMutableBufferPointer(rebasing: gb[offsets[s]..<offsets[s + 1]]))
        }
        withoutActuallyEscaping(body) { escapable in
          let shared = unsafeBitCast(escapable, to: (@Sendable (Int) -> Void).self)
          DispatchQueue.concurrentPerform(iterations: order.count, execute: shared)
        }
      }
    }
    return out
  }

  /// Summarises the values in `buffer` (reordered in place): non-finite values are moved out,
  /// mean and population SD take two passes, and the order statistics behind the median and the
  /// 5th/95th percentiles are found by selection (NumPy's `partition` gives the same values).
  static func summarize(_ buffer: UnsafeMutableBufferPointer<Double>) -> IntensitySummary {
    var n = 0
    for x in 0..<buffer.count where buffer[x].isFinite {
      buffer.swapAt(n, x)
      n += 1
    }
    var s = IntensitySummary(count: n, nonFiniteCount: buffer.count - n)
    guard n > 0 else { return s }
    let a = UnsafeMutableBufferPointer(rebasing: buffer[0..<n])
    var sum = 0.0
    for x in a { sum += x }
    let mean = sum / Double(n)
    var squares = 0.0
    for x in a { squares += (x - mean) * (x - mean) }
    s.mean = mean
    s.standardDeviation = (squares / Double(n)).squareRoot()
    let p5 = Percentile.neighbours(count: n, 5), p95 = Percentile.neighbours(count: n, 95)
    selectAll(a, Set([p5.0, p5.1, p95.0, p95.1, (n - 1) / 2, n / 2]).sorted()[...], lo: 0, hi: n - 1)
    s.percentile5 = Percentile.lerp(a[p5.0], a[p5.1], p5.2)
    s.percentile95 = Percentile.lerp(a[p95.0], a[p95.1], p95.2)
    s.median = n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2
    return s
  }

  /// Puts the order statistics `ks` (ascending, inside lo...hi) of `a[lo...hi]` in place: the
  /// middle one by quickselect, then the others in the two halves it leaves; an index right after
  /// a placed one is just the minimum of the rest (one scan instead of a selection).
  static func selectAll(_ a: UnsafeMutableBufferPointer<Double>, _ ks: ArraySlice<Int>, lo: Int, hi: Int) {
    guard !ks.isEmpty else { return }
    if ks.first! == lo && lo > 0 && lo <= hi {
      // a[lo - 1] is placed and everything from lo on is >= it: the minimum goes to lo.
      var m = lo
      for x in (lo + 1)..<(hi + 1) where a[x] < a[m] { m = x }
      a.swapAt(lo, m)
      selectAll(a, ks.dropFirst(), lo: lo + 1, hi: hi)
      return
    }
    let mid = ks.startIndex + ks.count / 2
    let k = ks[mid]
    select(a, k, lo: lo, hi: hi)
    selectAll(a, ks[ks.startIndex..<mid], lo: lo, hi: k - 1)
    selectAll(a, ks[(mid + 1)...], lo: k + 1, hi: hi)
  }

  /// Moves the k-th smallest of `a[lo...hi]` to index k, smaller-or-equal values before it and
  /// greater-or-equal after (quickselect, Hoare partition around a median of three).
  static func select(_ a: UnsafeMutableBufferPointer<Double>, _ k: Int, lo start: Int, hi end: Int) {
    var lo = start, hi = end
    while hi > lo {
      if hi - lo < 16 {
        // Insertion sort for short ranges.
        for x in (lo + 1)...hi {
          let v = a[x]
          var y = x - 1
          while y >= lo && a[y] > v { a[y + 1] = a[y]; y -= 1 }
          a[y + 1] = v
        }
        return
      }
      let mid = lo + (hi - lo) / 2
      if a[mid] < a[lo] { a.swapAt(mid, lo) }
      if a[hi] < a[lo] { a.swapAt(hi, lo) }
      if a[hi] < a[mid] { a.swapAt(hi, mid) }
      let pivot = a[mid]
      var i = lo, j = hi
      while i <= j {
        while a[i] < pivot { i += 1 }
        while a[j] > pivot { j -= 1 }
        if i <= j {
          a.swapAt(i, j)
          i += 1
          j -= 1
        }
      }
      // Now a[lo...j] <= pivot <= a[i...hi], and j < i.
      if k <= j { hi = j } else if k >= i { lo = i } else { return }
    }
  }
}
