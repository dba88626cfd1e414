import Foundation
import NiftiIO
import Testing
import VibeSegKit
import VolumeCore
import _TestSupport

/// Synthetic inputs and checks shared by the preview tests.
enum PreviewTestSupport {
  /// A 20 x 16 x 10 RAS volume at 1 x 1 x 3 mm: image = ramp, labels: box of 5 at i 2..<6,
  /// j 3..<9, k 2..<5 and box of 7 at i 12..<18, j 10..<14, k 6..<9.
  static func phantom() -> (image: Volume<Int16>, labels: Volume<UInt8>) {
    let affine = Affine.scaling([1, 1, 3], origin: [-10, -8, 0])
    let image = Synthetic.ramp(Int16.self, shape: [20, 16, 10], affine: affine) { i, j, k, _ in
      Double(10 * i + 3 * j + k)
    }
    var labels = Synthetic.box(shape: [20, 16, 10], lower: [2, 3, 2], upper: [6, 9, 5], label: 5, affine: affine)
    for k in 6..<9 { for j in 10..<14 { for i in 12..<18 { labels[i, j, k] = 7 } } }
    return (image, labels)
  }

  /// The same voxels on a permuted and flipped grid: new axis `a` is old axis `perm[a]`, reversed
  /// where `flip[a]`; the affine keeps every voxel's world position.
  static func permuted<V: VoxelScalar>(_ volume: Volume<V>, perm: [Int], flip: [Bool]) -> Volume<V> {
    let old = volume.shape
    let shape = perm.map { old[$0] }
    let linear = volume.grid.affine.linearPart
    var origin = volume.grid.affine.origin
    var columns = [[Double]](repeating: [0, 0, 0], count: 3)
    for a in 0..<3 {
      let column = (0..<3).map { linear[$0][perm[a]] }
      columns[a] = flip[a] ? column.map { -$0 } : column
      if flip[a] { for r in 0..<3 { origin[r] += column[r] * Double(old[perm[a]] - 1) } }
    }
    let affine = Affine(
      rows: (0..<3).map { r in [columns[0][r], columns[1][r], columns[2][r], origin[r]] } + [[0, 0, 0, 1]])
    var result = Volume<V>(grid: ImageGrid(shape: shape, affine: affine), repeating: .zero)
    for z in 0..<shape[2] {
      for y in 0..<shape[1] {
        for x in 0..<shape[0] {
          let new = [x, y, z]
          var source = [0, 0, 0]
          for a in 0..<3 { source[perm[a]] = flip[a] ? old[perm[a]] - 1 - new[a] : new[a] }
          result[x, y, z] = volume[source[0], source[1], source[2]]
        }
      }
    }
    return result
  }

  /// Checks every tile pixel against the label of the voxel it shows: unlabelled (or hidden) voxels
  /// are gray (R = G = B); labelled ones carry the label colour at opacity `alpha`, i.e. each pair of
  /// channels differs by `alpha ·` the colour's difference, within 1 for rounding. Returns the
  /// labels seen in colour.
  @discardableResult
  static func expectOverlay(
    _ preview: Preview, canvas: PreviewCanvas, labels: (Int, Int, Int) -> Int, alpha: Double, shown: Set<Int>? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
  ) -> Set<Int> {
    var seen = Set<Int>()
    var mismatches = 0
    for tile in preview.tiles {
      for y in tile.rect.y..<(tile.rect.y + tile.rect.height) {
        for x in tile.rect.x..<(tile.rect.x + tile.rect.width) {
          let v = tile.voxel(atX: x, y: y)!
          let id = labels(v[0], v[1], v[2])
          let p = canvas[x, y]
          let channels = [Int(p.red), Int(p.green), Int(p.blue)]
          if id == 0 || !(shown?.contains(id) ?? true) {
            if !(channels[0] == channels[1] && channels[1] == channels[2]) { mismatches += 1 }
          } else {
            let c = LabelColorTable.color(for: id)
            let color = [Double(c.red), Double(c.green), Double(c.blue)]
            let ok = [(0, 1), (1, 2), (0, 2)].allSatisfy { a, b in
              abs(Double(channels[a] - channels[b]) - alpha * (color[a] - color[b])) <= 1.0
            }
            if ok { seen.insert(id) } else { mismatches += 1 }
          }
        }
      }
    }
    #expect(
      mismatches == 0, "\(mismatches) tile pixels do not match their voxel's label", sourceLocation: sourceLocation)
    return seen
  }
}

