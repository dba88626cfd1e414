import NiftiIO
import VolumeCore

extension Preview {
  static let background = RGBColor(gray: 32)
  static let ink = RGBColor(gray: 235)

  /// Lays out and paints the canvas.
  ///
  /// Layout (all sizes times `fontScale`): margin 8, then per view a caption line (10) and the
  /// tiles side by side with 4 between them, 12 below; then the legend title line and the entries
  /// in columns (column-major, as many columns as fit the mosaic's width), each a 16 x 16 swatch and
  /// its text. Canvas width = widest of mosaic rows, captions and one legend column, plus margins.
  static func compose(
    labels: PreviewLabelMap, shown: [Bool], image: NiftiImage, frame: PreviewFrame, window: PreviewWindow,
    options: PreviewOptions
  ) -> Preview {
    let scale = options.fontScale
    let margin = 4 * scale
    let gutter = 2 * scale
    let line = PreviewFont.lineHeight * scale
    let extents = (0..<3).map { Double(frame.shape[$0]) * frame.spacing[$0] }
    let pixelSize = extents.max()! / Double(options.tileSize)

    // Canonical extent of the shown labels (the whole volume when none is present).
    var lower = [0, 0, 0]
    var upper = frame.shape.map { $0 - 1 }
    if let box = labels.box {
      for n in 0..<3 {
        let a = frame.canonicalPosition(fileAxis: n, index: box.lower[n])
        let b = frame.canonicalPosition(fileAxis: n, index: box.upper[n])
        lower[a.axis] = min(a.position, b.position)
        upper[a.axis] = max(a.position, b.position)
      }
    }

    struct Row {
      var view: PreviewView
      var positions: [Int]
      var columns: [Int]
      var rows: [Int]
      var caption: String
    }
    let rows: [Row] = options.views.map { view in
      let axes = view.axes
      let positions = PreviewFrame.slicePositions(
        lower: lower[axes.slice], upper: upper[axes.slice], count: options.slicesPerView)
      let fileAxis = frame.fileAxis[axes.slice]
      let indices = positions.map { String(frame.fileIndex(axis: axes.slice, position: $0)) }
      return Row(
        view: view, positions: positions,
        columns: frame.offsets(axis: axes.column.axis, flip: axes.column.flip, pixelSize: pixelSize),
        rows: frame.offsets(axis: axes.row.axis, flip: axes.row.flip, pixelSize: pixelSize),
        caption: "\(view.rawValue) \(["i", "j", "k"][fileAxis])=\(indices.joined(separator: ",")) (\(view.directions))")
    }
    func rowWidth(_ row: Row) -> Int { row.positions.count * row.columns.count + (row.positions.count - 1) * gutter }

    // Legend text.
    let present = (1..<65536).filter { shown[$0] && labels.counts[$0] > 0 }
    let texts = present.map { "\($0) \(options.labelNames[$0] ?? "label \($0)")" }
    let title =
      present.isEmpty
      ? (options.labels == nil ? "no labels present" : "none of the selected labels is present")
      : "labels present: \(present.count)"
    let swatchSize = PreviewFont.glyphHeight * scale
    let entryWidth = swatchSize + 2 * scale + (texts.map { PreviewFont.width(of: $0, scale: scale) }.max() ?? 0)
    let columnGap = 6 * scale
    let contentWidth = max(
      rows.map(rowWidth).max() ?? 0,
      rows.map { PreviewFont.width(of: $0.caption, scale: scale) }.max() ?? 0,
      PreviewFont.width(of: title, scale: scale), entryWidth)
    let legendColumns = max(1, (contentWidth + columnGap) / (entryWidth + columnGap))
    let legendRows = (present.count + legendColumns - 1) / legendColumns

    let mosaicHeight = rows.reduce(0) { $0 + line + $1.rows.count + 3 * gutter }
    let width = contentWidth + 2 * margin
    let height = margin + mosaicHeight + line + legendRows * line + margin
    var canvas = PreviewCanvas(width: width, height: height, background: background)

    // Tiles.
    var tiles = [PreviewTile]()
    var y = margin
    for row in rows {
      canvas.drawText(row.caption, x: margin, y: y, scale: scale, color: ink)
      y += line
      let axes = row.view.axes
      for (t, position) in row.positions.enumerated() {
        tiles.append(
          PreviewTile(
            view: row.view,
            rect: PixelRect(
              x: margin + t * (row.columns.count + gutter), y: y, width: row.columns.count, height: row.rows.count),
            fileAxis: frame.fileAxis[axes.slice], fileIndex: frame.fileIndex(axis: axes.slice, position: position),
            fileShape: frame.fileShape, sliceOffset: frame.offset(axis: axes.slice, position: position),
            rowOffsets: row.rows, columnOffsets: row.columns))
      }
      y += row.rows.count + 3 * gutter
    }
    var overlay = [UInt32](repeating: 0, count: 65536)
    for id in present {
      let c = LabelColorTable.color(for: id)
      overlay[id] = 0xFF00_0000 | UInt32(c.red) << 16 | UInt32(c.green) << 8 | UInt32(c.blue)
    }
    let scaling = image.scaling ?? (1, 0)
    var pixels = canvas.pixels
    for tile in tiles {
      func paint<V: VoxelScalar>(_ volume: Volume<V>) {
        paintTile(
          image: volume.voxels, labels: labels.ids, tile: tile, canvasWidth: width, pixels: &pixels,
          window: window, scaling: scaling, overlay: overlay, alpha: options.alpha)
      }
      switch image.volume {
      case .uint8(let v): paint(v)
      case .int8(let v): paint(v)
      case .int16(let v): paint(v)
      case .uint16(let v): paint(v)
      case .int32(let v): paint(v)
      case .uint32(let v): paint(v)
      case .int64(let v): paint(v)
      case .uint64(let v): paint(v)
      case .float32(let v): paint(v)
      case .float64(let v): paint(v)
      }
    }
    canvas.pixels = pixels

    // Legend.
    canvas.drawText(title, x: margin, y: y, scale: scale, color: ink)
    y += line
    var legend = [LegendEntry]()
    for (n, id) in present.enumerated() {
      let column = n / max(1, legendRows)
      let rowIndex = n % max(1, legendRows)
      let x = margin + column * (entryWidth + columnGap)
      let top = y + rowIndex * line
      let swatch = PixelRect(x: x, y: top, width: swatchSize, height: swatchSize)
      let color = LabelColorTable.color(for: id)
      canvas.fill(swatch, with: color)
      canvas.drawText(texts[n], x: x + swatchSize + 2 * scale, y: top, scale: scale, color: ink)
      legend.append(
        LegendEntry(
          id: id, name: options.labelNames[id] ?? "label \(id)", color: color, voxelCount: labels.counts[id],
          swatch: swatch))
    }
    return Preview(canvas: canvas, legend: legend, tiles: tiles, window: window, pixelSizeMillimeters: pixelSize)
  }
}
