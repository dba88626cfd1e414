import VolumeCore
import VolumeTransforms

/// One slice in the mosaic: where it sits on the canvas and which voxels it shows.
public struct PreviewTile: Sendable, Equatable {
  public var view: PreviewView
  /// The tile's pixels on the canvas.
  public var rect: PixelRect
  /// The input file's voxel axis the slice cuts (0 = i, 1 = j, 2 = k) and the slice's index on it.
  public var fileAxis: Int
  public var fileIndex: Int

  let fileShape: [Int]
  /// File linear offset of the slice, and the offsets added per tile row and column.
  let sliceOffset: Int
  let rowOffsets: [Int]
  let columnOffsets: [Int]

  /// The input file's voxel `[i, j, k]` drawn at canvas pixel (`x`, `y`); nil outside the tile.
  public func voxel(atX x: Int, y: Int) -> [Int]? {
    guard rect.contains(x: x, y: y) else { return nil }
    var offset = sliceOffset + rowOffsets[y - rect.y] + columnOffsets[x - rect.x]
    let i = offset % fileShape[0]
    offset /= fileShape[0]
    return [i, offset % fileShape[1], offset / fileShape[1]]
  }
}

/// The canonical display frame: the voxel grid as if reoriented to LPS (i towards the patient's
/// left, j posterior, k superior; DICOM's patient axes), without copying voxels. Canonical axis `a`
/// is file axis `fileAxis[a]`, reversed where `reversed[a]`; nibabel's `io_orientation` decides,
/// as in `Volume.reoriented(to: .lps)`.
struct PreviewFrame {
  let fileShape: [Int]
  let fileAxis: [Int]
  let reversed: [Bool]
  /// Canonical sizes and spacings (mm).
  let shape: [Int]
  let spacing: [Double]

  init(grid: ImageGrid) throws(VibeSegKitError) {
    let transform: OrientationArray
    do {
      transform = try grid.orientationTransform(to: .lps)
    } catch {
      throw VibeSegKitError(.unsupportedImage, error.message, underlying: error)
    }
    var fileAxis = [0, 0, 0]
    var reversed = [false, false, false]
    for (n, row) in transform.rows.enumerated() {
      fileAxis[row!.axis] = n
      reversed[row!.axis] = row!.direction == -1
    }
    let fileSpacing = grid.spacingMillimeters
    fileShape = grid.shape
    self.fileAxis = fileAxis
    self.reversed = reversed
    shape = fileAxis.map { grid.shape[$0] }
    spacing = fileAxis.map { fileSpacing[$0] }
  }

  /// File index along `fileAxis[axis]` of canonical position `position`.
  func fileIndex(axis: Int, position: Int) -> Int {
    reversed[axis] ? shape[axis] - 1 - position : position
  }

  /// File linear offset contributed by canonical position `position` on canonical `axis`.
  func offset(axis: Int, position: Int) -> Int {
    let stride = [1, fileShape[0], fileShape[0] * fileShape[1]][fileAxis[axis]]
    return fileIndex(axis: axis, position: position) * stride
  }

  /// Canonical position of file index `index` on file axis `n`.
  func canonicalPosition(fileAxis n: Int, index: Int) -> (axis: Int, position: Int) {
    let axis = fileAxis.firstIndex(of: n)!
    return (axis, reversed[axis] ? shape[axis] - 1 - index : index)
  }
}

extension PreviewView {
  /// Canonical (LPS) axes: the one the slices cut, the one along tile columns and the one along
  /// tile rows, the latter two with whether screen order runs against the axis.
  var axes: (slice: Int, column: (axis: Int, flip: Bool), row: (axis: Int, flip: Bool)) {
    switch self {
    case .axial: (2, (0, false), (1, false))  // columns R→L, rows A→P
    case .coronal: (1, (0, false), (2, true))  // columns R→L, rows S→I
    case .sagittal: (0, (1, false), (2, true))  // columns A→P, rows S→I
    }
  }

  /// How the caption states the screen directions.
  var directions: String {
    switch self {
    case .axial: "R left, A top"
    case .coronal: "R left, S top"
    case .sagittal: "A left, S top"
    }
  }
}

extension PreviewFrame {
  /// Pixels along canonical `axis` at `pixelSize` mm per pixel: `max(1, round(n · spacing / pixelSize))`.
  func pixels(axis: Int, pixelSize: Double) -> Int {
    max(1, Int((Double(shape[axis]) * spacing[axis] / pixelSize).rounded(.toNearestOrEven)))
  }

  /// File offsets for each pixel along a screen direction: pixel `p` samples canonical index
  /// `min(n − 1, floor((p + 0.5) · pixelSize / spacing))` (nearest neighbour at pixel centres),
  /// counted from the far end when `flip`.
  func offsets(axis: Int, flip: Bool, pixelSize: Double) -> [Int] {
    let n = shape[axis]
    return (0..<pixels(axis: axis, pixelSize: pixelSize)).map { p in
      let q = min(n - 1, Int(((Double(p) + 0.5) * pixelSize / spacing[axis]).rounded(.down)))
      return offset(axis: axis, position: flip ? n - 1 - q : q)
    }
  }

  /// Canonical slice positions for a view: `count` slices (at most the extent) at the centres of
  /// equal parts of `lower...upper`: `lower + floor((t + 0.5) · m / count)`, m = extent.
  static func slicePositions(lower: Int, upper: Int, count: Int) -> [Int] {
    let extent = upper - lower + 1
    let used = min(count, extent)
    return (0..<used).map { t in lower + (2 * t + 1) * extent / (2 * used) }
  }
}
