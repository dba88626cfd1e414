import CZlib

/// A small PNG reader written for checking our own output in tests (independent of libpng): 8-bit
/// gray, gray+alpha, RGB and RGBA, non-interlaced. Verifies the signature, every chunk's CRC-32,
/// IHDR, the zlib stream (via zlib `uncompress`) and the filter bytes (None, Sub, Up, Average,
/// Paeth, PNG spec section 9). Alpha is dropped and gray is expanded, giving an RGB canvas.
package enum PNGDecoder {
  package static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  /// Width and height from the IHDR chunk, without decoding the pixels.
  package static func size(of bytes: [UInt8]) throws(VibeSegKitError) -> (width: Int, height: Int) {
    guard bytes.count >= 33, Array(bytes[0..<8]) == signature, Array(bytes[12..<16]) == Array("IHDR".utf8) else {
      throw VibeSegKitError(.invalidOption, "not a PNG file (no signature followed by IHDR)")
    }
    return (be32(bytes, 16), be32(bytes, 20))
  }

  package static func decode(_ bytes: [UInt8]) throws(VibeSegKitError) -> PreviewCanvas {
    func bad(_ why: String) -> VibeSegKitError { VibeSegKitError(.invalidOption, "malformed PNG: \(why)") }
    guard bytes.count >= 8, Array(bytes[0..<8]) == signature else { throw bad("bad signature") }
    var offset = 8
    var width = 0
    var height = 0
    var channels = 0
    var idat = [UInt8]()
    var sawEnd = false
    while offset + 12 <= bytes.count && !sawEnd {
      let length = be32(bytes, offset)
      guard length <= bytes.count - offset - 12 else { throw bad("chunk at \(offset) runs past the end") }
      let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
      let data = Array(bytes[(offset + 8)..<(offset + 8 + length)])
      let stored = UInt32(be32(bytes, offset + 8 + length))
      let computed = bytes[(offset + 4)..<(offset + 8 + length)].withContiguousStorageIfAvailable { b in
        UInt32(crc32(0, b.baseAddress, UInt32(b.count)))
      }!
      guard stored == computed else { throw bad("CRC mismatch in \(type)") }
      switch type {
      case "IHDR":
        guard length == 13 else { throw bad("IHDR length \(length)") }
        width = be32(data, 0)
        height = be32(data, 4)
        guard data[8] == 8, data[10] == 0, data[11] == 0, data[12] == 0 else {
          throw bad("only 8-bit, deflate, adaptive-filter, non-interlaced images are read")
        }
        switch data[9] {
        case 0: channels = 1
        case 2: channels = 3
        case 4: channels = 2
        case 6: channels = 4
        default: throw bad("colour type \(data[9]) (palettes are not read)")
        }
      case "IDAT": idat += data
      case "IEND": sawEnd = true
      default: break
      }
      offset += 12 + length
    }
    guard sawEnd, width > 0, height > 0, channels > 0 else { throw bad("missing IHDR or IEND") }
    let stride = width * channels
    var raw = [UInt8](repeating: 0, count: height * (stride + 1))
    var rawLength = uLongf(raw.count)
    let status = raw.withUnsafeMutableBufferPointer { out in
      idat.withUnsafeBufferPointer { input in
        uncompress(out.baseAddress, &rawLength, input.baseAddress, uLong(input.count))
      }
    }
    guard status == Z_OK, Int(rawLength) == raw.count else {
      throw bad("zlib status \(status), \(rawLength) of \(raw.count) bytes")
    }
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    var previous = [UInt8](repeating: 0, count: stride)
    var line = [UInt8](repeating: 0, count: stride)
    for y in 0..<height {
      let base = y * (stride + 1)
      let filter = raw[base]
      for x in 0..<stride {
        let value = raw[base + 1 + x]
        let a = x >= channels ? Int(line[x - channels]) : 0
        let b = Int(previous[x])
        let c = x >= channels ? Int(previous[x - channels]) : 0
        let predictor: Int
        switch filter {
        case 0: predictor = 0
        case 1: predictor = a
        case 2: predictor = b
        case 3: predictor = (a + b) / 2
        case 4:
          let p = a + b - c
          let pa = abs(p - a)
          let pb = abs(p - b)
          let pc = abs(p - c)
          predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
        default: throw bad("filter type \(filter) in row \(y)")
        }
        line[x] = value &+ UInt8(truncatingIfNeeded: predictor)
      }
      for x in 0..<width {
        let o = (y * width + x) * 3
        let s = x * channels
        if channels >= 3 {
          pixels[o] = line[s]
          pixels[o + 1] = line[s + 1]
          pixels[o + 2] = line[s + 2]
        } else {
          pixels[o] = line[s]
          pixels[o + 1] = line[s]
          pixels[o + 2] = line[s]
        }
      }
      swap(&previous, &line)
    }
    return PreviewCanvas(width: width, height: height, pixels: pixels)
  }

  static func be32(_ b: [UInt8], _ o: Int) -> Int {
    Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3])
  }
}
