import Foundation
import Testing
import VibeSegKit
import _TestSupport

@Suite("Preview colour table, names and font")
struct PreviewColorTableTests {
  @Test("ids 1...255 have pairwise different, never gray colours; ids 1...72 differ by >= 16 in some channel")
  func distinct() {
    let colors = (1...255).map { LabelColorTable.color(for: $0) }
    #expect(Set(colors).count == 255)
    #expect(colors.allSatisfy { !($0.red == $0.green && $0.green == $0.blue) })
    var closest = Int.max
    for a in 1...72 {
      for b in (a + 1)...73 where b <= 72 {
        let x = LabelColorTable.color(for: a)
        let y = LabelColorTable.color(for: b)
        let d = max(abs(Int(x.red) - Int(y.red)), abs(Int(x.green) - Int(y.green)), abs(Int(x.blue) - Int(y.blue)))
        closest = min(closest, d)
      }
    }
    #expect(closest >= 16)
    #expect(LabelColorTable.color(for: 300) == LabelColorTable.color(for: 300), "ids above 255 use the same formula")
  }

  @Test("fixed values: the table does not drift between versions")
  func pinned() {
    // Computed independently from the documented formula (Python, round half to even).
    #expect(LabelColorTable.color(for: 1).hex == "#598aff")
    #expect(LabelColorTable.color(for: 5).hex == "#d1842a")
    #expect(LabelColorTable.color(for: 72).hex == "#19fffd")
  }

  @Test("docs/preview.md lists ids 1...72 with these names and colours")
  func documentedTable() throws {
    let text = try String(contentsOf: Fixtures.packageRoot.appendingPathComponent("docs/preview.md"), encoding: .utf8)
    for id in 1...72 {
      let row = "| \(id) | \(LabelColorTable.totalVibeNames[id]!) | `\(LabelColorTable.color(for: id).hex)` |"
      #expect(text.contains(row), "docs/preview.md lacks the row \(row)")
    }
  }

  @Test("TotalVibeSegmentator names: 72 ids, liver is 5, bone_other 72")
  func names() {
    #expect(LabelColorTable.totalVibeNames.count == 72)
    #expect(LabelColorTable.totalVibeNames[5] == "liver")
    #expect(LabelColorTable.totalVibeNames[72] == "bone_other")
  }

  @Test("the font has 95 different printable glyphs within 5 columns; text width")
  func font() {
    let glyphs = (32...126).map { PreviewFont.glyph(Character(UnicodeScalar(UInt8($0)))) }
    #expect(glyphs.allSatisfy { $0.count == 8 && $0.allSatisfy { $0 < 32 } })
    #expect(Set(glyphs).count == 95)
    #expect(glyphs[0].allSatisfy { $0 == 0 }, "space is blank")
    #expect(glyphs.dropFirst().allSatisfy { $0.contains { $0 != 0 } }, "every other glyph has ink")
    #expect(PreviewFont.glyph("é") == PreviewFont.glyph("?"))
    #expect(PreviewFont.width(of: "liver", scale: 2) == (5 * 6 - 1) * 2)
  }

  @Test("drawn text puts ink only inside its cells")
  func drawText() {
    var canvas = PreviewCanvas(width: 40, height: 12, background: RGBColor(gray: 0))
    canvas.drawText("Hi", x: 1, y: 1, scale: 1, color: RGBColor(gray: 255))
    var inked = [(Int, Int)]()
    for y in 0..<12 { for x in 0..<40 where canvas[x, y].red == 255 { inked.append((x, y)) } }
    #expect(!inked.isEmpty)
    #expect(inked.allSatisfy { $0.0 >= 1 && $0.0 < 1 + 11 && $0.1 >= 1 && $0.1 < 9 })
    // 'H' row 0 is "#...#": ink at x = 1 and 5.
    #expect(canvas[1, 1].red == 255 && canvas[5, 1].red == 255 && canvas[3, 1].red == 0)
  }
}
