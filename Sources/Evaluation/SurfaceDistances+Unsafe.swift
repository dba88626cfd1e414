import Morphology
import VolumeCore

extension SurfaceDistances {
  /// 1 where `volume == label` inside `box`, 0 elsewhere; i fastest over the box's shape.
  static func cropMask(_ volume: Volume<UInt16>, label: UInt16, box: VoxelBox) -> [UInt8] {
    let shape = box.shape
    let ni = volume.shape[0], nj = volume.shape[1]
    var out = [UInt8](repeating: 0, count: box.voxelCount)
    volume.voxels.withUnsafeBufferPointer { v in
      out.withUnsafeMutableBufferPointer { o in
        var dst = 0
        // Unchecked: the box lies inside the grid (caller's precondition), so every source index
        // is a voxel of `volume`; dst counts the box's voxels in order.
        for k in 0..<shape[2] {
          for j in 0..<shape[1] {
            let src = box.lower[0] + ni * ((box.lower[1] + j) + nj * (box.lower[2] + k))
            for i in 0..<shape[0] {
              o[dst] = v[src + i] == label ? 1 : 0
              dst += 1
            }
          }
        }
      }
    }
    return out
  }
}
