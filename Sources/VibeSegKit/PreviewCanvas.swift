/// A pixel rectangle: `x`, `y` of the top-left pixel, `width` x `height` pixels.
public struct PixelRect: Equatable, Hashable, Sendable, CustomStringConvertible {
  public var x: Int
  public var y: Int
  public var width: Int
  public var height: Int

  public init(x: Int, y: Int, width: Int, height: Int) {
    self.x = x
    self.y = y
    self.width = width
    self.height = height
  }

  public func contains(x px: Int, y py: Int) -> Bool {
    px >= x && px < x + width && py >= y && py < y + height
  }

  public var description: String { "\(width)x\(height)+\(x)+\(y)" }
}

/// An 8-bit RGB picture in memory: `pixels` holds `width · height · 3` bytes, rows top to bottom,
/// red, green, blue per pixel (the layout libpng's `PNG_FORMAT_RGB` expects).
public struct PreviewCanvas: Sendable, Equatable {
  public let width: Int
  public let height: Int
  public var pixels: [UInt8]

  /// A canvas filled with `background`.
  ///
  /// - Precondition: `width >= 1`, `height >= 1`.
  public init(width: Int, height: Int, background: RGBColor) {
    precondition(width >= 1 && height >= 1, "canvas size \(width)x\(height)")
    self.width = width
    self.height = height
    var row = [UInt8]()
    row.reserveCapacity(width * 3)
    for _ in 0..<width { row += [background.red, background.green, background.blue] }
    var all = [UInt8]()
    all.reserveCapacity(width * height * 3)
    for _ in 0..<height { all += row }
    pixels = all
  }

  /// A canvas over existing RGB bytes.
  ///
  /// - Precondition: `pixels.count == width · height · 3`.
  public init(width: Int, height: Int, pixels: [UInt8]) {
    precondition(width >= 1 && height >= 1 && pixels.count == width * height * 3, "canvas bytes")
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  public subscript(x: Int, y: Int) -> RGBColor {
    get {
      let o = (y * width + x) * 3
      return RGBColor(red: pixels[o], green: pixels[o + 1], blue: pixels[o + 2])
    }
    set {
      let o = (y * width + x) * 3
      pixels[o] = newValue.red
      pixels[o + 1] = newValue.green
      pixels[o + 2] = newValue.blue
    }
  }

  /// Fills the part of `rect` that lies on the canvas.
  public mutating func fill(_ rect: PixelRect, with color: RGBColor) {
    let x0 = max(0, rect.x)
    let x1 = min(width, rect.x + rect.width)
    let y0 = max(0, rect.y)
    let y1 = min(height, rect.y + rect.height)
    guard x0 < x1 && y0 < y1 else { return }
    for y in y0..<y1 { for x in x0..<x1 { self[x, y] = color } }
  }

  /// Draws `text` with `PreviewFont`, top-left of the first glyph cell at (`x`, `y`), each font pixel
  /// a `scale` x `scale` block. Ink outside the canvas is dropped; only ink pixels are written.
  public mutating func drawText(_ text: String, x: Int, y: Int, scale: Int, color: RGBColor) {
    var left = x
    for character in text {
      let rows = PreviewFont.glyph(character)
      for (row, bits) in rows.enumerated() where bits != 0 {
        for column in 0..<PreviewFont.glyphWidth where bits & (0x10 >> UInt8(column)) != 0 {
          fill(PixelRect(x: left + column * scale, y: y + row * scale, width: scale, height: scale), with: color)
        }
      }
      left += PreviewFont.advance * scale
    }
  }
}
