import Morphology
import VolumeCore
import VolumeTransforms

/// Algorithm A of training.md §3.2 (the supplement's "Initial Torso Segmentation"): a water image
/// made to look more like CT before TotalSegmentator runs on it.
///
/// ```
/// W'   = W;   W'[B == muscle] *= muscleFactor                         (paper: 0.8)
/// low  = I < t                                                       (in-phase image I)
/// C    = 26-connected components of low
/// bg   = ∪ {c ∈ C : c touches a face of the volume across the R-L or A-P axis (and S-I with
///          `superiorInferiorFaces`)}                                 (outside air)
/// lung = the `lungCount` largest components of C not in bg with volume ≥ lungMinimumMilliliters
/// W''  = W';  W''[bg ∪ lung] −= airOffset                             (paper: 600)
/// ```
/// The paper fixes the muscle factor and the offset; threshold and component rules are VibeSeg's
/// (documented defaults): t = `thresholdFraction` × p99.5(I) (`percentile`: NumPy's default
/// linear interpolation over all voxels), or the absolute `threshold`; k = 2 lung components of at
/// least 200 mL (the lungs may be one component through the trachea; enclosed air between arms
/// and torso and bowel gas are usually smaller). Which voxel axes are R-L, A-P and S-I comes from
/// the affine's axis codes. Values are not clamped: W'' is float32 and negative values survive.
/// 600 assumes NAKO scanner units; scale other cohorts' water images first.
///
/// Cost: one 26-connected labelling and a few passes over the voxels.
public struct WaterManipulation: Sendable {
  public struct Options: Sendable, Equatable {
    /// `1 − m`, m = 0.20 (paper).
    public var muscleFactor: Double = 0.8
    /// o = 600 (paper, NAKO units).
    public var airOffset: Double = 600
    /// t = fraction × p99.5(I) when `threshold` is nil.
    public var thresholdFraction: Double = 0.1
    /// An absolute in-phase threshold (replaces the fraction).
    public var threshold: Double?
    /// Count components touching the superior or inferior face as background too.
    public var superiorInferiorFaces = false
    public var lungCount = 2
    public var lungMinimumMilliliters: Double = 200
    /// The muscle value in the body-composition map (TotalVibe 66 by default).
    public var muscleLabel: UInt16 = 66

    public init() {}
  }

  /// What was found, for the JSON report.
  public struct Report: Sendable, Codable, Equatable {
    public var percentile995: Double
    public var threshold: Double
    /// Voxel axes (0 = i) whose two faces make a component background.
    public var backgroundFaceAxes: [Int]
    public var backgroundVoxels: Int
    /// Volumes (mL) of the components taken as lung, largest first.
    public var lungComponentMilliliters: [Double]
    /// Volume of the largest interior component that was not taken (mL), 0 when none.
    public var largestOtherInteriorMilliliters: Double
    public var muscleVoxels: Int
  }

  public struct Result: Sendable {
    public var water: Volume<Float>
    public var background: Volume<UInt8>
    public var lung: Volume<UInt8>
    public var report: Report
  }

  public var options: Options

  public init(_ options: Options = Options()) { self.options = options }

  /// NumPy `np.percentile(x, q)` (method "linear"), q in 0...100, with NumPy's arithmetic: the
  /// virtual index `n·p + (1 − p) − 1` (p = q/100, NumPy's `alpha = beta = 1` form), then
  /// `a + (b − a)·g` for g < 0.5 and `b − (b − a)·(1 − g)` otherwise (`numpy._lerp`), between the
  /// sorted values a, b at the floor of the index and the next one.
  /// - Precondition: `values` is not empty.
  public static func percentile(_ values: [Float], _ q: Double) -> Double {
    precondition(!values.isEmpty, "percentile of nothing")
    let sorted = values.sorted()
    let n = sorted.count, p = q / 100
    let index = Double(n) * p + (1 + p * (1 - 1 - 1)) - 1
    let below = index.rounded(.down)
    let lo = min(max(Int(below), 0), n - 1), hi = min(max(Int(below) + 1, 0), n - 1)
    let g = index - below
    let a = Double(sorted[lo]), b = Double(sorted[hi])
    return g >= 0.5 ? b - (b - a) * (1 - g) : a + (b - a) * g
  }

