import Foundation
import NNUNetRuntime
import NiftiIO
import VolumeCore
import VolumeTransforms

/// `vibeseg segment`: one image through a TotalVibeSegmentator model (and its ROI model when it is
/// cascaded) to a uint8 label map with the input's geometry, a JSON sidecar of label names, and
/// optionally one binary mask per structure. Every file is written atomically.
public struct SegmentJob {
  public var input: URL
  public var output: URL
  public var model: TotalVibeModel
  public var roiModel: TotalVibeModel?
  public var options = SegmentationOptions()
  /// Structure names to keep (TotalSegmentator's `--roi_subset`); empty keeps all. Names are the
  /// model's `dataset.json` label names.
  public var roiSubset: [String] = []
  /// A folder for one `<name>.nii.gz` binary mask (uint8 0/1) per structure of the model
  /// (restricted to `roiSubset` when given).
  public var splitMasksFolder: URL?
  /// Replace existing outputs; without it an existing output is an error (nothing is written).
  public var overwrite = false
  /// A name for the model in the sidecar (its id or folder name).
  public var modelName: String
  /// Upstream's relabelling for the spine models (`vibeseg spine`), applied to the final map.
  public var spineModel: SpineModel?
  /// Told what starts next (reading, each model, writing), for the CLI's progress lines.
  public var progress: ((String) -> Void)? = nil
  /// Told after every sliding-window tile (tiles done, tiles in all), for a progress line with an ETA.
  public var tileProgress: (@Sendable (Int, Int) -> Void)? = nil
  /// `--stats FILE.csv|FILE.json`: label statistics of the map over the input (`CaseSummaries`).
  public var statisticsOutput: URL?
  /// `--preview FILE.png`: the QC picture of the map over the input (`CaseSummaries`).
  public var previewOutput: URL?
  /// `--output-type`: the NIfTI map, DICOM-SEG (DICOM input only, `DICOMSegOutput`), or both.
  public var outputType = SegmentationOutputType.nifti
  /// `--dicom-compress`: the SEG files' encoding.
  public var dicomCompression = DICOMSegCompression.none

  public init(input: URL, output: URL, model: TotalVibeModel, roiModel: TotalVibeModel? = nil, modelName: String? = nil) {
    self.input = input
    self.output = output
    self.model = model
    self.roiModel = roiModel
    self.modelName = modelName ?? model.folder.lastPathComponent
  }

  /// What a run produced, for the CLI and batch manifests.
  public struct Report: Sendable {
    public var warnings: [String]
    /// Label ids present in the written map.
    public var labelsPresent: [Int]
    public var sidecar: URL
    public var masks: [URL]
    /// The DICOM-SEG files written (`--output-type dicom-seg|both`).
    public var dicomSeg: [URL] = []
  }

  /// The sidecar path: the output with `.nii.gz`/`.nii` replaced by `.json`.
  public static func sidecarURL(for output: URL) -> URL {
    output.deletingLastPathComponent().appendingPathComponent(ImageInput.stem(of: output) + ".json")
  }

  /// The outputs of a run of this job, checked before anything is computed: the label map and
  /// its sidecar (the masks are declared by `run` once the label names are known). Commands
  /// call it before loading a model, so that an unwritable folder or an existing output is found
  /// at once (`OutputTransaction`).
  /// With `outputType` `.dicomSeg` the map itself is not declared; the SEG file(s) are declared by
  /// `run` once the input's series are known (`DICOMSegOutput.urls`).
  public static func outputs(
    for output: URL, input: URL, overwrite: Bool, outputType: SegmentationOutputType = .nifti
  ) throws -> OutputTransaction {
    try OutputTransaction(
      outputs: (outputType.writesNifti ? [output] : []) + [sidecarURL(for: output)], inputs: [input], overwrite: overwrite)
  }

