/// BINARY segmentation pixel data (PS3.3 C.8.20.2, PS3.5 8.1.1): one bit per pixel, frame after
/// frame with no padding between frames, LSB first. Pixel p of frame f (row-major) is bit
/// n = f·rows·columns + p, stored in byte n / 8 at bit n mod 8. So frames of a size that is not a
/// multiple of 8 (31 × 37 = 1,147 bits) start in the middle of a byte. The whole value is padded
/// with one zero byte to an even length.
///
/// A packer made with a `prefix` packs after it (bit n in byte `prefix.count + n / 8`), so a file's
/// header and its pixel data share one array (`DICOMEncoder.part10Prefix`) and the bits are never
/// copied.
public struct BitPacker: Sendable {
  public private(set) var bytes: [UInt8] = []
  public private(set) var bitCount = 0
  /// Bytes before the first packed bit.
  public let base: Int

  public init(reservingBits bits: Int = 0) {
    base = 0
    bytes.reserveCapacity((bits + 7) / 8 + 2)
  }

  /// Packs after `prefix`; reserves room for `bits` more when `prefix`'s capacity is smaller.
  public init(prefix: consuming [UInt8], reservingBits bits: Int) {
    bytes = prefix
    base = prefix.count
    bytes.reserveCapacity(base + (bits + 7) / 8 + 2)
  }

  /// Appends one frame: bit = 1 where `labels[p] == value`.
  public mutating func append(_ labels: [UInt8], equalTo value: UInt8) {
    let needed = base + (bitCount + labels.count + 7) / 8
    if bytes.count < needed { bytes += [UInt8](repeating: 0, count: needed - bytes.count) }
    var n = bitCount
    let base = base
    bytes.withUnsafeMutableBufferPointer { out in
      for label in labels {
        // n < bitCount + labels.count, so base + n / 8 < needed == out.count.
        if label == value { out[base + (n >> 3)] |= UInt8(1) << UInt8(n & 7) }
        n += 1
      }
    }
    bitCount = n
  }

  /// The pixel data value: the packed bits padded to an even number of bytes (without the prefix).
  public var pixelData: [UInt8] {
    let bits = Array(bytes[base...])
    return bits.count % 2 == 0 ? bits : bits + [0]
  }

  /// The number of bytes `finish` leaves after the prefix for `bits` packed bits.
  public static func paddedByteCount(bits: Int) -> Int { ((bits + 7) / 8 + 1) / 2 * 2 }

  /// The prefix and the pixel data, padded in place (no copy when the capacity was reserved); the
  /// packer is spent.
  public mutating func finish() -> [UInt8] {
    if (bytes.count - base) % 2 == 1 { bytes.append(0) }
    return bytes
  }

  /// Frame `frame` of `pixelsPerFrame` pixels unpacked from `data` to 0/1 (reading back).
  public static func unpack(_ data: [UInt8], frame: Int, pixelsPerFrame: Int) -> [UInt8]? {
    let start = frame * pixelsPerFrame
    guard frame >= 0, (start + pixelsPerFrame + 7) / 8 <= data.count else { return nil }
    return (start..<start + pixelsPerFrame).map { n in (data[n >> 3] >> UInt8(n & 7)) & 1 }
  }
}
