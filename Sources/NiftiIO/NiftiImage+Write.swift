import Foundation
import VolumeCore

/// How to write.
public struct NiftiWriteOptions: Sendable {
  /// libdeflate level 1...12 for `.nii.gz` (nibabel writes zlib level 1).
  public var compressionLevel = 4
  /// Threads compressing gzip members at once.
  public var threads = UsableCores.count
  public init() {}
}

extension NiftiImage {
  /// The header this image is written with: NIfTI-1 unless a dimension exceeds 32767 (then
  /// NIfTI-2); datatype and bitpix from the voxels; the affine in both sform and qform (codes
  /// kept from the source header when set, else 1 = scanner); `scl_slope`/`scl_inter` from
  /// `scaling` (1, 0 when none); vox_offset 352 (NIfTI-1) or 544 (NIfTI-2); no extensions.
  /// Units, description and intent are kept from `header`.
  public var headerForWriting: NiftiHeader {
    var h = header
    let shape = grid.shape
    let channels = volume.channelCount
    let large = shape.contains { $0 > Int(Int16.max) } || channels > Int(Int16.max)
    h.version = large ? .nifti2 : .nifti1
    h.byteOrder = .little
    h.magic = large ? "n+2" : "n+1"
    h.dim = [channels > 1 ? 4 : 3, shape[0], shape[1], shape[2], channels, 1, 1, 1]
    let type = volume.scalarType
    h.datatype = Int(NiftiDatatype.code(for: type))
    h.bitpix = type.byteCount * 8
    h.pixdim = [1, 1, 1, 1, channels > 1 ? (header.pixdim[4] == 0 ? 1 : header.pixdim[4]) : 1, 1, 1, 1]
    let code = (1...5).contains(header.sformCode) ? header.sformCode : ((1...5).contains(header.qformCode) ? header.qformCode : 1)
    h.setAffine(grid.affine, code: code)
    h.sclSlope = scaling?.slope ?? 1
    h.sclInter = scaling?.intercept ?? 0
    h.voxOffset = large ? 544 : 352
    if h.xyztUnits == 0 { h.xyztUnits = 10 }  // mm, s
    return h
  }

  /// Writes the image atomically (temporary file in the same folder, fsync, rename), replacing
  /// an existing file; with `transaction`, stages it there instead (published by its `commit`,
  /// under its overwrite rule). `.nii.gz` is gzip-compressed (multi-member, see
  /// `GzipMemberWriter`), `.nii` is plain.
  public func write(to url: URL, options: NiftiWriteOptions = NiftiWriteOptions(), in transaction: OutputTransaction? = nil) throws {
    let path = url.path
    guard NiftiFileName.isNifti(path) else {
      throw NiftiError(.cannotCreateOutput, "output must end in .nii or .nii.gz", path: path)
    }
    guard grid.affine.isFinite, grid.affine.determinant != 0 else {
      throw NiftiError(.cannotCreateOutput, "the affine is singular or not finite; refusing to write a file without orientation", path: path, field: "affine")
    }
    let headerBytes = headerForWriting.encoded()
    let body = { (file: FileDescriptor) throws in
      try volume.apply { v in
        try v.withUnsafeVoxelBytes { data in
          if NiftiFileName.isCompressed(path) {
            let writer = GzipMemberWriter(file: file, level: options.compressionLevel, threads: options.threads)
            try headerBytes.withUnsafeBytes { try writer.write($0) }
            try writer.write(data)
          } else {
            try headerBytes.withUnsafeBytes { try file.write($0) }
            try file.write(data)
          }
        }
      }
    }
    if let transaction {
      try transaction.stage(url, body)
    } else {
      try AtomicFile.write(to: path, body)
    }
  }
}
