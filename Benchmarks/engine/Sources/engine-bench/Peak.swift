import Dispatch

/// fp32 FMA peak: 12 independent SIMD8 FMA chains per thread (enough to cover Zen 3's 2 FMA pipes
/// x 4-cycle latency), the method of conv-backend.md section 0.
enum PeakFLOPS {
  @inline(never)
  static func chains(_ iterations: Int, _ seed: Float) -> Float {
    var acc = (0..<12).map { SIMD8<Float>(repeating: seed + Float($0)) }
    let a = SIMD8<Float>(repeating: 0.999_999)
    let b = SIMD8<Float>(repeating: 1e-7)
    var (x0, x1, x2, x3, x4, x5) = (acc[0], acc[1], acc[2], acc[3], acc[4], acc[5])
    var (y0, y1, y2, y3, y4, y5) = (acc[6], acc[7], acc[8], acc[9], acc[10], acc[11])
    for _ in 0..<iterations {
      x0 = b.addingProduct(x0, a)
      x1 = b.addingProduct(x1, a)
      x2 = b.addingProduct(x2, a)
      x3 = b.addingProduct(x3, a)
      x4 = b.addingProduct(x4, a)
      x5 = b.addingProduct(x5, a)
      y0 = b.addingProduct(y0, a)
      y1 = b.addingProduct(y1, a)
      y2 = b.addingProduct(y2, a)
      y3 = b.addingProduct(y3, a)
      y4 = b.addingProduct(y4, a)
      y5 = b.addingProduct(y5, a)
    }
    acc = [x0, x1, x2, x3, x4, x5, y0, y1, y2, y3, y4, y5]
    return acc.reduce(SIMD8<Float>(), +).sum()
  }

  /// GFLOP/s on `threads` threads over about `seconds`.
  static func measure(threads: Int, iterations: Int = 200_000_000) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    DispatchQueue.concurrentPerform(iterations: threads) { t in
      let r = chains(iterations, Float(t))
      if r == 42 { print("") }
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    return Double(threads) * Double(iterations) * 12 * 8 * 2 / seconds / 1e9
  }
}
