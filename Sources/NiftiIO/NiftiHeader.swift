import VolumeCore

/// The fields of a NIfTI-1 (348-byte) or NIfTI-2 (540-byte) header that VibeSeg reads or writes.
///
/// Floating-point fields are held as Double; for NIfTI-1 they are exactly the stored float32
/// values. Integer fields are widened to Int. Field names follow nifti1.h / nifti2.h.
public struct NiftiHeader: Sendable, Equatable {
  public enum Version: Int, Sendable { case nifti1 = 1, nifti2 = 2 }
  public enum ByteOrder: String, Sendable { case little, big }

  public var version: Version = .nifti1
  public var byteOrder: ByteOrder = .little
  /// `dim[0...7]`: dim[0] is the number of dimensions, dim[1...dim[0]] the sizes.
  public var dim: [Int] = [3, 1, 1, 1, 1, 1, 1, 1]
  public var datatype: Int = 16
  public var bitpix: Int = 32
  /// `pixdim[0...7]`: pixdim[0] is qfac, pixdim[1...3] voxel sizes.
  public var pixdim: [Double] = [1, 1, 1, 1, 1, 1, 1, 1]
  public var voxOffset: Double = 352
  public var sclSlope: Double = 1
  public var sclInter: Double = 0
  public var calMax: Double = 0
  public var calMin: Double = 0
  public var qformCode: Int = 0
  public var sformCode: Int = 0
  public var quaternB: Double = 0
  public var quaternC: Double = 0
  public var quaternD: Double = 0
  public var qoffset: [Double] = [0, 0, 0]
  /// `srow_x`, `srow_y`, `srow_z`: the first three rows of the sform affine.
  public var srow: [[Double]] = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]
  public var xyztUnits: Int = 10
  public var intentCode: Int = 0
  public var intentParameters: [Double] = [0, 0, 0]
  public var description: String = ""
  public var dimInfo: UInt8 = 0
  public var sliceCode: Int = 0
  public var sliceStart: Int = 0
  public var sliceEnd: Int = 0
  public var sliceDuration: Double = 0
  public var toffset: Double = 0
  public var intentName: String = ""
  public var auxFile: String = ""
  /// `magic`: "n+1" / "n+2" for single files, "ni1" / "ni2" for header/image pairs.
  public var magic: String = "n+1"

  public init() {}

  /// Size of the fixed header in bytes: 348 (NIfTI-1) or 540 (NIfTI-2).
  public var headerSize: Int { version == .nifti1 ? 348 : 540 }

  /// Number of dimensions, `dim[0]`.
  public var dimensionCount: Int { dim[0] }

  /// The spatial shape `dim[1...3]`, with missing trailing axes as 1.
  public var spatialShape: [Int] { (1...3).map { $0 <= dim[0] ? dim[$0] : 1 } }

  /// Number of 3-D volumes: the product of `dim[4...dim[0]]` (1 for a 3-D image).
  public var volumeCount: Int { dim[0] < 4 ? 1 : (4...dim[0]).reduce(1) { $0 * dim[$1] } }

  public var scalarType: ScalarType? { NiftiDatatype.scalarType(for: datatype) }

  /// The scaling nibabel applies (`Nifti1Header.get_slope_inter`): none when the slope is 0 or
  /// not finite, and none for the identity (1, 0). A finite slope with a non-finite intercept is
  /// rejected during validation.
  public var scaling: (slope: Double, intercept: Double)? {
    guard sclSlope != 0, sclSlope.isFinite, sclInter.isFinite else { return nil }
    if sclSlope == 1 && sclInter == 0 { return nil }
    return (sclSlope, sclInter)
  }
}
