extension NiftiHeader {
  /// Decides version and byte order from the first four bytes (`sizeof_hdr`), as nifti_clib's
  /// `need_nhdr_swap` does when `dim[0]` is unusable; unlike nibabel we never guess from `dim[0]`
  /// (reliability.md 1.4 cases 03, 08, 09). Returns nil when `sizeof_hdr` is neither 348 nor 540
  /// in either byte order.
  static func detectLayout(_ first4: [UInt8]) -> (Version, ByteOrder)? {
    let le = Int(first4[0]) | Int(first4[1]) << 8 | Int(first4[2]) << 16 | Int(first4[3]) << 24
    let be = Int(first4[3]) | Int(first4[2]) << 8 | Int(first4[1]) << 16 | Int(first4[0]) << 24
    switch (le, be) {
    case (348, _): return (.nifti1, .little)
    case (_, 348): return (.nifti1, .big)
    case (540, _): return (.nifti2, .little)
    case (_, 540): return (.nifti2, .big)
    default: return nil
    }
  }

  /// Decodes a complete fixed header (348 or 540 bytes). Performs no validation.
  init(decoding bytes: [UInt8], version: Version, byteOrder: ByteOrder) {
    let r = BinaryFieldReader(bytes: bytes, bigEndian: byteOrder == .big)
    self.init()
    self.version = version
    self.byteOrder = byteOrder
    switch version {
    case .nifti1:
      dimInfo = r.byte(39)
      dim = (0..<8).map { r.int16(40 + 2 * $0) }
      intentParameters = (0..<3).map { r.float32(56 + 4 * $0) }
      intentCode = r.int16(68)
      datatype = r.int16(70)
      bitpix = r.int16(72)
      sliceStart = r.int16(74)
      pixdim = (0..<8).map { r.float32(76 + 4 * $0) }
      voxOffset = r.float32(108)
      sclSlope = r.float32(112)
      sclInter = r.float32(116)
      sliceEnd = r.int16(120)
      sliceCode = Int(r.byte(122))
      xyztUnits = Int(r.byte(123))
      calMax = r.float32(124)
      calMin = r.float32(128)
      sliceDuration = r.float32(132)
      toffset = r.float32(136)
      description = r.string(148, length: 80)
      auxFile = r.string(228, length: 24)
      qformCode = r.int16(252)
      sformCode = r.int16(254)
      quaternB = r.float32(256)
      quaternC = r.float32(260)
      quaternD = r.float32(264)
      qoffset = (0..<3).map { r.float32(268 + 4 * $0) }
      srow = (0..<3).map { row in (0..<4).map { r.float32(280 + 16 * row + 4 * $0) } }
      intentName = r.string(328, length: 16)
      magic = r.string(344, length: 4)
    case .nifti2:
      magic = r.string(4, length: 4)
      datatype = r.int16(12)
      bitpix = r.int16(14)
      dim = (0..<8).map { r.int64(16 + 8 * $0) }
      intentParameters = (0..<3).map { r.float64(80 + 8 * $0) }
      pixdim = (0..<8).map { r.float64(104 + 8 * $0) }
      // vox_offset is int64 in NIfTI-2; held as Double only when exactly representable.
      voxOffset = Double(r.int64(168))
      sclSlope = r.float64(176)
      sclInter = r.float64(184)
      calMax = r.float64(192)
      calMin = r.float64(200)
      sliceDuration = r.float64(208)
      toffset = r.float64(216)
      sliceStart = r.int64(224)
      sliceEnd = r.int64(232)
      description = r.string(240, length: 80)
      auxFile = r.string(320, length: 24)
      qformCode = r.int32(344)
      sformCode = r.int32(348)
      quaternB = r.float64(352)
      quaternC = r.float64(360)
      quaternD = r.float64(368)
      qoffset = (0..<3).map { r.float64(376 + 8 * $0) }
      srow = (0..<3).map { row in (0..<4).map { r.float64(400 + 32 * row + 8 * $0) } }
      sliceCode = r.int32(496)
      xyztUnits = r.int32(500)
      intentCode = r.int32(504)
      intentName = r.string(508, length: 16)
      dimInfo = r.byte(524)
    }
  }
}
