import DICOMCore
import DICOMInput
import Foundation
import NiftiIO
import VolumeCore
import VolumeStitching

/// A cheap test for DICOM input: a file with `DICM` at byte 128, a `.dcm` name or a zip, or a
/// folder with such a file (or a `.dcm` name) among the first entries of a shallow walk.
enum DICOMDetection {
  static func looksLikeDICOM(_ url: URL) -> Bool {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else { return false }
    if !isFolder.boolValue {
      // A `.dcm` name counts too: a DICOM file without the Part-10 preamble then gets the DICOM
      // reader's message, not the NIfTI reader's "sizeof_hdr" one.
      return hasMarker(url.path) || DICOMArchive.isZip(url) || url.lastPathComponent.lowercased().hasSuffix(".dcm")
    }
    var budget = 64  // entries looked at in all
    func search(_ folder: String, depth: Int) -> Bool {
      guard depth <= 3, let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return false }
      var subfolders: [String] = []
      for name in names.sorted() {
        guard budget > 0 else { return false }
        budget -= 1
        let path = (folder as NSString).appendingPathComponent(name)
        let type = (try? FileManager.default.attributesOfItem(atPath: path)[.type]) as? FileAttributeType
        if type == .typeDirectory { subfolders.append(path); continue }
        guard type == .typeRegular else { continue }
        if name.lowercased().hasSuffix(".dcm") || hasMarker(path) { return true }
      }
      return subfolders.contains { search($0, depth: depth + 1) }
    }
    return search(url.path, depth: 0)
  }

  /// `DICM` at byte 128 (PS3.10).
  static func hasMarker(_ path: String) -> Bool {
    guard let handle = FileHandle(forReadingAtPath: path) else { return false }
    defer { try? handle.close() }
    guard let prefix = try? handle.read(upToCount: 132), prefix.count == 132 else { return false }
    return prefix.suffix(4).elementsEqual("DICM".utf8)
  }
}

extension ImageInput {
  /// A DICOM folder, file or zip as one volume: the index must accept it, and the URL's
  /// `DICOMSelection` (none: the only group) must name one series group, or the stations of one
  /// contrast; pixels are read natively (uncompressed only) and stacked as dcm2niix does, and
  /// several stations are stitched (`stitchedImage(of:)`).
  ///
  /// - Throws: `VibeSegKitError.missingInput` (no DICOM image), `.invalidInput` (a rejected set,
  ///   several series groups), `DICOMError` (unreadable pixel data, a multi-frame image without
  ///   per-frame geometry).
  static func readDICOM(_ url: URL) throws -> InputImage {
    let selection = DICOMSelection(of: url)
    let index = try selection.index(url)
    // A zip's files live in a scratch folder only as long as the index does.
    defer { withExtendedLifetime(index) {} }
    switch index.verdict {
    case .noImages:
      if let multiFrame = index.skipped.first(where: { $0.reason.contains("multi-frame") }) {
        throw DICOMError(.unsupported, multiFrame.reason, path: index.displayPath(multiFrame.path))
      }
      throw VibeSegKitError(.missingInput, "no DICOM image found (vibeseg dicom index lists what was skipped)", path: url.path)
    case .rejected:
      let errors = index.problems.filter { $0.severity == .error }.map { index.displayText($0.message) }
      throw VibeSegKitError(
        .invalidInput,
        "the DICOM set is rejected: \(errors.prefix(3).joined(separator: "; "))\(errors.count > 3 ? "; ..." : "") (vibeseg dicom index lists every problem)",
        path: url.path)
    case .accepted:
      break
    }
    let groups = try selection.groups(of: index, source: url.path)
    let (image, warnings) = groups.count == 1 ? try niftiImage(of: groups[0]) : try stitchedImage(of: groups)
    let notes = index.problems.filter { $0.severity == .warning }.map { "\(url.path): \(index.displayText($0.message))" } + warnings.map(index.displayText)
    return InputImage(url: url, format: .dicom, image: image, warnings: notes)
  }

  /// The stations of one contrast (groups superior first, as `DICOMSelection.groups` returns
  /// them) as one volume: each group read as `niftiImage(of:)` does, then stitched as
  /// `vibeseg stitch` does with its defaults (TPTBox 1.1.0 `stitching()` as the NAKO script runs
  /// it: no N4, no histogram matching, ramp 5, kick-out on, TPTBox grid, float64 values; scaled
  /// stations enter as float32 with their scaling applied; each station's affine rounded to
  /// float32 as its NIfTI file would store it). `vibeseg dicom convert` writes the same
  /// volume.
  ///
  /// - Throws: `DICOMError` (pixel data), `VibeSegKitError.invalidInput` (the stations cannot be
  ///   stitched: a singular affine, fewer than 2 left after kick-out).
  public static func stitchedImage(of groups: [SeriesGroup]) throws -> (NiftiImage, [String]) {
    let (image, warnings, _) = try stitchedImageAndReport(of: groups)
    return (image, warnings)
  }

