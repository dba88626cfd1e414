/// A tiny bitmap font for captions and legends: printable ASCII in cells of 5 x 8 pixels, drawn at an
/// integer scale, no font files. Each glyph is 5 columns by 8 rows (`PreviewFont+Glyphs.swift`);
/// characters advance by 6 columns (one blank column between glyphs) and lines by 10 rows, times
/// the scale. Characters outside 32...126 are drawn as `?`.
public enum PreviewFont {
  public static let glyphWidth = 5
  public static let glyphHeight = 8
  /// Horizontal distance between the starts of two characters, at scale 1.
  public static let advance = 6
  /// Vertical distance between two baselines, at scale 1.
  public static let lineHeight = 10

  /// Ink bits: `glyphs[c - 32][row]` holds 5 bits, bit 4 = leftmost column.
  static let glyphs: [[UInt8]] = {
    var table = [[UInt8]](repeating: [UInt8](repeating: 0, count: glyphHeight), count: 95)
    for (character, art) in glyphRows {
      let code = Int(character.asciiValue!)
      let rows = art.split(separator: " ")
      precondition(rows.count == glyphHeight && rows.allSatisfy { $0.count == glyphWidth }, "glyph \(character)")
      table[code - 32] = rows.map { row in row.reduce(UInt8(0)) { ($0 << 1) | ($1 == "#" ? 1 : 0) } }
    }
    return table
  }()

  /// The 8 row bit patterns of a character (`?` for anything outside printable ASCII).
  public static func glyph(_ character: Character) -> [UInt8] {
    guard let code = character.asciiValue, (32...126).contains(code) else {
      return glyphs[Int(Character("?").asciiValue!) - 32]
    }
    return glyphs[Int(code) - 32]
  }

  /// Width in pixels of `text` on one line at `scale` (no trailing blank column).
  public static func width(of text: String, scale: Int) -> Int {
    text.isEmpty ? 0 : (text.count * advance - 1) * scale
  }
}
