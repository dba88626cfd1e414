import CPNG

/// Encodes a `PreviewCanvas` as PNG with libpng's simplified write API
/// (`png_image_write_to_memory`): 8-bit RGB, non-interlaced, the sRGB chunk libpng adds for 8-bit
/// data, zlib's default compression with libpng's adaptive filters unless `fast` is set.
///
/// The simplified API is the only libpng entry point safe to call from Swift: the classic API
/// reports errors by `longjmp`, which Swift frames cannot survive, whereas this one catches them
/// inside libpng and returns 0 with a message. Writing to memory first means nothing reaches the
/// output path unless the whole picture was encoded.
public enum PNGEncoder {
  /// The PNG bytes of `canvas`. `fast` sets `PNG_IMAGE_FLAG_FAST` (no filtering, lower zlib level:
  /// about twice as fast, files larger).
  ///
  /// - Throws: `VibeSegKitError.Code.ioFailure` with libpng's message if libpng fails (out of memory).
  public static func encode(_ canvas: PreviewCanvas, fast: Bool = false) throws(VibeSegKitError) -> [UInt8] {
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    image.width = UInt32(canvas.width)
    image.height = UInt32(canvas.height)
    image.format = UInt32(PNG_FORMAT_RGB)
    image.flags = fast ? UInt32(PNG_IMAGE_FLAG_FAST) : 0
    defer { png_image_free(&image) }
    // Upper bound from png.h's PNG_IMAGE_PNG_SIZE_MAX (a macro Swift cannot call): raw bytes plus
    // one filter byte per row, zlib's worst case, chunk headers; plus room for the sRGB chunk.
    let raw = canvas.width * canvas.height * 3 + canvas.height
    let compressed = raw + (raw + 7) / 8 + (raw + 63) / 64 + 11
    var capacity = 8 + 25 + 16 + 44 + 12 + 12 + 12 * (compressed / 8192 + 1) + compressed + 1024
    for _ in 0..<2 {
      var output = [UInt8](repeating: 0, count: capacity)
      var size = capacity
      let ok = output.withUnsafeMutableBytes { memory in
        canvas.pixels.withUnsafeBytes { source in
          png_image_write_to_memory(&image, memory.baseAddress, &size, 0, source.baseAddress, 0, nil)
        }
      }
      if ok != 0 {
        output.removeSubrange(size...)
        return output
      }
      guard size > capacity else { break }  // libpng asks for a bigger buffer: retry once
      capacity = size
    }
    let message = withUnsafeBytes(of: image.message) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    throw VibeSegKitError(.ioFailure, "libpng could not encode the \(canvas.width)x\(canvas.height) picture: \(message)")
  }
}
