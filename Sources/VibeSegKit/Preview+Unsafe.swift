import VolumeCore

extension PreviewLabelMap {
  /// One pass over the ids in file order: `counts[id] += 1` for every voxel, and the inclusive
  /// bounding box of voxels whose id is marked in `shown`. O(voxels).
  static func census(ids: [UInt16], shape: [Int], shown: [Bool], counts: inout [Int]) -> (lower: [Int], upper: [Int])? {
    precondition(shown.count == 65536 && counts.count == 65536 && ids.count == shape[0] * shape[1] * shape[2])
    let nI = shape[0]
    let nJ = shape[1]
    let nK = shape[2]
    var lower = [Int.max, Int.max, Int.max]
    var upper = [-1, -1, -1]
    ids.withUnsafeBufferPointer { ids in
      shown.withUnsafeBufferPointer { shown in
        counts.withUnsafeMutableBufferPointer { counts in
          var offset = 0
          for k in 0..<nK {
            for j in 0..<nJ {
              var first = -1
              var last = -1
              for i in 0..<nI {
                // Unchecked: offset < nI·nJ·nK == ids.count (precondition), ids < 65536 == counts.count.
                let id = Int(ids[offset + i])
                counts[id] += 1
                if shown[id] {
                  if first < 0 { first = i }
                  last = i
                }
              }
              offset += nI
              if first >= 0 {
                lower[0] = min(lower[0], first)
                upper[0] = max(upper[0], last)
                lower[1] = min(lower[1], j)
                upper[1] = max(upper[1], j)
                lower[2] = min(lower[2], k)
                upper[2] = max(upper[2], k)
              }
            }
          }
        }
      }
    }
    return upper[0] < 0 ? nil : (lower, upper)
  }
}

extension Preview {
  /// Paints one tile: for every pixel, the image voxel at `slice + rows[y] + columns[x]` (file
  /// linear offsets) mapped through the window to gray, blended with the label colour where the
  /// label is shown. `overlay[id]` is `0xFF_RRGGBB` for shown ids, 0 otherwise.
  ///
  /// Gray: `g = 255 · clamp((v · slope + intercept − lower) / (upper − lower), 0, 1)`, rounded half
  /// to even; NaN is black; when `upper == lower`, values above it are white, the rest black.
  static func paintTile<V: VoxelScalar>(
    image: [V], labels: [UInt16], tile: PreviewTile, canvasWidth: Int, pixels: inout [UInt8],
    window: PreviewWindow, scaling: (slope: Double, intercept: Double), overlay: [UInt32], alpha: Double
  ) {
    precondition(overlay.count == 65536 && image.count == labels.count)
    let range = window.upper - window.lower
    let inverse = range > 0 ? 1 / range : 0
    let keep = 1 - alpha
    image.withUnsafeBufferPointer { image in
      labels.withUnsafeBufferPointer { labels in
        overlay.withUnsafeBufferPointer { overlay in
          tile.columnOffsets.withUnsafeBufferPointer { columns in
            pixels.withUnsafeMutableBufferPointer { pixels in
              for (y, rowOffset) in tile.rowOffsets.enumerated() {
                var out = ((tile.rect.y + y) * canvasWidth + tile.rect.x) * 3
                let base = tile.sliceOffset + rowOffset
                for column in columns {
                  // Unchecked: offsets come from in-range voxel indices (PreviewTile construction),
                  // the tile rect lies inside the canvas (layout), ids < 65536 == overlay.count.
                  let offset = base + column
                  let value = image[offset].doubleValue * scaling.slope + scaling.intercept
                  var gray: Double
                  if range > 0 {
                    gray = (value - window.lower) * inverse
                    gray = gray < 0 ? 0 : (gray > 1 ? 1 : gray)
                    if gray != gray { gray = 0 }  // NaN
                    gray *= 255
                  } else {
                    gray = value > window.lower ? 255 : 0
                  }
                  let color = overlay[Int(labels[offset])]
                  if color == 0 {
                    let g = UInt8(gray.rounded(.toNearestOrEven))
                    pixels[out] = g
                    pixels[out + 1] = g
                    pixels[out + 2] = g
                  } else {
                    let mixed = keep * gray
                    pixels[out] = UInt8((mixed + alpha * Double((color >> 16) & 0xFF)).rounded(.toNearestOrEven))
                    pixels[out + 1] = UInt8((mixed + alpha * Double((color >> 8) & 0xFF)).rounded(.toNearestOrEven))
                    pixels[out + 2] = UInt8((mixed + alpha * Double(color & 0xFF)).rounded(.toNearestOrEven))
                  }
                  out += 3
                }
              }
            }
          }
        }
      }
    }
  }
}
