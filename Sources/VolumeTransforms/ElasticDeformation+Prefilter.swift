import VolumeCore

extension ElasticDeformation {
  /// The order-3 coefficients elasticdeform interpolates for a float32 input: the mirror cubic
  /// prefilter (`BSplineCubic.filter`, scipy `spline_filter1d(order=3, mode='mirror')`) along
  /// axis i, then j, then k, each pass computed in Double on a line and rounded to float32 before
  /// the next pass — elasticdeform 0.5.1 calls `spline_filter1d(x, axis=d, output=x_f)` with
  /// `x_f = zeros_like(x)`, so every pass stores into the input's dtype. (scipy's
  /// `map_coordinates`/`spline_filter` instead prefilter into float64; `ResamplingEngine` follows
  /// that rule.) Layout: file order, `index = i + n_i·(j + n_j·k)`. O(N) time, one Double copy
  /// of the volume as scratch; results do not depend on `parallel`.
  ///
  /// - Precondition: `image.count == shape[0]·shape[1]·shape[2]`, all sizes ≥ 1.
  static func float32Coefficients(_ image: [Float], shape: [Int], parallel: Bool) -> [Float] {
    precondition(
      shape.count == 3 && shape.allSatisfy { $0 >= 1 } && image.count == shape.reduce(1, *),
      "float32Coefficients: \(image.count) voxels for shape \(shape)")
    let (n0, n1, n2) = (shape[0], shape[1], shape[2])
    var work = image.map(Double.init)
    work.withUnsafeMutableBufferPointer { buffer in
      let base = buffer.baseAddress!
      for pass in [
        (inner: 1, length: n0, outer: n1 * n2), (inner: n0, length: n1, outer: n2),
        (inner: n0 * n1, length: n2, outer: 1),
      ] {
        ResamplingLinePass.run(
          source: base, inner: pass.inner, length: pass.length, outer: pass.outer, padding: 0, prefilter: .mirror,
          plan: nil, destination: base, parallel: parallel)
        for index in 0..<buffer.count { base[index] = Double(Float(base[index])) }
      }
    }
    return work.map { Float($0) }
  }
}
