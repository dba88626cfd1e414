import DICOMCore
import DICOMInput
import DICOMSeg
import Foundation
import NiftiIO
import VolumeCore

/// `--output-type`: which files a segmentation is written as.
public enum SegmentationOutputType: String, Sendable, CaseIterable, Codable {
  /// The NIfTI label map (default).
  case nifti
  /// One DICOM-SEG per source series, no NIfTI map (the JSON sidecar is still written).
  case dicomSeg = "dicom-seg"
  /// Both.
  case both

  public var writesNifti: Bool { self != .dicomSeg }
  public var writesDICOMSeg: Bool { self != .nifti }
}

/// DICOM-SEG output of a segmentation of DICOM input (issue 19): the source series read back
/// from the input's headers, the label map sampled on each series' own grid, one BINARY SEG per
/// series written in the command's `OutputTransaction` (so it appears with the label map or not
/// at all).
///
/// Naming: next to the output `-o OUT.nii.gz`, `OUT.seg.dcm` for one source series; for the stations
/// of a stitched contrast (`--contrast water` on a visit) one SEG per station series,
/// `OUT_series-<SeriesNumber>.seg.dcm`, each on its station's own grid with labels taken from the
/// stitched map (nearest neighbour where the stitched grid is not the station's; dicom.md 3.3).
///
/// Segments: always the 71 TotalVibeSegmentator labels (ids 1...72 without 20, `unused`) in id
/// order, so segment number n is the same structure in every SEG VibeSeg writes: numbers 1...19
/// are label ids 1...19 and numbers 20...71 are label ids 21...72. Codes: `TotalVibeSegmentCode`.
/// `--dicom-compress`: how SEG files are encoded.
public enum DICOMSegCompression: String, Sendable, CaseIterable, Codable {
  /// Explicit VR Little Endian (default; what Debian's dciodvfy and every viewer read).
  case none
  /// Deflated Explicit VR Little Endian (`1.2.840.10008.1.2.1.99`): about 100x smaller for a
  /// whole-body SEG; pydicom, highdicom and dcmqi read it, dciodvfy does not.
  case deflate
}

public struct DICOMSegOutput {
  /// The source series: the one the image was read from, or each station of a stitched contrast.
  public var sources: [SegmentationSource]
  /// How the SEG files are encoded (`--dicom-compress`).
  public var compression = DICOMSegCompression.none
  /// Their SeriesNumbers (file names of several SEGs).
  public var seriesNumbers: [Int?]
  public var input: URL

  /// One source for all station series (`SegmentationSource(combining:)`): one SEG, named
  /// `OUT.seg.dcm`, whose frames lie on each station's own slices and which references every
  /// station series (what `batch` writes for a stitched case: one output per case).
  ///
  /// - Throws: `VibeSegKitError.invalidInput` when the stations differ in Rows/Columns, pixel
  ///   spacing, orientation, study or frame of reference (the message says which).
  public mutating func combineStations() throws {
    guard sources.count > 1 else { return }
    do {
      sources = [try SegmentationSource(combining: sources)]
    } catch let error as DICOMError {
      throw VibeSegKitError(.invalidInput, "\(error.message)", path: input.path, option: "--output-type")
    }
    seriesNumbers = [nil]
  }

  /// The SEG path of each source series, next to `output`.
  public func urls(for output: URL) -> [URL] { Self.urls(for: output, seriesNumbers: seriesNumbers) }

  /// The SEG path(s) for `-o output` with `seriesCount` source series.
  public static func urls(for output: URL, seriesNumbers: [Int?]) -> [URL] {
    let folder = output.deletingLastPathComponent()
    let stem = ImageInput.stem(of: output)
    guard seriesNumbers.count > 1 else { return [folder.appendingPathComponent("\(stem).seg.dcm")] }
    return seriesNumbers.enumerated().map { n, number in
      folder.appendingPathComponent("\(stem)_series-\(number ?? n + 1).seg.dcm")
    }
  }

  /// The fixed segment table (see the type's documentation).
  public static let segments: [SegmentDefinition] = TotalVibeLabel.all.filter { $0.id != 20 }.enumerated().map {
    n, label in
    let code = TotalVibeSegmentCode.byName[label.name]!
    var segment = SegmentDefinition(
      number: n + 1, labelValue: Int(label.id), label: label.name, category: code.category, type: code.type,
      modifier: code.modifier)
    // The colour `vibeseg preview` draws the label in (`LabelColorTable`).
    let rgb = LabelColorTable.color(for: Int(label.id))
    segment.color = (rgb.red, rgb.green, rgb.blue)
    return segment
  }

