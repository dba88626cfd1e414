import Foundation
import NiftiIO
import Testing
import VolumeCore
import _TestSupport

@Suite("vibeseg preview")
struct PreviewCommandTests {
  /// Width and height from a PNG's IHDR (the pixels are checked in VibeSegKitTests).
  func pngSize(_ url: URL) throws -> (Int, Int)? {
    let b = [UInt8](try Data(contentsOf: url))
    guard b.count > 24, b[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
      b[12..<16] == [0x49, 0x48, 0x44, 0x52]
    else {
      return nil
    }
    func be32(_ o: Int) -> Int { Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3]) }
    return (be32(16), be32(20))
  }

  @Test(
    "writes a PNG of the real MR example in all three views",
    .enabled(if: Fixtures.realDataAvailable, Fixtures.realDataSkipMessage))
  func realExample() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("mr.png")
    let result = try VibeSegBinary.run([
      "preview", Fixtures.real("example_seg_mr.nii.gz").path, "--image", Fixtures.real("example_mr_sm.nii.gz").path,
      "-o", out.path, "--label-names", Fixtures.real("example_seg_mr.labels.json").path,
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let size = try pngSize(out)
    #expect(size?.0 ?? 0 >= 5 * 320, "five 320-pixel axial tiles side by side")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["mr.png"])
    let two = try VibeSegBinary.run([
      "preview", Fixtures.real("example_seg_mr.nii.gz").path, "--image", Fixtures.real("example_mr_sm.nii.gz").path,
      "-o", out.path, "--views", "coronal,sagittal", "--slices", "2", "--labels", "1-5", "--alpha", "0.7", "--overwrite",
    ])
    #expect(two.status == 0, "\(two.stderr)")
  }

  @Test("bad input exits 64/65/66/73 with one clear line and leaves no output")
  func failures() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let affine = Affine.scaling([1, 1, 2])
    let image = Synthetic.ramp(Int16.self, shape: [12, 10, 8], affine: affine)
    let labels = Synthetic.box(shape: [12, 10, 8], lower: [2, 2, 2], upper: [6, 6, 6], label: 3, affine: affine)
    let imageURL = dir.appendingPathComponent("img.nii.gz")
    let segURL = dir.appendingPathComponent("seg.nii.gz")
    try NiftiImage(image).write(to: imageURL)
    try NiftiImage(labels).write(to: segURL)
    let other = dir.appendingPathComponent("other.nii.gz")
    try NiftiImage(Synthetic.box(shape: [12, 10, 7], lower: [0, 0, 0], upper: [1, 1, 1], affine: affine)).write(
      to: other)
    let fractional = dir.appendingPathComponent("frac.nii.gz")
    try NiftiImage(Volume<Float>(grid: labels.grid, voxels: labels.voxels.map { Float($0) * 0.5 })).write(
      to: fractional)
    let out = dir.appendingPathComponent("out.png")
    let before = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))

    func run(
      _ arguments: [String], _ code: Int32, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
      let result = try VibeSegBinary.run(["preview"] + arguments)
      #expect(result.status == code, "\(arguments): \(result.stderr)", sourceLocation: sourceLocation)
      #expect(result.stderr.contains(fragment), "\(result.stderr)", sourceLocation: sourceLocation)
      #expect(
        Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)) == before, "nothing written",
        sourceLocation: sourceLocation)
    }
    try run([segURL.path, "--image", imageURL.path, "-o", out.path, "--alpha", "2"], 64, "--alpha")
    try run([segURL.path, "--image", imageURL.path, "-o", out.path, "--views", "axial,top"], 64, "top")
    try run([segURL.path, "--image", imageURL.path, "-o", out.path, "--slices", "0"], 64, "--slices")
    try run([segURL.path, "--image", imageURL.path, "-o", out.path, "--labels", "x"], 64, "--labels")
    try run([segURL.path, "--image", imageURL.path, "-o", dir.appendingPathComponent("out.jpg").path], 64, ".png")
    try run(
      [dir.appendingPathComponent("none.nii.gz").path, "--image", imageURL.path, "-o", out.path], 66, "none.nii.gz")
    try run(
      [
        segURL.path, "--image", imageURL.path, "-o", out.path, "--label-names",
        dir.appendingPathComponent("n.json").path,
      ], 66, "n.json")
    try run([other.path, "--image", imageURL.path, "-o", out.path], 65, "grid")
    try run([fractional.path, "--image", imageURL.path, "-o", out.path], 65, "label map")
    try run(
      [segURL.path, "--image", imageURL.path, "-o", dir.appendingPathComponent("missing/out.png").path], 73,
      "does not exist")

    let ok = try VibeSegBinary.run(["preview", segURL.path, "--image", imageURL.path, "-o", out.path])
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect(try pngSize(out) != nil)
  }
}
