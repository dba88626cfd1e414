import DICOMSeg
import Testing

@Suite("DICOM-SEG bit packing and UIDs")
struct BitPackingTests {
  @Test("frames of 31 x 37 (1,147 bits) pack contiguously, LSB first, across byte boundaries")
  func oddFrames() {
    let pixels = 31 * 37
    var state: UInt32 = 12345
    let frames: [[UInt8]] = (0..<3).map { _ in
      (0..<pixels).map { _ in
        state = state &* 1_103_515_245 &+ 12345
        return UInt8((state >> 16) % 3)
      }
    }
    var packer = BitPacker()
    for (n, frame) in frames.enumerated() { packer.append(frame, equalTo: UInt8(n % 2 + 1)) }
    #expect(packer.bitCount == 3 * pixels)
    let data = packer.pixelData
    #expect(data.count == 432)  // ceil(3441 / 8) = 431, padded to even
    #expect(data.last == 0)
    for (f, frame) in frames.enumerated() {
      for p in 0..<pixels {
        let n = f * pixels + p
        let bit = (data[n / 8] >> (n % 8)) & 1
        #expect(bit == (frame[p] == UInt8(f % 2 + 1) ? 1 : 0), "frame \(f) pixel \(p)")
      }
      #expect(BitPacker.unpack(data, frame: f, pixelsPerFrame: pixels) == frame.map { $0 == UInt8(f % 2 + 1) ? 1 : 0 })
    }
    // Frame 1 starts at bit 1147: byte 143, bit 3; the bits after the last frame are zero.
    #expect(1147 / 8 == 143 && 1147 % 8 == 3)
    #expect(data[430] >> 1 == 0)
  }

  @Test("a packer with a prefix packs after it: prefix + the same bits, padded to even after the prefix")
  func prefixed() {
    let frames: [[UInt8]] = [[1, 0, 1, 1, 0, 0, 0, 1, 1], [0, 1, 1, 1, 1, 1, 1, 1, 0]]
    var plain = BitPacker()
    var prefixed = BitPacker(prefix: [9, 8, 7], reservingBits: 18)
    for frame in frames {
      plain.append(frame, equalTo: 1)
      prefixed.append(frame, equalTo: 1)
    }
    #expect(prefixed.base == 3 && prefixed.bitCount == 18)
    #expect(prefixed.pixelData == plain.pixelData)
    let file = prefixed.finish()
    #expect(file == [9, 8, 7] + plain.pixelData)
    #expect(file.count - 3 == BitPacker.paddedByteCount(bits: 18))  // 3 bytes, padded to 4
  }

  @Test("UIDs: 2.25 form, at most 44 characters, deterministic per seed, distinct")
  func uids() {
    let a = SegmentationUIDSource.deterministic("x")
    let b = SegmentationUIDSource.deterministic("x")
    let first = (0..<50).map { _ in a.next() }
    #expect(first == (0..<50).map { _ in b.next() })
    #expect(Set(first).count == 50)
    let random = SegmentationUIDSource.random
    for uid in first + (0..<50).map({ _ in random.next() }) {
      #expect(uid.hasPrefix("2.25.") && uid.count <= 44, "\(uid)")
      let digits = uid.dropFirst(5)
      #expect(digits.allSatisfy(\.isNumber) && (digits.first != "0" || digits == "0"), "\(uid)")
    }
    #expect(SegmentationUIDSource.deterministic("y").next() != first[0])
  }

  @Test("CIELab display values: white, black and sRGB red (D50 L*a*b* 54.29, 80.80, 69.89)")
  func cielab() {
    #expect(CIELab.dicomValue(red: 255, green: 255, blue: 255) == [65535, 32896, 32896])
    #expect(CIELab.dicomValue(red: 0, green: 0, blue: 0) == [0, 32896, 32896])
    let red = CIELab.dicomValue(red: 255, green: 0, blue: 0).map(Double.init)
    #expect(abs(red[0] / 655.35 - 54.29) < 0.1)
    #expect(abs(red[1] * 255 / 65535 - 128 - 80.80) < 0.2)
    #expect(abs(red[2] * 255 / 65535 - 128 - 69.89) < 0.2)
  }
}
