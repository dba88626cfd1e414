import Foundation
import NiftiIO
import VolumeCore

/// Small synthetic cases for cohort and batch-command tests: crops, flips and intensity changes of the committed
/// MR crop `Tests/Fixtures/predictions/plain_fold0_nomirror/case_0000.nii.gz` (117 x 91 x 20,
/// 3 mm), each smaller than the tiny model's patch so one case is one network pass.
public enum SyntheticCohort {
  public static let model = Fixtures.modelFolder("plain_1ch")
  public static let source = Fixtures.committed("predictions/plain_fold0_nomirror/case_0000.nii.gz")

  /// Writes case `index` (deterministic) as `<folder>/<id>.nii.gz`.
  public static func writeCase(_ index: Int, id: String, to folder: URL) throws -> URL {
    let image = try NiftiImage(contentsOf: source)
    let volume = image.scaledVolume(as: Float.self)
    let shape = volume.grid.shape
    let width = 48 + (index * 7) % 30
    let height = 40 + (index * 5) % 36
    let i0 = (index * 13) % (shape[0] - width)
    let j0 = (index * 11) % (shape[1] - height)
    let flip = index % 2 == 1
    let scale = Float(1 + 0.03 * Double(index % 10))
    let offset = Float(index % 7) * 2
    var voxels = [Float]()
    voxels.reserveCapacity(width * height * shape[2])
    for k in 0..<shape[2] {
      for j in 0..<height {
        for i in 0..<width {
          let si = i0 + (flip ? width - 1 - i : i)
          voxels.append(volume.voxels[si + shape[0] * (j0 + j + shape[1] * k)] * scale + offset)
        }
      }
    }
    var affine = volume.grid.affine
    let origin = affine.apply([Double(i0), Double(j0), 0])
    affine = Affine(rows: [
      [affine[0, 0], affine[0, 1], affine[0, 2], origin[0]],
      [affine[1, 0], affine[1, 1], affine[1, 2], origin[1]],
      [affine[2, 0], affine[2, 1], affine[2, 2], origin[2]],
      [0, 0, 0, 1],
    ])
    let url = folder.appendingPathComponent("\(id).nii.gz")
    try NiftiImage(Volume<Float>(grid: ImageGrid(shape: [width, height, shape[2]], affine: affine), voxels: voxels))
      .write(to: url)
    return url
  }

  /// A truncated `.nii.gz` (half of a good file).
  public static func writeTruncated(id: String, to folder: URL) throws {
    let url = try writeCase(3, id: id, to: folder)
    let bytes = try Data(contentsOf: url)
    try bytes.prefix(bytes.count / 2).write(to: url)
  }

  /// A 4-D file (two volumes): the 1-channel model refuses it.
  public static func writeFourD(id: String, to folder: URL) throws {
    let volume = Synthetic.ramp(Float.self, shape: [20, 16, 8], channels: 2, affine: .scaling([3, 3, 3]))
    try NiftiImage(volume).write(to: folder.appendingPathComponent("\(id).nii.gz"))
  }

  /// `count` cases `s000`, `s001`, ...; the ids in `truncated` and `fourD` are malformed.
  public static func make(in folder: URL, count: Int, truncated: Set<Int> = [], fourD: Set<Int> = []) throws -> [String] {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    var ids = [String]()
    for index in 0..<count {
      let id = String(format: "s%03d", index)
      if truncated.contains(index) {
        try writeTruncated(id: id, to: folder)
      } else if fourD.contains(index) {
        try writeFourD(id: id, to: folder)
      } else {
        _ = try writeCase(index, id: id, to: folder)
      }
      ids.append(id)
    }
    return ids
  }
}