  /// Runs the job. `outputs` is the transaction from `outputs(for:input:overwrite:)` when the
  /// caller made it before loading the model; else one is made here. Every file (map, sidecar,
  /// masks) is published together at the end, or none is.
  public func run(outputs given: OutputTransaction? = nil) throws -> Report {
    let names = spineModel?.outputNames(modelNames: model.labelNames) ?? model.labelNames
    let keep = try Self.subsetIDs(roiSubset, names: names)
    let sidecar = Self.sidecarURL(for: output)
    let outputs = try given ?? Self.outputs(for: output, input: input, overwrite: overwrite, outputType: outputType)
    var masks = [(id: Int, url: URL)]()
    if let folder = splitMasksFolder {
      do {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      } catch {
        throw VibeSegKitError(.cannotCreateOutput, "cannot create the mask folder: \(error.localizedDescription)", path: folder.path)
      }
      for (id, name) in names.sorted(by: { $0.key < $1.key }) where keep?.contains(id) ?? true {
        masks.append((id, folder.appendingPathComponent("\(name).nii.gz")))
      }
      try outputs.declare(masks.map(\.url))
    }
    if previewOutput != nil && options.keepSize {
      throw VibeSegKitError(.invalidOption, "the preview draws the map on the input image; not with --keep-size (the map stays on the model grid)", option: "--preview")
    }
    try outputs.declare([statisticsOutput, previewOutput].compactMap { $0 })
    progress?("reading \(input.lastPathComponent)")
    let scan = try ImageInput.readVolume(input)
    // The source series next: a DICOM-SEG that cannot be written is found before the model runs.
    var dicomSeg = outputType.writesDICOMSeg ? try DICOMSegOutput(input: input) : nil
    dicomSeg?.compression = dicomCompression
    if let dicomSeg { try outputs.declare(dicomSeg.urls(for: output)) }
    let (image, volume, warnings) = (scan.image, scan.values, scan.warnings)
    var pipeline = try SegmentationPipeline(model: model, roiModel: roiModel, options: options)
    pipeline.progress = progress
    pipeline.tileProgress = tileProgress
    let product = try Self.compute(
      image: image, volume: volume, input: input, pipeline: pipeline, names: names, keep: keep, spineModel: spineModel,
      modelName: modelName)
    progress?("writing \(output.lastPathComponent)\(masks.isEmpty ? "" : " and \(masks.count) masks")")
    for (id, url) in masks {
      try product.mask(id).write(to: url, in: outputs)
    }
    if outputType.writesNifti { try product.labelMap.write(to: output, in: outputs) }
    var segWarnings: [String] = []
    if let dicomSeg {
      progress?("writing DICOM-SEG")
      segWarnings = try dicomSeg.write(product.labels, names: names, output: output, modelName: modelName, in: outputs)
    }
    do {
      try outputs.write(product.sidecar, to: sidecar)
    } catch {
      throw VibeSegKitError(.cannotCreateOutput, "cannot write the label sidecar: \(error)", path: sidecar.path, underlying: error)
    }
    let shown = keep.map { ids in names.filter { ids.contains($0.key) } } ?? names
    if let statisticsOutput {
      let report = try CaseSummaries.statistics(
        labels: product.labels.converted(to: UInt16.self), background: options.keepSize ? nil : image, names: shown,
        source: output.lastPathComponent)
      try report.write(to: statisticsOutput, in: outputs)
    }
    if let previewOutput {
      let picture = try CaseSummaries.preview(
        segmentation: product.labelMap, image: image, names: shown, segmentationPath: output.lastPathComponent,
        imagePath: input.path)
      try picture.writePNG(to: previewOutput, in: outputs)
    }
    try outputs.commit()
    return Report(
      warnings: outputs.notes + warnings + segWarnings, labelsPresent: product.labelsPresent, sidecar: sidecar, masks: masks.map(\.url),
      dicomSeg: dicomSeg?.urls(for: output) ?? [])
  }

  /// What one segmentation produced, in memory: the label map (headers from the input), the
  /// labels, and the sidecar's bytes. `vibeseg segment`/`spine` and `batch --task segment|spine`
  /// both write these, so their files are byte-identical.
  public struct Product: @unchecked Sendable {
    /// The uint8 label map on the input grid (or the model grid with `keepSize`).
    public var labelMap: NiftiImage
    public var labels: Volume<UInt8>
    /// Label ids present in the map.
    public var labelsPresent: [Int]
    /// `OUT.json`: schema version, model, input file name, label names, labels present, options,
    /// provenance (tool version, input path and SHA-256, model and ROI model folders, folds and
    /// SHA-256, creation time).
    public var sidecar: [UInt8]

