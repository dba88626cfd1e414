import DICOMInput
import Foundation
import NiftiIO
import VolumeCore

/// The formats VibeSeg reads images from, detected in `ImageInput.format(of:)` and read into the
/// same `InputImage` by `ImageInput.read`.
public enum ImageFormat: String, Sendable, CaseIterable {
  case nifti = "NIfTI"
  /// A folder holding one DICOM series group (or one DICOM file): uncompressed classic slices,
  /// stacked as dcm2niix does (issue 19, slice 2).
  case dicom = "DICOM"
}

/// An image as every command receives it: NIfTI's in-memory form (voxels as stored, grid,
/// scaling, header; a DICOM reader fills the same fields, as dcm2niix does) and where it came from.
public struct InputImage: Sendable {
  public var url: URL
  public var format: ImageFormat
  public var image: NiftiImage
  /// What the reader noticed, each line starting with the file's path.
  public var warnings: [String]

  public var grid: ImageGrid { image.grid }

  /// The voxels to compute on: as stored, or as `Float` with `scl_slope`/`scl_inter` applied when
  /// the file has a scaling (nibabel `get_fdata` in float32).
  public var values: AnyVolume { image.scaling == nil ? image.volume : AnyVolume(image.scaledVolume(as: Float.self)) }
}

/// The one seam through which commands read images, and the one place that knows image file
/// names. Every command that takes an image (info, convert, predict, segment, spine, combine,
/// stats, preview, evaluate, batch) reads it here.
///
/// ```swift
/// let scan = try ImageInput.readVolume(url)            // one finite 3-D volume
/// let name = ImageInput.stem(of: url)                  // "sub-01_water" for sub-01_water.nii.gz
/// ```
public enum ImageInput {
  /// The format of a path: NIfTI by name (`.nii`, `.nii.gz`; no file system access), else DICOM
  /// for a folder with a DICOM file near its top or a file with the Part-10 `DICM` marker; nil
  /// for none we know.
  public static func format(of url: URL) -> ImageFormat? {
    if let format = format(ofName: url.lastPathComponent) { return format }
    return DICOMDetection.looksLikeDICOM(url) ? .dicom : nil
  }

  public static func format(ofName name: String) -> ImageFormat? { NiftiFileName.isNifti(name) ? .nifti : nil }

  /// Whether a file name is an image VibeSeg reads (case folders, evaluation folders).
  public static func isImage(_ name: String) -> Bool { format(ofName: name) != nil }

  /// The name without its image suffix, nil when it has none.
  public static func stem(_ name: String) -> String? { NiftiFileName.stem(name) }

  /// The file name without its image suffix (the whole name when it has none): output and case
  /// names derive from it.
  public static func stem(of url: URL) -> String { stem(url.lastPathComponent) ?? url.lastPathComponent }

  /// Reads any image (3-D or 4-D, any values). A name without a known suffix is read as NIfTI,
  /// whose reader names the file and what is wrong with it.
  ///
  /// - Throws: `NiftiError` (missing, unreadable or invalid file).
  public static func read(_ url: URL, options: NiftiReadOptions = NiftiReadOptions()) throws -> InputImage {
    let format = format(of: url) ?? .nifti
    switch format {
    case .dicom:
      return try readDICOM(url)
    case .nifti:
      let image = try NiftiImage(contentsOf: url, options: options)
      return InputImage(url: url, format: format, image: image, warnings: image.warnings.map { "\(url.path): \($0)" })
    }
  }

  /// Reads an image a network runs on (`segment`, `spine`, `combine` contrasts, `predict`
  /// channels, and their `batch` tasks): exactly one 3-D volume with only finite voxels.
  ///
  /// - Parameter warnIdentityAffine: add upstream's warning for an identity affine and a note for
  ///   an oblique one (TotalVibe commands; nnU-Net's `predict` does not warn).
  /// - Throws: `VibeSegKitError.missingInput` (no such file), `.invalidInput` (4-D, NaN/Inf
  ///   voxels), `NiftiError`.
  public static func readVolume(_ url: URL, warnIdentityAffine: Bool = true) throws -> InputImage {
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw VibeSegKitError(.missingInput, "no such file", path: url.path)
    }
    var input = try read(url)
    guard input.image.volume.channelCount == 1 else {
      throw VibeSegKitError(
        .invalidInput,
        "\(input.image.volume.channelCount) volumes in one file; give one 3-D volume per file (each channel of a multi-channel model as its own file)",
        path: url.path)
    }
    try requireFiniteVoxels(input.image, url)
    if warnIdentityAffine && input.grid.affine == Affine.identity {
      input.warnings.append(
        "\(url.path): the affine is the identity; check voxel size and orientation (NAKO VIBE: 1.40625 mm in-plane, 3 mm slices)")
    }
    let obliquity = input.grid.affine.obliquityRadians * 180 / Double.pi
    if warnIdentityAffine && obliquity > 1e-3 {
      // As `vibeseg info` notes it: the model grid is rescaled along the image's own axes (as
      // upstream does), and labels go back by nearest neighbour onto the oblique grid.
      input.warnings.append(
        "\(url.path): the image is oblique by \(String(format: "%.2f", obliquity))°; it is segmented on its own (oblique) axes, as upstream does")
    }
    return input
  }

  /// The non-finite rule (README, "Reliability"): an image to segment or predict must not hold
  /// NaN or infinite voxels. nnU-Net and TotalVibeSegmentator would carry them into every tile
  /// and return an empty label map with exit 0; we refuse with the count instead.
  ///
  /// - Throws: `VibeSegKitError.invalidInput` naming the file and the number of such voxels.
  public static func requireFiniteVoxels(_ image: NiftiImage, _ url: URL) throws {
    guard image.nonFiniteVoxelCount == 0 else {
      throw VibeSegKitError(
        .invalidInput,
        "\(image.nonFiniteVoxelCount) of \(image.grid.voxelCount * image.volume.channelCount) voxels are NaN or infinite; a segmentation over them would be meaningless (upstream returns an empty map). Replace them first, e.g. by 0",
        path: url.path)
    }
  }
}