  /// - Precondition: `water`, `inPhase` (and `bodyComposition`) share one grid, checked by the
  ///   caller (`WaterManipulationJob`).
  /// - Throws: `VibeSegKitError(.invalidInput)` when the affine has no axis codes (no R-L/A-P axes).
  public func run(water: Volume<Float>, inPhase: Volume<Float>, bodyComposition: Volume<UInt16>?) throws(VibeSegKitError) -> Result {
    precondition(water.shape == inPhase.shape && bodyComposition.map { $0.shape == water.shape } ?? true,
      "WaterManipulation: inputs on different grids")
    guard let orientation = water.grid.orientation else {
      throw VibeSegKitError(.invalidInput, "the affine has no axis codes; cannot tell the R-L and A-P axes apart")
    }
    let shape = water.shape
    let p995 = Self.percentile(inPhase.voxels, 99.5)
    let t = options.threshold ?? options.thresholdFraction * p995
    let low = inPhase.voxels.map { Double($0) < t ? UInt8(1) : 0 }
    let components = ConnectedComponents(mask: low, shape: shape, connectivity: .twentySix)
    let faceAxes = (0..<3).filter { axis in
      let world = orientation.directions[axis].worldAxis
      return world < 2 || options.superiorInferiorFaces
    }
    var touches = [Bool](repeating: false, count: components.count + 1)
    let n0 = shape[0], n1 = shape[1], n2 = shape[2]
    components.componentIndex.withUnsafeBufferPointer { index in
      // Each face of a face axis: the voxels with that axis' index 0 or n − 1.
      for axis in faceAxes {
        let n = shape[axis]
        for x in Set([0, n - 1]) {
          for k in (axis == 2 ? x..<x + 1 : 0..<n2) {
            for j in (axis == 1 ? x..<x + 1 : 0..<n1) {
              for i in (axis == 0 ? x..<x + 1 : 0..<n0) { touches[Int(index[i + n0 * (j + n1 * k)])] = true }
            }
          }
        }
      }
    }
    touches[0] = false
    let voxelMilliliters = water.grid.spacingMillimeters.reduce(1, *) / 1000
    let interior = components.rankedBySize().filter { !touches[$0] }
    let lungComponents = Array(
      interior.filter { Double(components.sizes[$0 - 1]) * voxelMilliliters >= options.lungMinimumMilliliters }
        .prefix(options.lungCount))
    var isLung = [Bool](repeating: false, count: components.count + 1)
    for c in lungComponents { isLung[c] = true }
    let other = interior.first { !isLung[$0] }.map { Double(components.sizes[$0 - 1]) * voxelMilliliters } ?? 0

    var out = water.voxels
    var background = [UInt8](repeating: 0, count: out.count)
    var lung = [UInt8](repeating: 0, count: out.count)
    var muscleVoxels = 0
    let factor = Float(options.muscleFactor), offset = Float(options.airOffset)
    for p in out.indices {
      if let b = bodyComposition, b.voxels[p] == options.muscleLabel {
        out[p] *= factor
        muscleVoxels += 1
      }
      let c = Int(components.componentIndex[p])
      if touches[c] { background[p] = 1 }
      if isLung[c] { lung[p] = 1 }
      if touches[c] || isLung[c] { out[p] -= offset }
    }
    let report = Report(
      percentile995: p995, threshold: t, backgroundFaceAxes: faceAxes, backgroundVoxels: background.reduce(0) { $0 + Int($1) },
      lungComponentMilliliters: lungComponents.map { Double(components.sizes[$0 - 1]) * voxelMilliliters },
      largestOtherInteriorMilliliters: other, muscleVoxels: muscleVoxels)
    return Result(
      water: Volume(grid: water.grid, voxels: out), background: Volume(grid: water.grid, voxels: background),
      lung: Volume(grid: water.grid, voxels: lung), report: report)
  }
}