@Suite("Preview rendering on synthetic volumes")
struct PreviewRenderingTests {
  func render(_ image: Volume<Int16>, _ labels: Volume<UInt8>, _ configure: (inout PreviewOptions) -> Void = { _ in })
    throws -> Preview
  {
    var options = PreviewOptions()
    options.tileSize = 60
    configure(&options)
    return try Preview(segmentation: NiftiImage(labels), image: NiftiImage(image), options: options)
  }

  @Test("tile sizes follow the physical extent: 0.5 mm pixels for a 20 x 16 x 30 mm volume at tile size 60")
  func aspect() throws {
    let (image, labels) = PreviewTestSupport.phantom()
    let preview = try render(image, labels)
    #expect(preview.pixelSizeMillimeters == 0.5)
    let sizes = Dictionary(grouping: preview.tiles, by: \.view).mapValues {
      Set($0.map { [$0.rect.width, $0.rect.height] })
    }
    #expect(sizes[.axial] == [[40, 32]])  // 20 mm x 16 mm
    #expect(sizes[.coronal] == [[40, 60]])  // 20 mm x 30 mm
    #expect(sizes[.sagittal] == [[32, 60]])  // 16 mm x 30 mm
  }

  @Test("display convention: axial columns run patient right to left, rows anterior to posterior; S at the top")
  func convention() throws {
    let (image, labels) = PreviewTestSupport.phantom()
    let preview = try render(image, labels)
    let axial = preview.tiles.first { $0.view == .axial }!
    // RAS file: i grows to the right, so the leftmost column shows the largest i; j grows anterior.
    #expect(axial.voxel(atX: axial.rect.x, y: axial.rect.y)![0...1] == [19, 15])
    #expect(axial.voxel(atX: axial.rect.x + 39, y: axial.rect.y + 31)![0...1] == [0, 0])
    #expect(axial.voxel(atX: axial.rect.x + 2, y: axial.rect.y)![0] == 18, "pixel 2 centre at 1.25 mm from the edge")
    let coronal = preview.tiles.first { $0.view == .coronal }!
    #expect(coronal.voxel(atX: coronal.rect.x, y: coronal.rect.y)![2] == 9, "superior at the top")
    #expect(coronal.voxel(atX: coronal.rect.x, y: coronal.rect.y + 59)![2] == 0)
    #expect(coronal.voxel(atX: coronal.rect.x, y: coronal.rect.y + 6)![2] == 8, "3 mm slices span 6 pixels")
    let sagittal = preview.tiles.first { $0.view == .sagittal }!
    #expect(sagittal.voxel(atX: sagittal.rect.x, y: sagittal.rect.y)![1] == 15, "anterior on the left")
  }

  @Test("slices spread over the labelled extent; captions name file indices")
  func slices() throws {
    let (image, labels) = PreviewTestSupport.phantom()
    let preview = try render(image, labels) { $0.slicesPerView = 3 }
    // Labels span k 2...8 (7 slices): centres of 3 equal parts: 2 + floor((2t+1)·7/6) = 3, 5, 7.
    #expect(preview.tiles.filter { $0.view == .axial }.map(\.fileIndex) == [3, 5, 7])
    #expect(preview.tiles.filter { $0.view == .axial }.allSatisfy { $0.fileAxis == 2 })
    // j spans 3...13 (11): 3 + floor((2t+1)·11/6) = 4, 8, 12, shown anterior to posterior, so
    // with j growing anterior (RAS) the tiles go 12, 8, 4.
    #expect(preview.tiles.filter { $0.view == .coronal }.map(\.fileIndex) == [12, 8, 4])
    let one = try render(image, labels) {
      $0.slicesPerView = 20
      $0.views = [.axial]
    }
    #expect(one.tiles.count == 7, "no more slices than the extent has")
  }

  @Test("every tile pixel shows its voxel's label colour or plain gray")
  func overlay() throws {
    let (image, labels) = PreviewTestSupport.phantom()
    let preview = try render(image, labels)
    let seen = PreviewTestSupport.expectOverlay(
      preview, canvas: preview.canvas, labels: { Int(labels[$0, $1, $2]) }, alpha: 0.4)
    #expect(seen == [5, 7])
    let opaque = try render(image, labels) {
      $0.alpha = 1
      $0.slicesPerView = 3
    }
    let tile = opaque.tiles.first { $0.view == .axial && $0.fileIndex == 3 }!
    // Voxel (3, 5, 3) holds 5: at alpha 1 the pixel is exactly the label colour.
    let pixel = (tile.rect.x..<(tile.rect.x + tile.rect.width)).lazy.flatMap { x in
      (tile.rect.y..<(tile.rect.y + tile.rect.height)).lazy.map { (x, $0) }
    }.first { tile.voxel(atX: $0.0, y: $0.1)! == [3, 5, 3] }!
    #expect(opaque.canvas[pixel.0, pixel.1] == LabelColorTable.color(for: 5))
  }

