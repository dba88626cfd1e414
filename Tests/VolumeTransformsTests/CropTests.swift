import Testing
import VolumeCore
import VolumeTransforms
import _TestSupport

/// An oblique, anisotropic affine so that origin shifts mix all three world axes.
private let oblique = Affine(rows: [
  [0.9, 0.12, -0.3, 12.5], [-0.05, 1.1, 0.4, -40.25], [0.2, -0.15, 2.6, 71], [0, 0, 0, 1],
])

private func ramp4D() -> Volume<Int32> {
  Synthetic.ramp(Int32.self, shape: [6, 5, 4], channels: 2, affine: oblique) { i, j, k, c in
    Double(i + 10 * j + 100 * k + 1000 * c)
  }
}

@Suite("Crop and pad")
struct CropTests {
  @Test("cropping keeps every voxel's value and world position")
  func cropKeepsWorld() {
    let volume = ramp4D()
    let box = VoxelBox(lower: [1, 2, 0], upper: [5, 4, 3])
    let cropped = volume.cropped(to: box)
    #expect(cropped.shape == [4, 2, 3])
    #expect(cropped.channelCount == 2)
    for c in 0..<2 {
      for k in 0..<3 {
        for j in 0..<2 {
          for i in 0..<4 {
            let (si, sj, sk) = (i + 1, j + 2, k)
            #expect(cropped[i, j, k, channel: c] == volume[si, sj, sk, channel: c])
            // Integer voxel offsets times affine entries of order 1: 1e-12 mm.
            expectClose(
              cropped.grid.affine.apply([Double(i), Double(j), Double(k)]),
              volume.grid.affine.apply([Double(si), Double(sj), Double(sk)]), atol: 1e-12)
          }
        }
      }
    }
    // The linear part is unchanged; only the origin moves to A·[lower, 1].
    #expect(cropped.grid.affine.linearPart == volume.grid.affine.linearPart)
    #expect(cropped.grid.affine.origin == volume.grid.affine.apply([1, 2, 0]))
  }

  @Test("padding keeps world positions and fills new voxels in every channel")
  func padKeepsWorld() {
    let volume = ramp4D()
    let padded = volume.padded(lower: [2, 0, 1], upper: [1, 3, 0], value: -7)
    #expect(padded.shape == [9, 8, 5])
    var filled = 0
    for c in 0..<2 {
      for k in 0..<5 {
        for j in 0..<8 {
          for i in 0..<9 {
            let (si, sj, sk) = (i - 2, j, k - 1)
            if VoxelBox(covering: volume.shape).contains(si, sj, sk) {
              #expect(padded[i, j, k, channel: c] == volume[si, sj, sk, channel: c])
              expectClose(
                padded.grid.affine.apply([Double(i), Double(j), Double(k)]),
                volume.grid.affine.apply([Double(si), Double(sj), Double(sk)]), atol: 1e-12)
            } else {
              #expect(padded[i, j, k, channel: c] == -7)
              filled += 1
            }
          }
        }
      }
    }
    #expect(filled == 2 * (9 * 8 * 5 - 6 * 5 * 4))
  }

  @Test("crop(pad(x)) == x and pad(crop(x)) restores the box (nnU-Net's revert of crop_to_nonzero)")
  func roundTrips() {
    let volume = ramp4D()
    let lower = [3, 1, 2]
    let upper = [0, 2, 5]
    let padded = volume.padded(lower: lower, upper: upper)
    let restored = padded.cropped(
      to: VoxelBox(lower: lower, upper: zip(lower, volume.shape).map { $0 + $1 }))
    #expect(restored.voxels == volume.voxels)
    #expect(restored.shape == volume.shape)
    // Two integer shifts of the origin: 1e-12 mm.
    #expect(restored.grid.affine.maxAbsDifference(to: volume.grid.affine) <= 1e-12)

    let box = VoxelBox(lower: [1, 0, 1], upper: [4, 5, 3])
    let uncropped = volume.cropped(to: box).padded(
      lower: box.lower, upper: zip(volume.shape, box.upper).map { $0 - $1 }, value: 0)
    #expect(uncropped.shape == volume.shape)
    #expect(uncropped.grid.affine.maxAbsDifference(to: volume.grid.affine) <= 1e-12)
    for c in 0..<2 {
      for k in 0..<4 {
        for j in 0..<5 {
          for i in 0..<6 {
            let expected: Int32 = box.contains(i, j, k) ? volume[i, j, k, channel: c] : 0
            #expect(uncropped[i, j, k, channel: c] == expected)
          }
        }
      }
    }
  }

  @Test("cropping to the full box and padding by zero are identities")
  func trivial() {
    let volume = ramp4D()
    let full = volume.cropped(to: VoxelBox(covering: volume.shape))
    #expect(full.voxels == volume.voxels && full.grid == volume.grid)
    let none = volume.padded(lower: [0, 0, 0], upper: [0, 0, 0])
    #expect(none.voxels == volume.voxels && none.grid == volume.grid)
  }

