/// Reads fixed-offset fields from a byte array in a given byte order (bounds are the caller's
/// contract: offsets come from the NIfTI layout tables and the buffer has the full header).
struct BinaryFieldReader {
  let bytes: [UInt8]
  let bigEndian: Bool

  private func raw<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
    precondition(offset >= 0 && offset + MemoryLayout<T>.size <= bytes.count, "field offset \(offset) outside header")
    var value: T = 0
    for n in 0..<MemoryLayout<T>.size {
      let byte = T(truncatingIfNeeded: bytes[offset + n])
      value |= bigEndian ? byte << (8 * (MemoryLayout<T>.size - 1 - n)) : byte << (8 * n)
    }
    return value
  }

  func int16(_ offset: Int) -> Int { Int(Int16(bitPattern: raw(offset, UInt16.self))) }
  func int32(_ offset: Int) -> Int { Int(Int32(bitPattern: raw(offset, UInt32.self))) }
  func int64(_ offset: Int) -> Int { Int(Int64(bitPattern: raw(offset, UInt64.self))) }
  func float32(_ offset: Int) -> Double { Double(Float(bitPattern: raw(offset, UInt32.self))) }
  func float64(_ offset: Int) -> Double { Double(bitPattern: raw(offset, UInt64.self)) }
  func byte(_ offset: Int) -> UInt8 { bytes[offset] }

  /// A NUL-terminated Latin-1/ASCII string field of `length` bytes.
  func string(_ offset: Int, length: Int) -> String {
    let slice = bytes[offset..<(offset + length)].prefix { $0 != 0 }
    return String(decoding: slice, as: UTF8.self)
  }
}

/// Writes fixed-offset little-endian fields into a zero-filled byte array.
struct BinaryFieldWriter {
  var bytes: [UInt8]

  init(size: Int) { bytes = [UInt8](repeating: 0, count: size) }

  private mutating func raw<T: FixedWidthInteger>(_ offset: Int, _ value: T) {
    for n in 0..<MemoryLayout<T>.size { bytes[offset + n] = UInt8(truncatingIfNeeded: value >> (8 * n)) }
  }

  mutating func int16(_ offset: Int, _ v: Int) { raw(offset, UInt16(bitPattern: Int16(v))) }
  mutating func int32(_ offset: Int, _ v: Int) { raw(offset, UInt32(bitPattern: Int32(v))) }
  mutating func int64(_ offset: Int, _ v: Int) { raw(offset, UInt64(bitPattern: Int64(v))) }
  mutating func float32(_ offset: Int, _ v: Double) { raw(offset, Float(v).bitPattern) }
  mutating func float64(_ offset: Int, _ v: Double) { raw(offset, v.bitPattern) }
  mutating func byte(_ offset: Int, _ v: UInt8) { bytes[offset] = v }
  mutating func string(_ offset: Int, length: Int, _ s: String) {
    for (n, b) in s.utf8.prefix(length - 1).enumerated() { bytes[offset + n] = b }
  }
}
