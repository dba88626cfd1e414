/// Why a resampling was refused: its output would be empty, absurdly large or undefined. Thrown
/// before anything of the output's size is allocated. The CLI maps it to 65 (input data or model
/// plans rejected), or to 64 when the caller knows a flag (`convert --spacing`) chose the target.
public struct ResamplingError: Error, CustomStringConvertible, Sendable, Equatable {
  public enum Code: String, Sendable, CaseIterable {
    /// A spacing (source or target) is zero, negative, not finite, or there are not three.
    case invalidSpacing
    /// The output would hold more voxels than `ResamplingLimits.maxVoxels` (or overflow `Int`).
    case tooManyVoxels
    /// An output axis would have no voxels (nnU-Net's rounding gives 0).
    case emptyAxis
  }

  public var code: Code
  public var message: String
  /// The file concerned, when the caller knows it.
  public var path: String?
  /// What chose the geometry: `pixdim` (the image's voxel size), `--spacing`, a plans field.
  public var field: String?

  public init(_ code: Code, _ message: String, path: String? = nil, field: String? = nil) {
    self.code = code
    self.message = message
    self.path = path
    self.field = field
  }

  /// The same error naming `path` (the file whose geometry was refused), unless it names one.
  public func naming(_ path: String) -> ResamplingError {
    var copy = self
    copy.path = self.path ?? path
    return copy
  }

  public var description: String {
    (path.map { "\($0): " } ?? "") + (field.map { "\($0): " } ?? "") + message
  }
}

/// The one cap on what any resampling may produce, checked in one place (`checkedShape`) by every
/// path that computes an output shape: TPTBox's `rescale` (`RescaleGeometry.newShape`), skimage's
/// `resize` (`Volume.resized(toShape:)`), nnU-Net's `compute_new_shape`
/// (`NNUNetResampling.newShape`) and the sliding window's padded image.
public enum ResamplingLimits {
  /// 2³⁰ = 1 073 741 824 output voxels. Why: resampling computes in Double and the separable path
  /// holds two working arrays of the output's size (8 bytes each), so 2³⁰ voxels already need
  /// 16 GiB; 2³¹ would need 32 GiB before the network's own buffers. A whole body (about
  /// 600 × 400 × 2000 mm) at 1 mm isotropic is 4.8·10⁸ voxels, under half the cap; header or plans
  /// geometry that asks for more (spacing 1000 mm, micron read as mm, 1e-300 mm) is refused.
  public static let maxVoxels = 1 << 30

  /// Output sizes computed in Double (before rounding to `Int`), checked: every size finite and
  /// ≥ 1 (`minimumSize` 0 lets the caller clamp), the product ≤ `maxVoxels`. `what` names the
  /// operation in the message (e.g. "rescaling from 1000 mm to 1.5 mm").
  ///
  /// - Throws: `.tooManyVoxels` (also for sizes beyond `Int`), `.emptyAxis`.
  public static func checkedShape(_ sizes: [Double], what: @autoclosure () -> String, field: String? = nil)
    throws(ResamplingError) -> [Int]
  {
    var shape = [Int]()
    var total = 1.0
    for size in sizes {
      guard size.isFinite || size == .infinity else {
        throw ResamplingError(.invalidSpacing, "\(what()) gives an undefined size (\(size))", field: field)
      }
      total *= max(size, 1)
      guard size < Double(maxVoxels) + 1, total < Double(maxVoxels) + 1 else {
        throw tooLarge(what(), sizes: sizes, field: field)
      }
      shape.append(Int(size))
    }
    try check(shape, what: what(), field: field)
    return shape
  }

  /// An integer output shape checked: every size ≥ 1, the product ≤ `maxVoxels` (overflow-checked).
  public static func check(_ shape: [Int], what: @autoclosure () -> String, field: String? = nil) throws(ResamplingError) {
    if let axis = shape.firstIndex(where: { $0 < 1 }) {
      throw ResamplingError(
        .emptyAxis, "\(what()) gives \(shape[axis]) voxels along axis \(axis) (shape \(shape)); the spacing is implausible",
        field: field)
    }
    var total = 1
    for size in shape {
      let (product, overflow) = total.multipliedReportingOverflow(by: size)
      guard !overflow, product <= maxVoxels else { throw tooLarge(what(), sizes: shape.map(Double.init), field: field) }
      total = product
    }
  }

  private static func tooLarge(_ what: String, sizes: [Double], field: String?) -> ResamplingError {
    let shown = sizes.map { $0 < 1e15 ? String(Int($0)) : "\($0)" }.joined(separator: " x ")
    return ResamplingError(
      .tooManyVoxels,
      "\(what) gives \(shown) voxels, above the cap of \(maxVoxels) (2^30); check the voxel size and its units",
      field: field)
  }
}
