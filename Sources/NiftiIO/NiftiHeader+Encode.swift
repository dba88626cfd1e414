extension NiftiHeader {
  /// Serialises the header, little-endian, followed by the 4-byte extension flag (all zero: no
  /// extensions are written) and zero padding up to `vox_offset`.
  func encoded() -> [UInt8] {
    let total = Int(voxOffset)
    precondition(total >= headerSize + 4, "vox_offset \(voxOffset) below header size")
    var w = BinaryFieldWriter(size: total)
    switch version {
    case .nifti1:
      w.int32(0, 348)
      w.byte(38, UInt8(ascii: "r"))  // `regular`, as nibabel writes
      w.byte(39, dimInfo)
      for n in 0..<8 { w.int16(40 + 2 * n, dim[n]) }
      for n in 0..<3 { w.float32(56 + 4 * n, intentParameters[n]) }
      w.int16(68, intentCode)
      w.int16(70, datatype)
      w.int16(72, bitpix)
      w.int16(74, sliceStart)
      for n in 0..<8 { w.float32(76 + 4 * n, pixdim[n]) }
      w.float32(108, voxOffset)
      w.float32(112, sclSlope)
      w.float32(116, sclInter)
      w.int16(120, sliceEnd)
      w.byte(122, UInt8(truncatingIfNeeded: sliceCode))
      w.byte(123, UInt8(truncatingIfNeeded: xyztUnits))
      w.float32(124, calMax)
      w.float32(128, calMin)
      w.float32(132, sliceDuration)
      w.float32(136, toffset)
      w.string(148, length: 80, description)
      w.string(228, length: 24, auxFile)
      w.int16(252, qformCode)
      w.int16(254, sformCode)
      w.float32(256, quaternB)
      w.float32(260, quaternC)
      w.float32(264, quaternD)
      for n in 0..<3 { w.float32(268 + 4 * n, qoffset[n]) }
      for row in 0..<3 { for n in 0..<4 { w.float32(280 + 16 * row + 4 * n, srow[row][n]) } }
      w.string(328, length: 16, intentName)
      w.string(344, length: 4, "n+1")
    case .nifti2:
      w.int32(0, 540)
      for (n, b) in [UInt8](arrayLiteral: 0x6E, 0x2B, 0x32, 0, 0x0D, 0x0A, 0x1A, 0x0A).enumerated() { w.byte(4 + n, b) }
      w.int16(12, datatype)
      w.int16(14, bitpix)
      for n in 0..<8 { w.int64(16 + 8 * n, dim[n]) }
      for n in 0..<3 { w.float64(80 + 8 * n, intentParameters[n]) }
      for n in 0..<8 { w.float64(104 + 8 * n, pixdim[n]) }
      w.int64(168, Int(voxOffset))
      w.float64(176, sclSlope)
      w.float64(184, sclInter)
      w.float64(192, calMax)
      w.float64(200, calMin)
      w.float64(208, sliceDuration)
      w.float64(216, toffset)
      w.int64(224, sliceStart)
      w.int64(232, sliceEnd)
      w.string(240, length: 80, description)
      w.string(320, length: 24, auxFile)
      w.int32(344, qformCode)
      w.int32(348, sformCode)
      w.float64(352, quaternB)
      w.float64(360, quaternC)
      w.float64(368, quaternD)
      for n in 0..<3 { w.float64(376 + 8 * n, qoffset[n]) }
      for row in 0..<3 { for n in 0..<4 { w.float64(400 + 32 * row + 8 * n, srow[row][n]) } }
      w.int32(496, sliceCode)
      w.int32(500, xyztUnits)
      w.int32(504, intentCode)
      w.string(508, length: 16, intentName)
      w.byte(524, dimInfo)
    }
    return w.bytes
  }
}
