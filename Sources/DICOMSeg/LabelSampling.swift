import DICOMCore

/// A label map as the SEG writer reads it: voxel (i, j, k) at `voxels[i + nx·(j + ny·k)]` (i
/// fastest, NIfTI order) and the NIfTI voxel-to-world affine A (RAS+, mm, 4 × 4 rows).
public struct SegmentationLabelMap: Sendable {
  public var shape: [Int]
  public var affine: [[Double]]
  public var voxels: [UInt8]

  public init(shape: [Int], affine: [[Double]], voxels: [UInt8]) {
    precondition(
      shape.count == 3 && voxels.count == shape.reduce(1, *), "SegmentationLabelMap: shape and voxel count differ")
    self.shape = shape
    self.affine = affine
    self.voxels = voxels
  }
}

/// The label map sampled on the source series' own pixel grid: one frame of label values per
/// source slice (row-major, `rows × columns`, row i, column j at `i·columns + j`).
///
/// Mapping (dicom.md 3.3), for slice k with IPP p_k, row cosine r, column cosine c, PixelSpacing
/// (Δrow, Δcol), all LPS:
/// 1. pixel (row i, column j) has its centre at x = p_k + j·Δcol·r + i·Δrow·c (LPS);
/// 2. in RAS it is (−x₁, −x₂, x₃);
/// 3. its label-map voxel is v = A⁻¹·RAS;
/// 4. when every |v − round(v)| < 1e-3 the pixel lies on the map's grid (true whenever the map
///    sits on the series' own dcm2niix grid: a permutation and flips) and takes L[round(v)];
/// 5. otherwise (a stitched or resampled map) it takes the nearest voxel, L[round(v)], and the
///    pixel counts as resampled. Rounding is half to even; a pixel whose nearest voxel is outside
///    the map is 0 (background) and counts as outside.
///
/// Because the mapping is affine, v is computed once per slice and stepped by A⁻¹'s images of the
/// row and column steps: O(rows × columns × slices) with no per-pixel matrix product.
public struct SampledLabels: Sendable {
  public var rows: Int
  public var columns: Int
  /// One frame per source slice, in `SegmentationSource.slices` order.
  public var frames: [[UInt8]]
  /// Pixels that were not on the map's grid (step 5).
  public var resampledPixels: Int
  /// Pixels whose nearest voxel lies outside the map (labelled 0).
  public var outsidePixels: Int

  public var isResampled: Bool { resampledPixels > 0 }

  /// - Throws: `DICOMError.invalidValue` when the map's affine is singular or not finite.
  public init(map: SegmentationLabelMap, source: SegmentationSource, tolerance: Double = 1e-3) throws {
    let (rows, columns) = (source.rows, source.columns)
    self.rows = rows
    self.columns = columns
    guard let inverse = SegmentationGeometry.inverse(map.affine) else {
      throw DICOMError(.invalidValue, "the label map's affine is singular or not finite", path: "<label map>")
    }
    let r = Array(source.orientation[0..<3])
    let c = Array(source.orientation[3..<6])
    let (rowSpacing, columnSpacing) = (source.pixelSpacing[0], source.pixelSpacing[1])
    // LPS -> RAS flips x and y; then the linear part of A^-1.
    func toVoxel(_ lps: [Double], translate: Bool) -> [Double] {
      let ras = [-lps[0], -lps[1], lps[2]]
      return (0..<3).map { a in (0..<3).reduce(translate ? inverse[a][3] : 0) { $0 + inverse[a][$1] * ras[$1] } }
    }
    let stepColumn = toVoxel(r.map { $0 * columnSpacing }, translate: false)  // j -> j + 1
    let stepRow = toVoxel(c.map { $0 * rowSpacing }, translate: false)  // i -> i + 1
    let (nx, ny, nz) = (map.shape[0], map.shape[1], map.shape[2])
    var frames: [[UInt8]] = []
    frames.reserveCapacity(source.slices.count)
    var resampled = 0
    var outside = 0
    map.voxels.withUnsafeBufferPointer { voxels in
      for slice in source.slices {
        var frame = [UInt8](repeating: 0, count: rows * columns)
        let origin = toVoxel(slice.position, translate: true)
        for i in 0..<rows {
          for j in 0..<columns {
            let v0 = origin[0] + Double(i) * stepRow[0] + Double(j) * stepColumn[0]
            let v1 = origin[1] + Double(i) * stepRow[1] + Double(j) * stepColumn[1]
            let v2 = origin[2] + Double(i) * stepRow[2] + Double(j) * stepColumn[2]
            let (a, b, d) = (v0.rounded(.toNearestOrEven), v1.rounded(.toNearestOrEven), v2.rounded(.toNearestOrEven))
            if abs(v0 - a) >= tolerance || abs(v1 - b) >= tolerance || abs(v2 - d) >= tolerance { resampled += 1 }
            guard a >= 0, b >= 0, d >= 0, a < Double(nx), b < Double(ny), d < Double(nz) else {
              outside += 1
              continue
            }
            // In bounds: the index is < nx·ny·nz, which the voxel array holds.
            frame[i * columns + j] = voxels[Int(a) + nx * (Int(b) + ny * Int(d))]
          }
        }
        frames.append(frame)
      }
    }
    self.frames = frames
    resampledPixels = resampled
    outsidePixels = outside
  }
}

/// Small vector helpers on `[Double]`.
enum SegmentationGeometry {
  static func cross(_ a: [Double], _ b: [Double]) -> [Double] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
  }

  static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

  /// The inverse of an affine 4 × 4 (last row 0 0 0 1): [M⁻¹ | −M⁻¹t] via the adjugate of M;
  /// nil when M is singular or an entry is not finite.
  static func inverse(_ a: [[Double]]) -> [[Double]]? {
    let m = (0..<3).map { Array(a[$0][0..<3]) }
    let cofactor = (0..<3).map { i in
      (0..<3).map { j -> Double in
        let r = [0, 1, 2].filter { $0 != i }
        let c = [0, 1, 2].filter { $0 != j }
        let minor = m[r[0]][c[0]] * m[r[1]][c[1]] - m[r[0]][c[1]] * m[r[1]][c[0]]
        return (i + j) % 2 == 0 ? minor : -minor
      }
    }
    let determinant = (0..<3).reduce(0.0) { $0 + m[0][$1] * cofactor[0][$1] }
    guard determinant != 0, determinant.isFinite, a.joined().allSatisfy(\.isFinite) else { return nil }
    let inv = (0..<3).map { i in (0..<3).map { j in cofactor[j][i] / determinant } }
    let t = (0..<3).map { a[$0][3] }
    return (0..<3).map { i in inv[i] + [-(0..<3).reduce(0.0) { $0 + inv[i][$1] * t[$1] }] } + [[0, 0, 0, 1]]
  }
}
