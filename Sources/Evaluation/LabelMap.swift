import VolumeCore

/// Label maps as the evaluation and statistics code reads them: `Volume<UInt16>`, 0 = background.
public enum LabelMap {
  /// The label map stored in `volume` (values `stored·slope + intercept` when `scaling` is given),
  /// checked to hold only whole numbers in 0...65535.
  ///
  /// Integer datatypes are taken as they are; floating-point maps are accepted when every value is
  /// integral (a label map saved as float32 by a careless tool), since segmentation files are
  /// otherwise indistinguishable from images. Negative, fractional, NaN/Inf and too-large values
  /// throw `.nonIntegerLabels` naming the first offending voxel. O(voxels), one pass.
  public static func labels(from volume: AnyVolume, scaling: (slope: Double, intercept: Double)? = nil, source: String) throws(EvaluationError) -> Volume<UInt16> {
    if scaling == nil, case .uint8(let v) = volume {
      return Volume(grid: v.grid, voxels: v.voxels.map { UInt16($0) })
    }
    if scaling == nil, case .uint16(let v) = volume { return v }
    let values = volume.converted(to: Double.self)
    let slope = scaling?.slope ?? 1, intercept = scaling?.intercept ?? 0
    var out = [UInt16](repeating: 0, count: values.voxels.count)
    for (index, raw) in values.voxels.enumerated() {
      let value = scaling == nil ? raw : raw * slope + intercept
      guard value >= 0, value <= 65535, value == value.rounded(.towardZero) else {
        let n0 = values.grid.shape[0], n1 = values.grid.shape[1]
        let i = index % n0, j = (index / n0) % n1, k = index / (n0 * n1)
        throw EvaluationError(.nonIntegerLabels,
          "not a label map: voxel (\(i), \(j), \(k)) holds \(value); labels must be whole numbers in 0...65535 (is this an image rather than a segmentation?)",
          context: source)
      }
      out[index] = UInt16(value)
    }
    return Volume(grid: values.grid, voxels: out)
  }

  /// Whether two grids describe the same voxels in the world: equal shapes and affines that agree
  /// within `toleranceMillimeters` entry-wise (default 1e-4 mm, far below any voxel size but
  /// above the float32 rounding of NIfTI's sform fields).
  public static func gridsMatch(_ a: ImageGrid, _ b: ImageGrid, toleranceMillimeters: Double = 1e-4) -> Bool {
    a.shape == b.shape && a.affine.maxAbsDifference(to: b.affine) <= toleranceMillimeters
  }
}
