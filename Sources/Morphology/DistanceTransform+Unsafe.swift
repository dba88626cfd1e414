extension DistanceTransform {
  /// Pass 1: along i, the distance to the nearest feature on the same line, by one forward and one
  /// backward scan; stores `(s·Δi)²` or `+infinity`.
  static func scanFirstAxis(_ f: UnsafeBufferPointer<UInt8>, into d: UnsafeMutableBufferPointer<Double>, shape: [Int], spacing: Double) {
    let ni = shape[0], lines = shape[1] * shape[2]
    // Unchecked: base + i with 0 <= i < ni and base = line·ni < ni·lines = f.count = d.count.
    for line in 0..<lines {
      let base = line * ni
      var last = -1
      for i in 0..<ni {
        if f[base + i] != 0 { last = i }
        if last >= 0 {
          let t = spacing * Double(i - last)
          d[base + i] = t * t
        }
      }
      last = -1
      for i in stride(from: ni - 1, through: 0, by: -1) {
        if f[base + i] != 0 { last = i }
        if last >= 0 {
          let t = spacing * Double(last - i)
          let v = t * t
          if v < d[base + i] { d[base + i] = v }
        }
      }
    }
  }

  /// Passes 2 and 3: along `axis` (1 or 2), replaces each line `g` by
  /// `min_q g[q] + (s·(p − q))²` with Felzenszwalb–Huttenlocher's lower envelope. Lines are
  /// gathered 16 at a time (adjacent in i) into scratch, transformed, and scattered back.
  static func envelopePass(_ d: UnsafeMutableBufferPointer<Double>, shape: [Int], axis: Int, spacing: Double) {
    let ni = shape[0], nj = shape[1], nk = shape[2]
    let n = axis == 1 ? nj : nk
    guard n > 1 else { return }
    let stride = axis == 1 ? ni : ni * nj
    let outer = axis == 1 ? nk : nj  // the axis that is neither i nor `axis`
    let outerStride = axis == 1 ? ni * nj : ni
    let block = 16
    let scratch = UnsafeMutableBufferPointer<Double>.allocate(capacity: block * n)
    let line = UnsafeMutableBufferPointer<Double>.allocate(capacity: n)
    let vertices = UnsafeMutableBufferPointer<Int>.allocate(capacity: n)
    let bounds = UnsafeMutableBufferPointer<Double>.allocate(capacity: n + 1)
    let positions = UnsafeMutableBufferPointer<Double>.allocate(capacity: n)
    let heights = UnsafeMutableBufferPointer<Double>.allocate(capacity: n)
    defer {
      scratch.deallocate(); line.deallocate(); vertices.deallocate(); bounds.deallocate(); positions.deallocate()
      heights.deallocate()
    }
    for q in 0..<n { positions[q] = spacing * Double(q) }
    // Unchecked: start + b + t·stride addresses voxel (i0+b, ...) with i0 + b < ni and t < n,
    // inside d; scratch holds block·n entries indexed b·n + t with b < block, t < n.
    for o in 0..<outer {
      var i0 = 0
      while i0 < ni {
        let width = min(block, ni - i0)
        let start = o * outerStride + i0
        for t in 0..<n {
          let src = start + t * stride
          for b in 0..<width { scratch[b * n + t] = d[src + b] }
        }
        for b in 0..<width {
          for t in 0..<n { line[t] = scratch[b * n + t] }
          lowerEnvelope(line, n: n, spacing: spacing, positions: positions, vertices: vertices, bounds: bounds, heights: heights)
          for t in 0..<n { scratch[b * n + t] = line[t] }
        }
        for t in 0..<n {
          let dst = start + t * stride
          for b in 0..<width { d[dst + b] = scratch[b * n + t] }
        }
        i0 += width
      }
    }
  }

  /// In place: `g[p] = min_q g[q] + (s·(p − q))²` over the finite entries q of `g` (all `+infinity`
  /// stays `+infinity`). Parabola `q` is `g[q] + (x − x_q)²` with `x_q = s·q`; the envelope keeps
  /// the parabolas that are lowest somewhere, with the boundaries where each takes over.
  static func lowerEnvelope(_ g: UnsafeMutableBufferPointer<Double>, n: Int, spacing: Double,
    positions x: UnsafeMutableBufferPointer<Double>, vertices v: UnsafeMutableBufferPointer<Int>,
    bounds z: UnsafeMutableBufferPointer<Double>, heights h: UnsafeMutableBufferPointer<Double>) {
    var count = 0  // parabolas in the envelope
    for q in 0..<n {
      let gq = g[q]
      guard gq < .infinity else { continue }
      if count == 0 {
        v[0] = q
        z[0] = -.infinity
        z[1] = .infinity
        count = 1
        continue
      }
      var s: Double
      while true {
        let r = v[count - 1]
        s = ((gq + x[q] * x[q]) - (g[r] + x[r] * x[r])) / (2 * (x[q] - x[r]))
        if s <= z[count - 1] && count > 1 { count -= 1 } else { break }
      }
      v[count] = q
      z[count] = s
      z[count + 1] = .infinity
      count += 1
    }
    guard count > 0 else { return }
    var k = 0
    // Copy the envelope's heights first: the loop below overwrites g.
    for c in 0..<count { h[c] = g[v[c]] }
    for p in 0..<n {
      let xp = x[p]
      while z[k + 1] < xp { k += 1 }
      let t = spacing * Double(p - v[k])
      g[p] = h[k] + t * t
    }
  }
}