  @Test("the legend lists exactly the labels present, with full-colour swatches and names")
  func legend() throws {
    let (image, labels) = PreviewTestSupport.phantom()
    let preview = try render(image, labels)
    #expect(preview.legend.map(\.id) == [5, 7])
    #expect(preview.legend.map(\.name) == ["liver", "pancreas"])
    #expect(preview.legend.map(\.voxelCount) == [4 * 6 * 3, 6 * 4 * 3])
    for entry in preview.legend {
      #expect(entry.color == LabelColorTable.color(for: entry.id))
      for y in entry.swatch.y..<(entry.swatch.y + entry.swatch.height) {
        for x in entry.swatch.x..<(entry.swatch.x + entry.swatch.width) {
          #expect(preview.canvas[x, y] == entry.color)
        }
      }
      let below = preview.tiles.map { $0.rect.y + $0.rect.height }.max()!
      #expect(entry.swatch.y > below, "the legend lies below the mosaic")
    }
  }

  @Test("--labels hides other labels from overlay, legend and slice placement")
  func selection() throws {
    let (image, labels) = PreviewTestSupport.phantom()
    let preview = try render(image, labels) { $0.labels = [7, 9] }
    #expect(preview.legend.map(\.id) == [7])
    let seen = PreviewTestSupport.expectOverlay(
      preview, canvas: preview.canvas, labels: { Int(labels[$0, $1, $2]) }, alpha: 0.4, shown: [7, 9])
    #expect(seen == [7])
    #expect(preview.tiles.filter { $0.view == .axial }.allSatisfy { (6...8).contains($0.fileIndex) })
    let none = try render(image, labels) { $0.labels = [9] }
    #expect(none.legend.isEmpty)
  }

