import Foundation
import Testing
import VibeSegKit
import _TestSupport

@Suite("PNG encoding (libpng) and the test decoder")
struct PNGCodecTests {
  /// A deterministic canvas with noise, flat areas and gradients (exercises every PNG filter).
  static func sampleCanvas(width: Int, height: Int, seed: UInt64) -> PreviewCanvas {
    var state = seed
    var pixels = [UInt8]()
    for y in 0..<height {
      for x in 0..<width {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let noise = UInt8(truncatingIfNeeded: state >> 56)
        pixels +=
          x < width / 3
          ? [noise, noise &+ 1, noise &+ 2] : x < 2 * width / 3 ? [UInt8(x % 256), UInt8(y % 256), 7] : [200, 10, 10]
      }
    }
    return PreviewCanvas(width: width, height: height, pixels: pixels)
  }

  @Test("encode then decode gives the same pixels", arguments: [(1, 1), (3, 2), (97, 41), (640, 17)], [false, true])
  func roundTrip(size: (Int, Int), fast: Bool) throws {
    let canvas = Self.sampleCanvas(width: size.0, height: size.1, seed: UInt64(size.0 * 1000 + size.1))
    let bytes = try PNGEncoder.encode(canvas, fast: fast)
    #expect(Array(bytes.prefix(8)) == PNGDecoder.signature)
    let sizeFromHeader = try PNGDecoder.size(of: bytes)
    #expect(sizeFromHeader.width == size.0 && sizeFromHeader.height == size.1)
    let identical = try PNGDecoder.decode(bytes) == canvas
    #expect(identical)
  }

  @Test("the decoder rejects a damaged chunk (CRC) and a truncated file")
  func damaged() throws {
    let bytes = try PNGEncoder.encode(Self.sampleCanvas(width: 20, height: 20, seed: 1))
    var flipped = bytes
    flipped[40] ^= 0x01  // inside the first IDAT payload
    #expect(throws: VibeSegKitError.self) { try PNGDecoder.decode(flipped) }
    #expect(throws: VibeSegKitError.self) { try PNGDecoder.decode(Array(bytes.prefix(bytes.count - 20))) }
    #expect(throws: VibeSegKitError.self) { try PNGDecoder.decode(Array("not a png".utf8)) }
  }

  @Test("writePNG replaces the file atomically and leaves no temporary files; a missing folder is refused")
  func atomicWrite() throws {
    let dir = try Fixtures.temporaryDirectory("vibeseg-png")
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("out.png")
    try Data("old".utf8).write(to: url)
    let canvas = Self.sampleCanvas(width: 30, height: 10, seed: 2)
    try canvas.writePNG(to: url)
    let identical = try PNGDecoder.decode(Array(Data(contentsOf: url))) == canvas
    #expect(identical)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.png"])
    let error = #expect(throws: VibeSegKitError.self) {
      try canvas.writePNG(to: dir.appendingPathComponent("missing/out.png"))
    }
    #expect(error?.code == .cannotCreateOutput)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.png"])
  }
}
