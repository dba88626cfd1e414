import VolumeCore

extension NiftiHeader {
  /// Checks every field the reader relies on (reliability.md 1.4 and 1.8): errors throw a
  /// `NiftiError` naming `path` and the field; fixable oddities come back as warnings.
  ///
  /// Rejected: magic other than `n+1`/`n+2` (pair files `ni1`/`ni2` included), `dim[0]` outside
  /// 1...7, any `dim[1...dim[0]]` < 1, datatypes other than the ten supported, `vox_offset` not a
  /// finite integer or below the header (+4 extension bytes), non-finite or zero `pixdim[1...3]`,
  /// a finite non-zero slope with an infinite slope or a non-finite intercept, voxel count or
  /// byte size overflowing Int64. Warned: `bitpix` inconsistent with the datatype, negative
  /// `pixdim` (absolute value used), qfac not ±1 (1 used), xform codes outside 0...5,
  /// `vox_offset` not a multiple of 16, more than one volume along dims 5...7.
  func validate(path: String) throws -> [NiftiWarning] {
    var warnings = [NiftiWarning]()
    func reject(_ code: NiftiError.Code, _ field: String, _ message: String) -> NiftiError {
      NiftiError(code, message, path: path, field: field)
    }
    let expectedMagic = version == .nifti1 ? "n+1" : "n+2"
    guard magic == expectedMagic else {
      if magic == "ni1" || magic == "ni2" {
        throw reject(.unsupported, "magic", "'\(magic)' marks a header/image pair (.hdr/.img), but this is a single file; single-file NIfTI needs '\(expectedMagic)'")
      }
      throw reject(.notNifti, "magic", "'\(magic.debugDescription)' is not a NIfTI-\(version.rawValue) magic (expected '\(expectedMagic)')")
    }
    guard (1...7).contains(dim[0]) else {
      throw reject(.invalidHeader, "dim[0]", "\(dim[0]) is outside 1...7")
    }
    for n in 1...dim[0] where dim[n] < 1 {
      throw reject(.invalidHeader, "dim[\(n)]", "size \(dim[n]) is not positive")
    }
    guard let type = scalarType else {
      throw reject(.unsupported, "datatype", "unsupported datatype \(NiftiDatatype.name(of: datatype)); VibeSeg reads uint8, int8, int16, uint16, int32, uint32, int64, uint64, float32, float64")
    }
    if bitpix != type.byteCount * 8 {
      warnings.append(NiftiWarning(field: "bitpix", message: "\(bitpix) does not match datatype \(type.rawValue) (\(type.byteCount * 8)); datatype used"))
    }
    _ = try dataByteCount(path: path)
    guard voxOffset.isFinite, let offset = Int(exactly: voxOffset) else {
      throw reject(.invalidHeader, "vox_offset", "\(voxOffset) is not a finite whole number of bytes")
    }
    guard offset >= headerSize + 4 else {
      throw reject(.invalidHeader, "vox_offset", "\(offset) is inside the header (minimum \(headerSize + 4))")
    }
    if offset % 16 != 0 {
      warnings.append(NiftiWarning(field: "vox_offset", message: "\(offset) is not a multiple of 16"))
    }
    for n in 1...3 {
      let p = pixdim[n]
      guard p.isFinite else { throw reject(.invalidHeader, "pixdim[\(n)]", "voxel size \(p) is not finite") }
      guard p != 0 else { throw reject(.invalidHeader, "pixdim[\(n)]", "voxel size is 0; volumes and resampling would be wrong") }
      if p < 0 { warnings.append(NiftiWarning(field: "pixdim[\(n)]", message: "negative voxel size \(p); its absolute value is used")) }
    }
    if pixdim[0] != 1 && pixdim[0] != -1 {
      warnings.append(NiftiWarning(field: "pixdim[0]", message: "qfac \(pixdim[0]) is not ±1; 1 is used"))
    }
    if sclSlope != 0 && !sclSlope.isNaN {
      guard sclSlope.isFinite else { throw reject(.invalidHeader, "scl_slope", "\(sclSlope) is not finite") }
      guard sclInter.isFinite else { throw reject(.invalidHeader, "scl_inter", "\(sclInter) is not finite while scl_slope is \(sclSlope)") }
    }
    if !Self.validXformCodes.contains(qformCode) {
      warnings.append(NiftiWarning(field: "qform_code", message: "\(qformCode) is not a valid code (0...5); treated as 0"))
    }
    if !Self.validXformCodes.contains(sformCode) {
      warnings.append(NiftiWarning(field: "sform_code", message: "\(sformCode) is not a valid code (0...5); treated as 0"))
    }
    if dim[0] > 4 && (5...dim[0]).contains(where: { dim[$0] > 1 }) {
      warnings.append(NiftiWarning(field: "dim[5...7]", message: "dimensions beyond the 4th are flattened into the volume axis"))
    }
    return warnings
  }

  /// The spatial unit code, `xyzt_units & 7`: 0 unknown, 1 metre, 2 millimetre, 3 micron
  /// (4...7 are not NIfTI codes).
  public var spatialUnitCode: Int { xyztUnits & 7 }

  /// The units rule: VibeSeg treats `pixdim` and the affines as millimetres, as nibabel, nnU-Net
  /// and TotalVibeSegmentator do (they ignore `xyzt_units`). Code 2 (mm) and 0 (unknown, read as
  /// mm) are accepted. Metre (1), micron (3) and the undefined codes 4...7 would make every size
  /// wrong by 1000× (or undefined), and converting them would silently disagree with upstream, so
  /// they are refused (`.unsupported`, field `xyzt_units`) unless `accept` (`vibeseg info`), which
  /// gets a warning instead.
  func checkSpatialUnits(path: String, accept: Bool) throws -> [NiftiWarning] {
    let code = spatialUnitCode
    guard code != 0 && code != 2 else { return [] }
    let name = code == 1 ? "metre" : code == 3 ? "micron" : "undefined code \(code)"
    let message = "spatial unit is \(name) (xyzt_units & 7 = \(code)); VibeSeg reads voxel sizes and affines as mm"
    if accept { return [NiftiWarning(field: "xyzt_units", message: message + ": sizes below are the stored numbers, not mm")] }
    throw NiftiError(.unsupported, message + " and refuses other units rather than misread them; rewrite the header in mm (xyzt_units 2 or 10)", path: path, field: "xyzt_units")
  }

  /// Voxel count (`dim[1]·...·dim[dim[0]]`) and data size in bytes, by checked multiplication.
  func dataByteCount(path: String) throws -> (voxels: Int, bytes: Int) {
    var count = 1
    for n in 1...max(1, min(dim[0], 7)) {
      let (product, overflow) = count.multipliedReportingOverflow(by: dim[n])
      guard !overflow else {
        throw NiftiError(.tooLarge, "voxel count overflows 64-bit integers (dims \(Array(dim[1...dim[0]])))", path: path, field: "dim")
      }
      count = product
    }
    let itemSize = scalarType?.byteCount ?? 1
    let (bytes, overflow) = count.multipliedReportingOverflow(by: itemSize)
    guard !overflow else {
      throw NiftiError(.tooLarge, "data size overflows 64-bit integers (\(count) voxels)", path: path, field: "dim")
    }
    return (count, bytes)
  }
}
