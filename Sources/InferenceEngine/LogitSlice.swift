/// A contiguous range of classes of one tile's logits, read where they lie: in the segmentation
/// head's blocked buffer (`nCdhw8c`, handed out by `UNet.forward(input:shape:slices:)`) or in a
/// plain `[K, D, H, W]` array.
///
/// Class `c` (absolute, `classes.contains(c)`) at voxel `v = (d·H + h)·W + w` of the tile is
/// `base[((r / B)·V + v)·B + r % B]` with `r = c - classes.lowerBound`, `V = D·H·W` and `B` the
/// block width (8 for the head's buffer, 1 for a plain array: `base[r·V + v]`).
///
/// Valid only inside the callback that receives it: the head reuses its buffer for the next slice.
public struct LogitSlice: @unchecked Sendable {
  /// The absolute class indices this slice holds.
  public let classes: Range<Int>
  /// Voxels of the tile, `D·H·W`.
  public let voxels: Int
  let base: UnsafePointer<Float>
  let blockWidth: Int

  init(blocked base: UnsafePointer<Float>, classes: Range<Int>, voxels: Int) {
    self.base = base
    self.classes = classes
    self.voxels = voxels
    blockWidth = 8
  }

  /// A slice over a plain `[classes.count, voxels]` array (class-major, C order).
  public init(plain base: UnsafePointer<Float>, classes: Range<Int>, voxels: Int) {
    self.base = base
    self.classes = classes
    self.voxels = voxels
    blockWidth = 1
  }

  /// Copies the logits of class `c` at voxels `first ..< first + count` into `destination`.
  @inline(__always)
  public func copy(class c: Int, from first: Int, count: Int, into destination: UnsafeMutablePointer<Float>) {
    // Checked in -Ounchecked builds too (one branch per row).
    if !classes.contains(c) || first < 0 || first + count > voxels {
      fatalError("LogitSlice.copy: class \(c) voxels \(first)..<\(first + count) outside \(classes), 0..<\(voxels)")
    }
    let r = c - classes.lowerBound
    if blockWidth == 1 {
      destination.update(from: base + r * voxels + first, count: count)
    } else {
      let source = base + ((r / 8) * voxels + first) * 8 + r % 8
      for i in 0..<count { destination[i] = source[8 * i] }
    }
  }
}