    /// The binary (uint8 0/1) mask of label `id` with the label map's headers.
    public func mask(_ id: Int) -> NiftiImage {
      var image = labelMap
      image.volume = AnyVolume(Volume<UInt8>(grid: labels.grid, voxels: labels.voxels.map { $0 == UInt8(id) ? 1 : 0 }))
      return image
    }
  }

  /// The per-case computation shared by the command and `batch`: the pipeline on `volume`, upstream's
  /// spine relabelling, the `--roi-subset` filter (`keep`), and the sidecar.
  ///
  /// - Parameters:
  ///   - names: the output's label names (after a spine relabelling).
  ///   - keep: the label ids `--roi-subset` keeps (nil: all).
  ///   - modelName: `--model` as given, recorded in the sidecar.
  /// Masks, when wanted, come from `Product.mask`.
  public static func compute(
    image: NiftiImage, volume: AnyVolume, input: URL, pipeline: SegmentationPipeline, names: [Int: String], keep: Set<Int>?,
    spineModel: SpineModel?, modelName: String
  ) throws -> Product {
    var labels: Volume<UInt8>
    do { labels = try pipeline.segment(volume) } catch let error as ResamplingError { throw error.naming(input.path) }
    if let spineModel {
      labels.voxels = spineModel.mapped(labels.voxels)
    }
    if let keep {
      labels.voxels.withUnsafeMutableBufferPointer { buffer in
        for n in buffer.indices where buffer[n] != 0 && !keep.contains(Int(buffer[n])) { buffer[n] = 0 }
      }
    }
    var present = Set<Int>()
    for v in labels.voxels where v != 0 { present.insert(Int(v)) }
    let provenance = try Provenance(input: input, model: pipeline.model.provenance, roiModel: pipeline.roiModel?.provenance)
    let sidecar = try Self.sidecar(
      modelName: modelName, input: input, names: names, keep: keep, present: present, options: pipeline.options,
      provenance: provenance)
    return Product(labelMap: labelImage(labels, like: image), labels: labels, labelsPresent: present.sorted(), sidecar: sidecar)
  }

  /// The label ids `roiSubset` names (`LabelSelection`: names, ids, ranges of this model's
  /// structures), nil for all. Unknown entries throw `unknownLabel` with the known names.
  public static func subsetIDs(_ roiSubset: [String], names: [Int: String]) throws -> Set<Int>? {
    guard !roiSubset.isEmpty else { return nil }
    return Set(try LabelSelection.resolve(roiSubset, names: names, option: "--roi-subset", requireKnown: true))
  }


  /// A uint8 label image on `labels.grid`, units and form codes copied from the input header.
  public static func labelImage(_ labels: Volume<UInt8>, like image: NiftiImage) -> NiftiImage {
    var out = NiftiImage(labels)
    out.header.xyztUnits = image.header.xyztUnits
    out.header.sformCode = image.header.sformCode
    out.header.qformCode = image.header.qformCode
    return out
  }

  /// The sidecar's bytes (`SidecarJSON`: pretty, key-sorted, label ids in numeric order).
  static func sidecar(
    modelName: String, input: URL, names: [Int: String], keep: Set<Int>?, present: Set<Int>, options: SegmentationOptions,
    provenance: Provenance
  ) throws -> [UInt8] {
    struct Sidecar: Encodable {
      var schemaVersion = 1
      var model: String
      var input: String
      var labels: [String: String]
      var labelsPresent: [Int]
      var options: SegmentationOptions
      var provenance: Provenance
    }
    var labels = [String: String]()
    for (id, name) in names where keep?.contains(id) ?? true { labels[String(id)] = name }
    return try SidecarJSON.encode(
      Sidecar(
        model: modelName, input: input.lastPathComponent, labels: labels, labelsPresent: present.sorted(), options: options,
        provenance: provenance))
  }
}
