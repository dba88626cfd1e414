import Foundation
import NiftiIO
import Testing
import VibeSegKit
import VolumeCore
import _TestSupport

@Suite("Preview of the real MR example", .enabled(if: Fixtures.realDataAvailable, Fixtures.realDataSkipMessage))
struct PreviewRealDataTests {
  @Test(
    "the PNG decodes to the rendered picture; overlay colours sit on the labels; the legend lists exactly the labels present"
  )
  func realMR() throws {
    let segURL = Fixtures.real("example_seg_mr.nii.gz")
    let imageURL = Fixtures.real("example_mr_sm.nii.gz")
    var options = PreviewOptions()
    options.labelNames = try PreviewLabelNames.load(contentsOf: Fixtures.real("example_seg_mr.labels.json"))
    let preview = try Preview(segmentationAt: segURL, imageAt: imageURL, options: options)

    let dir = try Fixtures.temporaryDirectory("vibeseg-preview")
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("mr.png")
    try preview.writePNG(to: out)
    let decoded = try PNGDecoder.decode(Array(try Data(contentsOf: out)))

    // Size: 117 x 91 x 20 voxels at 3 mm, largest extent 351 mm over 320 pixels; 3 views x 5 slices.
    #expect(decoded.width == preview.canvas.width && decoded.height == preview.canvas.height)
    let identical = decoded == preview.canvas
    #expect(identical, "decoded pixels equal the rendered canvas")
    expectClose([preview.pixelSizeMillimeters], [351.0 / 320], atol: 1e-12)
    #expect(preview.tiles.count == 15)
    let axial = preview.tiles.first { $0.view == .axial }!
    #expect(axial.rect.width == 320 && axial.rect.height == 249)  // 351 mm x 273 mm
    #expect(preview.tiles.first { $0.view == .coronal }!.rect.height == 55)  // 60 mm

    // Overlay: every tile pixel of the decoded file matches its voxel's label.
    let labels = try NiftiImage(contentsOf: segURL).volume.converted(to: UInt8.self)
    let seen = PreviewTestSupport.expectOverlay(
      preview, canvas: decoded, labels: { Int(labels[$0, $1, $2]) }, alpha: 0.4)
    var inSlices = Set<Int>()
    for tile in preview.tiles {
      for y in tile.rect.y..<(tile.rect.y + tile.rect.height) {
        for x in tile.rect.x..<(tile.rect.x + tile.rect.width) {
          let v = tile.voxel(atX: x, y: y)!
          inSlices.insert(Int(labels[v[0], v[1], v[2]]))
        }
      }
    }
    inSlices.remove(0)
    #expect(seen == inSlices, "every label in a drawn slice shows in colour")

    // Legend: exactly the ids present in the file, with their names, swatches in their colours.
    let present = Set(labels.voxels.map(Int.init)).subtracting([0])
    #expect(preview.legend.map(\.id) == present.sorted())
    #expect(present.count == 23)
    #expect(preview.legend.first { $0.id == 5 }?.name == "liver")
    for entry in preview.legend {
      let s = entry.swatch
      #expect([decoded[s.x, s.y], decoded[s.x + s.width - 1, s.y + s.height - 1]] == [entry.color, entry.color])
      #expect(entry.color == LabelColorTable.color(for: entry.id))
      #expect(entry.voxelCount == labels.voxels.filter { Int($0) == entry.id }.count)
    }
    let legendColors = Set(preview.legend.map(\.color))
    #expect(legendColors.count == preview.legend.count)
  }
}
