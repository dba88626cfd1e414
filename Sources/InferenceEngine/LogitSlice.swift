/// A contiguous range of classes of one tile's logits over a contiguous range of its voxels, read
/// where they lie: in the segmentation head's blocked buffer (`nCdhw8c`, handed out by
/// `UNet.forward(input:shape:slices:)`, a few depth slices of the tile at a time) or in a plain
/// `[K, D, H, W]` array.
///
/// Class `c` (absolute, `classes.contains(c)`) at voxel `v = (d·H + h)·W + w` of the tile
/// (`held.contains(v)`) is `base[((r / B)·N + v - held.lowerBound)·B + r % B]` with
/// `r = c - classes.lowerBound`, `N = held.count` and `B` the block width (8 for the head's
/// buffer, 1 for a plain array: `base[r·N + v - held.lowerBound]`).
///
/// Valid only inside the callback that receives it: the head reuses its buffer for the next slice.
public struct LogitSlice: @unchecked Sendable {
  /// The absolute class indices this slice holds.
  public let classes: Range<Int>
  /// Voxels of the whole tile, `D·H·W`.
  public let voxels: Int
  /// The tile voxels this slice holds (whole depth slices of the tile: `d·H·W ..< d'·H·W`).
  public let held: Range<Int>
  let base: UnsafePointer<Float>
  let blockWidth: Int

  /// `held`: nil for the whole tile.
  init(blocked base: UnsafePointer<Float>, classes: Range<Int>, voxels: Int, held: Range<Int>? = nil) {
    self.base = base
    self.classes = classes
    self.voxels = voxels
    self.held = held ?? 0..<voxels
    blockWidth = 8
  }

  /// A slice over a plain `[classes.count, voxels]` array (class-major, C order): the whole tile.
  public init(plain base: UnsafePointer<Float>, classes: Range<Int>, voxels: Int) {
    self.base = base
    self.classes = classes
    self.voxels = voxels
    held = 0..<voxels
    blockWidth = 1
  }

  /// Copies the logits of class `c` at tile voxels `first ..< first + count` (inside `held`)
  /// into `destination`.
  @inline(__always)
  public func copy(class c: Int, from first: Int, count: Int, into destination: UnsafeMutablePointer<Float>) {
    // Checked in -Ounchecked builds too (one branch per row).
    if !classes.contains(c) || first < held.lowerBound || first + count > held.upperBound {
      fatalError("LogitSlice.copy: class \(c) voxels \(first)..<\(first + count) outside \(classes), \(held)")
    }
    let r = c - classes.lowerBound
    let (n, v) = (held.count, first - held.lowerBound)
    if blockWidth == 1 {
      destination.update(from: base + r * n + v, count: count)
    } else {
      let source = base + ((r / 8) * n + v) * 8 + r % 8
      for i in 0..<count { destination[i] = source[8 * i] }
    }
  }
}
