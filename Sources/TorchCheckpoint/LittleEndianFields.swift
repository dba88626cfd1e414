/// Little-endian integer fields of a zip header held in a byte array.
///
/// Precondition for every accessor: `offset + width <= bytes.count`; callers check the header
/// length first, and an out-of-range offset traps through `Array`'s bounds check.
extension Array where Element == UInt8 {
  func u16(_ offset: Int) -> UInt16 {
    UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
  }

  func u32(_ offset: Int) -> UInt32 {
    UInt32(u16(offset)) | UInt32(u16(offset + 2)) << 16
  }

  func u64(_ offset: Int) -> UInt64 {
    UInt64(u32(offset)) | UInt64(u32(offset + 4)) << 32
  }
}

extension UInt64 {
  /// The value as `Int`, or nil when it does not fit (a hostile 64-bit size or offset).
  var exactInt: Int? { Int(exactly: self) }
}
