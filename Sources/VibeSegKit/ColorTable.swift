/// An 8-bit sRGB colour.
public struct RGBColor: Equatable, Hashable, Sendable, CustomStringConvertible {
  public var red: UInt8
  public var green: UInt8
  public var blue: UInt8

  public init(red: UInt8, green: UInt8, blue: UInt8) {
    self.red = red
    self.green = green
    self.blue = blue
  }

  public init(gray: UInt8) { self.init(red: gray, green: gray, blue: gray) }

  /// `#rrggbb`, lower-case hex (as used in HTML and in docs/preview.md).
  public var hex: String {
    "#"
      + [red, green, blue].map { v in
        let s = String(v, radix: 16)
        return s.count == 1 ? "0" + s : s
      }.joined()
  }

  public var description: String { hex }
}

/// The fixed colour of every label id: the same structure has the same colour in every preview of
/// every subject, and the colours depend on nothing but the id.
///
/// Id 0 (background) has no colour. Every id `n >= 1` gets the HSV colour
///
/// - hue `h = frac(n · 0.618033988749895)` (golden-ratio steps: neighbouring ids, which are often
///   left/right pairs, land far apart on the colour wheel),
/// - saturation `s = [0.90, 0.65, 0.80][n mod 3]`,
/// - value `v = [1.00, 0.82, 0.64][(n / 3) mod 3]`,
///
/// converted to RGB with the usual sector formula and each channel rounded as
/// `UInt8((255 · c).rounded(.toNearestOrEven))`. Every colour has saturation ≥ 0.65, so no label
/// colour is gray, and a label pixel can be told from an unlabelled (gray) one. Ids 1...255 are
/// precomputed (`colors`), larger ids use the same formula. docs/preview.md lists ids 1...72 with
/// TotalVibeSegmentator's names; a test keeps that table in step with this code.
///
/// Within 1...255 the 255 colours are pairwise different, and within TotalVibeSegmentator's ids
/// 1...72 any two colours differ by at least 16 in some channel (both tested). 72 colours cannot all
/// be far apart; ids whose hues nearly coincide (34 apart) differ in saturation or value instead.
public enum LabelColorTable {
  /// Colours of ids 0...255; entry 0 is black and never drawn.
  public static let colors: [RGBColor] = (0...255).map { $0 == 0 ? RGBColor(gray: 0) : formulaColor($0) }

  /// The colour of label `id` (≥ 1).
  ///
  /// - Precondition: `id >= 1`.
  public static func color(for id: Int) -> RGBColor {
    precondition(id >= 1, "label id \(id) has no colour: background is 0, ids start at 1")
    return id < colors.count ? colors[id] : formulaColor(id)
  }

  static func formulaColor(_ id: Int) -> RGBColor {
    let golden = 0.618033988749895
    let product = Double(id) * golden
    let hue = product - product.rounded(.down)
    let saturation = [0.90, 0.65, 0.80][id % 3]
    let value = [1.00, 0.82, 0.64][(id / 3) % 3]
    return hsv(hue: hue, saturation: saturation, value: value)
  }

  /// HSV (all in 0...1) to 8-bit RGB: sector `floor(6h)`, `f = 6h - sector`,
  /// `p = v(1-s)`, `q = v(1-sf)`, `t = v(1-s(1-f))`.
  static func hsv(hue: Double, saturation s: Double, value v: Double) -> RGBColor {
    let scaled = hue * 6
    let sector = Int(scaled.rounded(.down)) % 6
    let f = scaled - scaled.rounded(.down)
    let p = v * (1 - s)
    let q = v * (1 - s * f)
    let t = v * (1 - s * (1 - f))
    let (r, g, b): (Double, Double, Double)
    switch sector {
    case 0: (r, g, b) = (v, t, p)
    case 1: (r, g, b) = (q, v, p)
    case 2: (r, g, b) = (p, v, t)
    case 3: (r, g, b) = (p, q, v)
    case 4: (r, g, b) = (t, p, v)
    default: (r, g, b) = (v, p, q)
    }
    func byte(_ c: Double) -> UInt8 { UInt8(min(255, max(0, (255 * c).rounded(.toNearestOrEven)))) }
    return RGBColor(red: byte(r), green: byte(g), blue: byte(b))
  }
}
