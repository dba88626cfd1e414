/// Surface voxels of a binary mask, as MONAI defines them for its surface metrics.
///
/// A voxel is on the boundary when it is foreground and at least one of its 6 face neighbours is
/// background or lies outside the array: `mask ^ scipy.ndimage.binary_erosion(mask)` with scipy's
/// default cross-shaped structure (`generate_binary_structure(3, 1)`) and `border_value=0`. This is
/// what `monai.metrics.utils.get_mask_edges(pred, gt, crop=True, spacing=None)` returns (its crop
/// pads one background voxel around the union bounding box, so voxels on the image border count
/// as boundary, exactly as with `border_value=0`).
///
/// Edge cases: an empty mask has no boundary; a mask one voxel thick along any axis is all
/// boundary. Complexity O(voxels), one pass.
public enum Boundary {
  /// The boundary of `mask` (`shape.count == 3`, i fastest, nonzero = foreground), as 0/1 bytes.
  ///
  /// - Precondition: `mask.count == shape[0]·shape[1]·shape[2]`.
  public static func innerBoundary(of mask: [UInt8], shape: [Int]) -> [UInt8] {
    precondition(shape.count == 3 && mask.count == shape[0] * shape[1] * shape[2], "Boundary: mask/shape mismatch")
    var out = [UInt8](repeating: 0, count: mask.count)
    mask.withUnsafeBufferPointer { m in
      out.withUnsafeMutableBufferPointer { o in markBoundary(m, into: o, shape: shape) }
    }
    return out
  }
}