  @Test("AnyVolume crop and pad keep the scalar type; the pad value is converted")
  func anyVolume() {
    let volume = AnyVolume(Synthetic.ramp(UInt8.self, shape: [3, 3, 3]))
    let padded = volume.padded(lower: [1, 1, 1], upper: [1, 1, 1], value: 300)
    guard case .uint8(let v) = padded else {
      Issue.record("scalar type changed to \(padded.scalarType)")
      return
    }
    #expect(v.shape == [5, 5, 5] && v[0, 0, 0] == 255 && v[1, 1, 1] == 0)  // 300 clamps to 255
    #expect(padded.cropped(to: VoxelBox(lower: [1, 1, 1], upper: [4, 4, 4])).grid == volume.grid)
  }

  @Test("VoxelBox geometry")
  func voxelBox() {
    let box = VoxelBox(lower: [1, 2, 3], upper: [4, 6, 3])
    #expect(box.shape == [3, 4, 0] && box.isEmpty && box.voxelCount == 0)
    #expect(box.description == "[1, 4) x [2, 6) x [3, 3)")
    #expect(
      VoxelBox(lower: [2, 2, 2], upper: [3, 3, 3]).expanded(by: 3, clippedTo: [4, 5, 6])
        == VoxelBox(lower: [0, 0, 0], upper: [4, 5, 6]))
    #expect(
      VoxelBox(lower: [0, 0, 0], upper: [4, 4, 4]).expanded(by: -3, clippedTo: [4, 4, 4]).isEmpty)
    #expect(!VoxelBox(lower: [0, 0, 0], upper: [4, 4, 5]).isInside(shape: [4, 4, 4]))
  }
}

@Suite("Crop bounding boxes")
struct CropBoundingBoxTests {
  @Test("an all-zero volume has no box (nnU-Net then keeps the full extent)")
  func empty() {
    let volume = Volume<Float>(
      grid: ImageGrid(shape: [4, 3, 2], affine: .identity), channelCount: 2, repeating: 0)
    #expect(volume.nonzeroBoundingBox() == nil)
    #expect(volume.boundingBox { $0 > 5 } == nil)
    #expect(AnyVolume(volume).nonzeroBoundingBox() == nil)
  }

  @Test(
    "one voxel gives a one-voxel box, for every position",
    arguments: [[0, 0, 0], [3, 2, 1], [1, 0, 1], [3, 0, 0]])
  func oneVoxel(_ position: [Int]) {
    let volume = Synthetic.box(shape: [4, 3, 2], lower: position, upper: position.map { $0 + 1 })
    #expect(
      volume.nonzeroBoundingBox() == VoxelBox(lower: position, upper: position.map { $0 + 1 }))
  }

  @Test("a full volume gives the full box")
  func full() {
    let volume = Volume<Int16>(grid: ImageGrid(shape: [4, 3, 2], affine: .identity), repeating: -1)
    #expect(volume.nonzeroBoundingBox() == VoxelBox(covering: [4, 3, 2]))
  }

  @Test("a box of voxels, and the union over channels")
  func boxAndChannels() {
    let box = Synthetic.box(shape: [9, 8, 7], lower: [2, 3, 1], upper: [5, 8, 4])
    #expect(box.nonzeroBoundingBox() == VoxelBox(lower: [2, 3, 1], upper: [5, 8, 4]))
    // Channel 1 holds one extra voxel outside channel 0's box: the box grows to cover it.
    let voxels = box.voxels + Array(repeating: 0, count: box.voxels.count)
    var twoChannels = Volume<UInt8>(grid: box.grid, channelCount: 2, voxels: voxels)
    twoChannels[8, 0, 5, channel: 1] = 1
    #expect(twoChannels.nonzeroBoundingBox() == VoxelBox(lower: [2, 0, 1], upper: [9, 8, 6]))
  }

  @Test("NaN counts as nonzero and -0.0 as zero (NumPy's data != 0)")
  func nanAndNegativeZero() {
    var volume = Volume<Float>(
      grid: ImageGrid(shape: [5, 5, 5], affine: .identity), repeating: -0.0)
    #expect(volume.nonzeroBoundingBox() == nil)
    volume[1, 2, 3] = .nan
    #expect(volume.nonzeroBoundingBox() == VoxelBox(lower: [1, 2, 3], upper: [2, 3, 4]))
  }

  @Test("a predicate: TotalVibe's crop keeps voxels with intensity > 20")
  func predicate() {
    let volume = Synthetic.ramp(Float.self, shape: [6, 5, 4])  // i + 3j + 7k
    let box = volume.boundingBox { $0 > 20 }
    // k = 0 peaks at 5 + 12 = 17; k = 1 reaches 21 at (5, 4); k = 3 starts at 21 at (0, 0).
    #expect(box == VoxelBox(lower: [0, 0, 1], upper: [6, 5, 4]))
    #expect(AnyVolume(volume).boundingBox { $0 > 20 } == box)
    #expect(volume.boundingBox { $0 > 1000 } == nil)
  }
}
