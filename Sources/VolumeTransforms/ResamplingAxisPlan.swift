/// How scipy.ndimage samples one axis: which taps of the coefficient line a coordinate reads,
/// with which weights, and whether the coordinate falls outside (`mode='constant'`).
///
/// The coefficient line is the input line itself for orders 0 and 1, and the prefiltered line
/// for order 3; with `mode='nearest'` and order 3 scipy first pads the input by
/// `ResamplingAxisPlan.cubicEdgePadding` voxels of edge replication on both sides
/// (`_prepad_for_spline_filter`) and samples the padded line at `x + 12`.
struct ResamplingAxisPlan: Sendable {
  /// Voxels of edge replication scipy adds before prefiltering in `mode='nearest'`.
  static let cubicEdgePadding = 12

  let order: InterpolationOrder
  let mode: BoundaryMode
  /// Input voxels along the axis.
  let inputLength: Int
  /// Edge voxels added on each side before prefiltering (12 or 0).
  let padding: Int
  /// Output voxels along the axis.
  let outputLength: Int
  /// Per output voxel: false when `mode == .constant` and the coordinate is outside `[0, n-1]`.
  let valid: [Bool]
  /// `outputLength · order.tapCount` indices into the coefficient line (`0 ..< lineLength`).
  let indices: [Int]
  /// `outputLength · order.tapCount` weights.
  let weights: [Double]

  /// Samples in the coefficient line (input plus padding on both sides).
  var lineLength: Int { inputLength + 2 * padding }
  /// The prefilter boundary for order 3 (nil for orders 0 and 1, which are not prefiltered).
  var prefilter: BSplineBoundary? {
    guard order == .cubic else { return nil }
    return mode == .nearest ? .reflect : .mirror
  }

  /// Plans an axis from the input coordinate of every output voxel (before padding).
  ///
  /// - Precondition: every coordinate is finite with magnitude below 2^52 (matrices and offsets
  ///   come from finite affines; scipy's integer conversion is undefined beyond that).
  init(coordinates: [Double], inputLength: Int, order: InterpolationOrder, mode: BoundaryMode) {
    precondition(inputLength >= 1, "ResamplingAxisPlan: empty input axis")
    self.order = order
    self.mode = mode
    self.inputLength = inputLength
    self.padding = (order == .cubic && mode == .nearest) ? Self.cubicEdgePadding : 0
    self.outputLength = coordinates.count
    let taps = order.tapCount
    var valid = [Bool](repeating: true, count: coordinates.count)
    var indices = [Int](repeating: 0, count: coordinates.count * taps)
    var weights = [Double](repeating: 0, count: coordinates.count * taps)
    let length = inputLength + 2 * padding
    for (o, x) in coordinates.enumerated() {
      let located = Self.locate(x + Double(padding), length: length, order: order, mode: mode)
      guard let located else {
        valid[o] = false
        continue
      }
      let i = located.indices
      let w = located.weights
      let tapIndices = [i.0, i.1, i.2, i.3]
      let tapWeights = [w.0, w.1, w.2, w.3]
      for t in 0..<taps {
        indices[o * taps + t] = tapIndices[t]
        weights[o * taps + t] = tapWeights[t]
      }
    }
    self.valid = valid
    self.indices = indices
    self.weights = weights
  }

  /// scipy's per-axis step of `NI_GeometricTransform` / `NI_ZoomShift` for a coordinate `cc`
  /// already shifted by the padding, on a coefficient line of `length` samples:
  ///
  /// - `constant`: nil (the point gets cval) unless `0 ≤ cc ≤ length - 1` (NaN is outside);
  ///   `nearest`: never nil, the coordinate is not clamped.
  /// - first tap `floor(cc) - order/2` for odd orders, `floor(cc + 0.5)` for order 0;
  /// - taps outside the line are mapped back: clamped to `0 … length-1` for `nearest`, mirrored
  ///   (`-i`, `2·length - 2 - i`) for `constant`;
  /// - weights: order 0 `[1]`; order 1 `[1 - t, 1 - (1 - t)]`; order 3 `BSplineCubic.weights`.
  @inline(__always)
  static func locate(_ cc: Double, length: Int, order: InterpolationOrder, mode: BoundaryMode)
    -> (indices: (Int, Int, Int, Int), weights: (Double, Double, Double, Double))?
  {
    if mode == .constant && !(cc >= 0 && cc <= Double(length - 1)) { return nil }
    precondition(abs(cc) < 4.5e15, "resampling coordinate \(cc) is not finite or too large")
    switch order {
    case .nearest:
      let start = Int((cc + 0.5).rounded(.down))
      return ((map(start, length, mode), 0, 0, 0), (1, 0, 0, 0))
    case .linear:
      let start = Int(cc.rounded(.down))
      let w0 = 1.0 - (cc - cc.rounded(.down))
      return ((map(start, length, mode), map(start + 1, length, mode), 0, 0), (w0, 1.0 - w0, 0, 0))
    case .cubic:
      let start = Int(cc.rounded(.down)) - 1
      let w = BSplineCubic.weights(cc)
      return (
        (map(start, length, mode), map(start + 1, length, mode), map(start + 2, length, mode), map(start + 3, length, mode)),
        w
      )
    }
  }

  /// Maps a tap index into `0 ..< length`: clamp (`nearest`) or whole-sample mirror
  /// (`constant`, scipy's spline boundary for that mode), as `map_coordinate` does.
  @inline(__always)
  static func map(_ index: Int, _ length: Int, _ mode: BoundaryMode) -> Int {
    if index >= 0 && index < length { return index }
    switch mode {
    case .nearest:
      return index < 0 ? 0 : length - 1
    case .constant:
      if length <= 1 { return 0 }
      let period = 2 * length - 2
      var i = index
      if i < 0 {
        i = period * (-i / period) + i
        i = i <= 1 - length ? i + period : -i
      } else {
        i -= period * (i / period)
        if i >= length { i = period - i }
      }
      return i
    }
  }
}