  /// `stitchedImage(of:)` with the stitch report (grid, rotation station, overlaps, kick-outs).
  public static func stitchedImageAndReport(of groups: [SeriesGroup]) throws -> (NiftiImage, [String], StitchReport) {
    var stations = [StitchStation]()
    var warnings = [String]()
    for group in groups {
      let (image, notes) = try niftiImage(of: group)
      warnings += notes
      var values = image.scaling == nil ? image.volume : AnyVolume(image.scaledVolume(as: Float.self))
      // The station's affine as a NIfTI file stores it (float32 srows): stitching DICOM stations
      // gives exactly what stitching their converted files gives (vibeseg stitch, TPTBox).
      let grid = values.grid
      values.grid = ImageGrid(shape: grid.shape, affine: Affine(rows: grid.affine.rows.map { $0.map { Double(Float($0)) } }))
      let name = "\(group.name)\(group.station.map { " (station \($0))" } ?? "")"
      stations.append(StitchStation(volume: values, hasScaling: image.scaling != nil, name: name))
    }
    let result: Stitching.Result
    do {
      result = try Stitching(options: StitchOptions()).stitch(stations)
    } catch {
      throw VibeSegKitError(.invalidInput, "the stations cannot be stitched: \(error.description)", path: groups[0].first.path)
    }
    var header = NiftiHeader()
    header.sformCode = 1
    header.qformCode = 1
    return (NiftiImage(volume: result.volume, header: header), warnings + result.report.warnings, result.report)
  }

  /// One accepted series group as NIfTI's in-memory form: pixels decoded natively and stacked as
  /// dcm2niix does (`DICOMVolume`), sform/qform code 1 (scanner anatomical), scaling from the
  /// rescale slope/intercept. `readDICOM` and `vibeseg dicom convert` use it.
  ///
  /// - Throws: `DICOMError` (compressed, enhanced or unreadable pixel data).
  public static func niftiImage(of group: SeriesGroup) throws -> (NiftiImage, [String]) {
    // Compressed pixel data: dcm2niix, contained (`DCM2NIIX`); everything else natively.
    if group.first.transferSyntax.isEncapsulated {
      // Measured: Debian's dcm2niix v1.0.20220720 decodes an RLE multi-frame copy of the series
      // fixture to wrong values with exit 0 and the right geometry (pydicom decodes it right), and
      // nothing in the headers can catch that. So compressed multi-frame data is refused.
      if let frame = group.files.first(where: { $0.frame != nil }) {
        throw DICOMError(
          .unsupported,
          "compressed multi-frame image (transfer syntax \(group.first.transferSyntax.uid)): not read, because dcm2niix 1.0.20220720 was measured to decode such files to wrong values; decompress it first (e.g. gdcmconv --raw or dcmdjpeg/dcmdrle) and read the uncompressed file, which is decoded natively",
          path: frame.path, tag: DICOMTag.pixelData.label)
      }
      // Only single-frame files reach dcm2niix: one link per file.
      return try DCM2NIIX.fromEnvironment().convert(group)
    }
    let volume = try DICOMVolume(group: group)
    let grid = ImageGrid(shape: volume.shape, affine: Affine(rows: volume.affine))
    let voxels: AnyVolume
    switch volume.values {
    case .uint8(let v): voxels = AnyVolume(Volume(grid: grid, voxels: v))
    case .int8(let v): voxels = AnyVolume(Volume(grid: grid, voxels: v))
    case .uint16(let v): voxels = AnyVolume(Volume(grid: grid, voxels: v))
    case .int16(let v): voxels = AnyVolume(Volume(grid: grid, voxels: v))
    case .float32(let v): voxels = AnyVolume(Volume(grid: grid, voxels: v))
    }
    var header = NiftiHeader()
    header.sformCode = 1  // scanner anatomical, as dcm2niix writes
    header.qformCode = 1
    var image = NiftiImage(volume: voxels, header: header)
    image.scaling = volume.scaling
    return (image, volume.warnings)
  }
}