  @Test(
    "the same voxels on LPS or permuted grids give the same picture",
    arguments: [
      ([0, 1, 2], [true, true, false]), ([1, 2, 0], [false, true, false]), ([2, 0, 1], [true, false, true]),
    ])
  func orientationIndependent(perm: [Int], flip: [Bool]) throws {
    let (image, labels) = PreviewTestSupport.phantom()
    let reference = try render(image, labels)
    let moved = try render(
      PreviewTestSupport.permuted(image, perm: perm, flip: flip),
      PreviewTestSupport.permuted(labels, perm: perm, flip: flip))
    // Captions name file indices, which differ between the grids; the tiles must not.
    #expect(
      moved.tiles.map { [$0.rect.width, $0.rect.height] } == reference.tiles.map { [$0.rect.width, $0.rect.height] })
    #expect(moved.tiles.map(\.view) == reference.tiles.map(\.view))
    var differing = 0
    for (a, b) in zip(moved.tiles, reference.tiles) {
      for y in 0..<a.rect.height {
        for x in 0..<a.rect.width
        where moved.canvas[a.rect.x + x, a.rect.y + y] != reference.canvas[b.rect.x + x, b.rect.y + y] {
          differing += 1
        }
      }
    }
    #expect(differing == 0, "tile pixels that differ from the RAS rendering")
    #expect(moved.legend.map(\.id) == reference.legend.map(\.id))
  }

  @Test("the window is NumPy's linear 0.5th and 99.5th percentile, for histogram and selection paths")
  func window() throws {
    // Values 0...99 in a 10 x 10 x 1 volume: percentile 0.5 = 0.495, 99.5 = 98.505.
    let grid = ImageGrid(shape: [10, 10, 1], affine: .identity)
    let labels = Volume<UInt8>(grid: grid, repeating: 0)
    let ints = Volume<Int16>(grid: grid, voxels: (0..<100).map { Int16($0) }.reversed())
    let floats = Volume<Float>(grid: grid, voxels: (0..<100).map { Float($0) }.shuffled())
    var nanFloats = floats
    nanFloats.voxels[3] = .nan
    for image in [NiftiImage(ints), NiftiImage(floats)] {
      let preview = try Preview(segmentation: NiftiImage(labels), image: image)
      expectClose([preview.window.lower, preview.window.upper], [0.495, 98.505], atol: 1e-9)
    }
    let withNaN = try Preview(segmentation: NiftiImage(labels), image: NiftiImage(nanFloats))
    let finite = nanFloats.voxels.filter { $0.isFinite }.map(Double.init).sorted()
    let position = 0.995 * Double(finite.count - 1)
    let expectedUpper =
      finite[Int(position)] + (position - position.rounded(.down)) * (finite[Int(position) + 1] - finite[Int(position)])
    expectClose([withNaN.window.upper], [expectedUpper], atol: 1e-9, "NaN is left out")
  }

  @Test("mismatched grids, non-label segmentations, 4-D images and bad options are refused")
  func refusals() throws {
    let (image, labels) = PreviewTestSupport.phantom()
    func code(_ body: () throws -> Preview) -> VibeSegKitError.Code? {
      do {
        _ = try body()
        return nil
      } catch let error as VibeSegKitError {
        return error.code
      } catch {
        return nil
      }
    }
    let smaller = Synthetic.box(shape: [20, 16, 9], lower: [0, 0, 0], upper: [1, 1, 1], affine: labels.grid.affine)
    #expect(code { try render(image, smaller) } == .gridMismatch)
    var shifted = labels
    shifted.grid.affine = Affine.scaling([1, 1, 3], origin: [-10, -8, 1.5])
    #expect(code { try render(image, shifted) } == .gridMismatch)
    let fractional = Volume<Float>(
      grid: labels.grid, voxels: labels.voxels.enumerated().map { $0.offset == 50 ? 0.5 : Float($0.element) })
    #expect(code { try Preview(segmentation: NiftiImage(fractional), image: NiftiImage(image)) } == .notALabelMap)
    let wholeFloats = Volume<Float>(grid: labels.grid, voxels: labels.voxels.map { Float($0) })
    let fromFloats = try Preview(segmentation: NiftiImage(wholeFloats), image: NiftiImage(image))
    #expect(fromFloats.legend.map(\.id) == [5, 7], "float label maps with whole values are accepted")
    let negative = Volume<Int16>(grid: labels.grid, voxels: labels.voxels.map { $0 == 7 ? -1 : Int16($0) })
    #expect(code { try Preview(segmentation: NiftiImage(negative), image: NiftiImage(image)) } == .notALabelMap)
    let fourD = Volume<Int16>(grid: image.grid, channelCount: 2, voxels: image.voxels + image.voxels)
    #expect(code { try Preview(segmentation: NiftiImage(labels), image: NiftiImage(fourD)) } == .unsupportedImage)
    #expect(code { try render(image, labels) { $0.alpha = 1.5 } } == .invalidOption)
    #expect(code { try render(image, labels) { $0.views = [.axial, .axial] } } == .invalidOption)
    #expect(code { try render(image, labels) { $0.slicesPerView = 0 } } == .invalidOption)
  }

  @Test("label lists parse ids and ranges and refuse anything else")
  func labelList() throws {
    #expect(try PreviewOptions.parseLabelList("1,2, 5-7") == [1, 2, 5, 6, 7])
    for bad in ["", "0", "a", "3-1", "1,,2", "70000", "1-2-3"] {
      #expect(throws: VibeSegKitError.self, "\(bad)") { try PreviewOptions.parseLabelList(bad) }
    }
  }

  @Test("label names load from an id-to-name object or a dataset.json")
  func labelNames() throws {
    let dir = try Fixtures.temporaryDirectory("vibeseg-names")
    defer { try? FileManager.default.removeItem(at: dir) }
    let plain = dir.appendingPathComponent("labels.json")
    let dataset = dir.appendingPathComponent("dataset.json")
    try Data(#"{"0": "background", "1": "spleen", "12": "x<y"}"#.utf8).write(to: plain)
    try Data(#"{"labels": {"background": 0, "liver": 5, "both": [1, 2]}, "numTraining": 3}"#.utf8).write(to: dataset)
    #expect(try PreviewLabelNames.load(contentsOf: plain) == [1: "spleen", 12: "x<y"])
    #expect(try PreviewLabelNames.load(contentsOf: dataset) == [5: "liver"])
    let broken = dir.appendingPathComponent("broken.json")
    try Data("[1, 2]".utf8).write(to: broken)
    #expect(throws: VibeSegKitError.self) { try PreviewLabelNames.load(contentsOf: broken) }
    let missing = #expect(throws: VibeSegKitError.self) {
      try PreviewLabelNames.load(contentsOf: dir.appendingPathComponent("no.json"))
    }
    #expect(missing?.code == .missingInput)
  }
}