  /// Reads the source series of a DICOM input (folder, file or zip, with the URL's
  /// `DICOMSelection`): its index (headers only) and every slice's header.
  ///
  /// - Throws: `VibeSegKitError.invalidOption` (`--output-type`) for an input that is not DICOM,
  ///   `.invalidInput` for a set the index rejects or several series groups, `DICOMError` for a
  ///   header that lacks what a SEG must reference (SOP, study, series, frame of reference UIDs).
  public init(input: URL) throws {
    guard ImageInput.format(of: input) == .dicom else {
      throw VibeSegKitError(
        .invalidOption,
        "DICOM-SEG output needs DICOM input (a series folder or file): a NIfTI has no source images to reference",
        path: input.path, option: "--output-type")
    }
    // The series the image was read from: the URL's `DICOMSelection` (--contrast, --series ...)
    // over the same index `ImageInput.readDICOM` builds (a zip's scratch copy lives as long as it).
    let selection = DICOMSelection(of: input)
    let index = try selection.index(input)
    guard index.verdict == .accepted else {
      throw VibeSegKitError(
        .invalidInput, "DICOM-SEG output needs an accepted DICOM set (this one is \(index.verdict.rawValue))",
        path: input.path)
    }
    let groups = try selection.groups(of: index, source: input.path)
    if let frame = groups.lazy.flatMap(\.files).first(where: { $0.frame != nil }) {
      // A SEG of a multi-frame source references frames (ReferencedFrameNumber), not instances.
      throw VibeSegKitError(
        .invalidOption,
        "DICOM-SEG output for a multi-frame (enhanced) source image is not written yet: use --output-type nifti",
        path: index.displayPath(frame.path), option: "--output-type")
    }
    // Stations of one contrast are segmented stitched; each station series gets its own SEG.
    let headers = try withExtendedLifetime(index) {
      try groups.map { group in try group.files.map { try DICOMHeader(contentsOf: URL(fileURLWithPath: $0.path)) } }
    }
    sources = try headers.map { try SegmentationSource(headers: $0) }
    seriesNumbers = groups.map(\.seriesNumber)
    self.input = input
  }

  /// Samples `labels` on every source series' grid and stages one SEG per series in `outputs`
  /// (declared by `SegmentJob.outputs`), named by `urls(for: output, ...)`. Returns the warnings
  /// of `encode`.
  ///
  /// - Throws: as `encode`; `.cannotCreateOutput`/`.ioFailure` from the transaction.
  public func write(
    _ labels: Volume<UInt8>, names: [Int: String], output: URL, modelName: String, in outputs: OutputTransaction,
    date: Date = Date(), uids: SegmentationUIDSource = .random
  ) throws -> [String] {
    let (files, warnings) = try encode(
      labels, names: names, output: output, modelName: modelName, date: date, uids: uids)
    for file in files { try outputs.write(file.bytes, to: file.url) }
    return warnings
  }

  /// The SEG file of every source series, in memory (`batch` writes them as case outputs), and
  /// warnings: a map not on the series' grid (labels taken by nearest neighbour), pixels outside
  /// the map.
  ///
  /// - Throws: `VibeSegKitError.unknownLabel` when a label present in the map is named differently
  ///   by the model than by TotalVibeSegmentator (the codes would describe the wrong structure);
  ///   `DICOMError.invalidValue` for a map whose affine is singular.
  public func encode(
    _ labels: Volume<UInt8>, names: [Int: String], output: URL, modelName: String, date: Date = Date(),
    uids: SegmentationUIDSource = .random
  ) throws -> (files: [(url: URL, bytes: [UInt8])], warnings: [String]) {
    var present = Set<UInt8>()
    for v in labels.voxels where v != 0 { present.insert(v) }
    for id in present.sorted() {
      let expected = TotalVibeLabel.label(id: Int(id))?.name
      guard let expected, expected != "unused", names[Int(id)] == nil || names[Int(id)] == expected else {
        throw VibeSegKitError(
          .unknownLabel,
          "label \(id) is '\(names[Int(id)] ?? "?")' in this model but '\(expected ?? "none")' in TotalVibeSegmentator's table; DICOM-SEG codes exist only for TotalVibeSegmentator's labels",
          option: "--output-type")
      }
    }
    let map = SegmentationLabelMap(shape: labels.grid.shape, affine: labels.grid.affine.rows, voxels: labels.voxels)
    let urls = urls(for: output)
    var warnings: [String] = []
    var files: [(url: URL, bytes: [UInt8])] = []
    // A model folder is named by its last component (no local paths in the DICOM header).
    let model = modelName.contains("/") ? URL(fileURLWithPath: modelName).lastPathComponent : modelName
    for (source, url) in zip(sources, urls) {
      let sampled = try SampledLabels(map: map, source: source)
      var options = SegmentationWriter.Options()
      options.softwareVersion = "vibeseg \(VibeSegVersion.string)"
      options.algorithmName = "VibeSeg TotalVibeSegmentator \(model)"
      options.seriesDescription = "VibeSeg \(model)"
      options.contentDescription =
        sampled.isResampled ? "labels resampled (nearest neighbour) onto the source grid" : "labels on the source grid"
      options.date = date
      options.uids = uids
      options.deflate = compression == .deflate
      do {
        files.append(
          (url, try SegmentationWriter.write(sampled, source: source, segments: Self.segments, options: options).bytes))
      } catch {
        throw VibeSegKitError(.ioFailure, "cannot encode the DICOM-SEG: \(error)", path: url.path)
      }
      if sampled.isResampled {
        warnings.append(
          "\(url.path): the label map is not on the series' grid; \(sampled.resampledPixels) source pixels took their nearest voxel's label"
        )
      }
      if sampled.outsidePixels > 0 {
        warnings.append(
          "\(url.path): \(sampled.outsidePixels) source pixels lie outside the label map (written as background)")
      }
    }
    return (files, warnings)
  }
}
