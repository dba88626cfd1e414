import Foundation
import NiftiIO
import Testing
import VibeSegKit
import VolumeCore
import _TestSupport

/// `ImageInput`: the one place that knows image file names and reads images for every command.
@Suite("image input seam")
struct ImageInputTests {
  @Test("file names: .nii and .nii.gz in any case; stems keep the rest of the name")
  func names() {
    #expect(ImageInput.format(ofName: "a.nii") == .nifti && ImageInput.format(ofName: "A.NII.GZ") == .nifti)
    #expect(ImageInput.format(ofName: "a.nii.zip") == nil && ImageInput.format(ofName: "a.gz") == nil && ImageInput.format(ofName: "nii") == nil)
    #expect(ImageInput.stem("sub-01_Water.NII.GZ") == "sub-01_Water")
    #expect(ImageInput.stem("x.nii") == "x" && ImageInput.stem("x.nii.gz.txt") == nil)
    #expect(ImageInput.stem(of: URL(fileURLWithPath: "/d/case.1.nii.gz")) == "case.1")
    #expect(ImageInput.stem(of: URL(fileURLWithPath: "/d/README")) == "README")
    #expect(NiftiFileName.isCompressed("a.NII.GZ") && !NiftiFileName.isCompressed("a.nii"))
  }

  @Test("readVolume: one finite 3-D volume; warnings name the file; the identity affine is flagged when asked")
  func readVolume() throws {
    let dir = try Fixtures.temporaryDirectory()
    let plain = dir.appendingPathComponent("plain.NII.GZ")
    try NiftiImage(Synthetic.ramp(Int16.self, shape: [4, 3, 2])).write(to: plain)
    let read = try ImageInput.readVolume(plain)
    #expect(read.format == .nifti && read.grid.shape == [4, 3, 2] && read.values.scalarType == .int16)
    #expect(read.warnings.count == 1 && read.warnings[0].hasPrefix(plain.path) && read.warnings[0].contains("identity"), "\(read.warnings)")
    #expect(try ImageInput.readVolume(plain, warnIdentityAffine: false).warnings.isEmpty)

    // An oblique affine is noted (as `vibeseg info` does), for TotalVibe commands only.
    let oblique = dir.appendingPathComponent("oblique.nii.gz")
    let c = cos(0.2), s = sin(0.2)
    let rotated = Affine(entries: [c, -s, 0, 0, s, c, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])
    try NiftiImage(Synthetic.ramp(Int16.self, shape: [4, 3, 2], affine: rotated)).write(to: oblique)
    #expect(try ImageInput.readVolume(oblique).warnings.contains { $0.contains("oblique by 11.46°") })
    #expect(try ImageInput.readVolume(oblique, warnIdentityAffine: false).warnings.isEmpty)

    let fourD = dir.appendingPathComponent("four.nii")
    try NiftiImage(Synthetic.ramp(Float.self, shape: [4, 3, 2], channels: 2)).write(to: fourD)
    #expect(try ImageInput.read(fourD).image.volume.channelCount == 2)
    let error4D = #expect(throws: VibeSegKitError.self) { try ImageInput.readVolume(fourD) }
    #expect(error4D?.description.contains("2 volumes") == true && error4D?.description.contains(fourD.path) == true)

    let nan = dir.appendingPathComponent("nan.nii.gz")
    try NiftiImage(Synthetic.ramp(Float.self, shape: [4, 3, 2]) { i, j, k, _ in i == 1 && j == 1 && k == 1 ? .nan : 1 }).write(to: nan)
    #expect(try ImageInput.read(nan).image.nonFiniteVoxelCount == 1)
    let errorNaN = #expect(throws: VibeSegKitError.self) { try ImageInput.readVolume(nan) }
    #expect(errorNaN?.description.contains("1 of 24 voxels are NaN or infinite") == true, "\(String(describing: errorNaN))")

    let missing = dir.appendingPathComponent("missing.nii.gz")
    let errorMissing = #expect(throws: VibeSegKitError.self) { try ImageInput.readVolume(missing) }
    #expect(errorMissing?.description.contains("no such file") == true)
  }
}
