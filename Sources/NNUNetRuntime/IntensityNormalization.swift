import VolumeCore

/// Per-channel intensity normalisation, reproducing nnU-Net's `default_normalization_schemes.py`
/// (nnunet-inference.md 5.4) in float32, including NumPy's pairwise summation for mean and std.
enum IntensityNormalization {
  static let epsilon: Float = 1e-8

  /// Normalises one cropped channel in place.
  /// - `mask`: nnU-Net's `seg >= 0` (the hole-filled non-zero mask), used by ZScore when
  ///   `useMask` is set.
  static func apply(_ scheme: NormalizationScheme, to x: inout [Float], useMask: Bool, mask: [Bool],
    properties: IntensityProperties?, channel: Int) throws -> Void {
    switch scheme {
    case .zScore:
      if useMask {
        let selected = zip(x, mask).compactMap { $1 ? $0 : nil }
        guard !selected.isEmpty else { return }
        let (mean, std) = meanAndStd(selected)
        let divisor = max(std, epsilon)
        for n in x.indices where mask[n] { x[n] = (x[n] - mean) / divisor }
      } else {
        let (mean, std) = meanAndStd(x)
        let divisor = max(std, epsilon)
        for n in x.indices { x[n] = (x[n] - mean) / divisor }
      }
    case .ct:
      guard let p = properties else {
        throw PlansError(.invalidField, "CTNormalization of channel \(channel) needs foreground_intensity_properties_per_channel[\"\(channel)\"]", path: "plans.json")
      }
      let lo = Float(p.percentile00_5), hi = Float(p.percentile99_5)
      let mu = Float(p.mean), sd = Float(max(p.std, Double(epsilon)))
      for n in x.indices { x[n] = (min(max(x[n], lo), hi) - mu) / sd }
    case .none:
      break
    case .rescaleTo01:
      let lo = x.min() ?? 0
      for n in x.indices { x[n] -= lo }
      let hi = max(x.max() ?? 0, epsilon)
      for n in x.indices { x[n] /= hi }
    case .rgbTo01:
      guard x.allSatisfy({ $0 >= 0 && $0 <= 255 }) else {
        throw PlansError(.invalidField, "RGBTo01Normalization expects values in 0...255 in channel \(channel)", path: "input")
      }
      for n in x.indices { x[n] /= 255 }
    }
  }

  /// NumPy's float32 `mean` and `std` (ddof 0) of a contiguous array:
  /// `mean = f32(f64(S)/N)`, `std = sqrt(f32(f64(S2)/N))` with `S`, `S2` pairwise sums in float32.
  static func meanAndStd(_ x: [Float]) -> (Float, Float) {
    let n = Double(x.count)
    let mean = Float(Double(NumPySum.pairwise(x[...])) / n)
    let squares = x.map { let d = $0 - mean; return d * d }
    let variance = Float(Double(NumPySum.pairwise(squares[...])) / n)
    return (mean, variance.squareRoot())
  }

  /// NumPy's float32 pairwise sum (`pairwiseSum` for Float).
  static func pairwiseSum(_ a: ArraySlice<Float>) -> Float { NumPySum.pairwise(a) }
}
