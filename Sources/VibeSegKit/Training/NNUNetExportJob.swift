import Evaluation
import Foundation
import NiftiIO
import VolumeCore
import VolumeTransforms

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `vibeseg export-nnunet`: an nnU-Net v2 raw dataset from VibeSeg training cases
/// (training.md §5).
///
/// Cases: `TrainingCaseList.load(cases)`, plus the deformed copies found in each `augmented`
/// folder (`vibeseg augment` sidecars, `TrainingCaseList.augmentedCopies`).
///
/// Writes `<output>/DatasetXXX_Name/` with `imagesTr/<case>_0000.nii.gz` (one channel per case:
/// each contrast is its own case), `labelsTr/<case>.nii.gz`, `dataset.json`
/// (`NNUNetExportFiles.datasetJSON`), `splits_final.json` (`SubjectFolds`), `train.sh` (the
/// planner/trainer commands) and `vibeseg_export.json` (one row per case: subject, fold,
/// sources). Images and labels are hard-linked to the inputs (`.link`, falling back to a copy
/// across file systems) or copied (`.copy`); several cases may share one label file.
///
/// Checked before anything is written, each error naming the file: every case id is unique;
/// inputs end in `.nii.gz`; image and label map share the grid (shape, affine within 1e-4 mm,
/// `LabelMap.gridsMatch`); label values are whole numbers in 0...ignore (the label set's ids and
/// its ignore label); images are 3-D and finite; every case has the same orientation and
/// spacing (within 1e-3 mm; resample with `vibeseg resample-to` first), so that dataset.json's
/// `spacing` is the spacing nnU-Net plans.
///
/// The dataset folder is built under a hidden temporary name in `output` and renamed into place
/// at the end: it appears whole or not at all. An existing dataset folder is replaced only with
/// `overwrite`; another folder with the same dataset id and a different name is refused
/// (nnU-Net could not tell them apart).
public struct NNUNetExportJob: Sendable {
  public enum FileMode: String, Sendable, CaseIterable {
    /// Hard links (no extra disk), a copy where the inputs are on another file system.
    case link
    case copy
  }

  public var cases: URL
  /// Folders of `vibeseg augment` copies of these cases (`TrainingCaseList.augmentedCopies`).
  public var augmented: [URL] = []
  /// nnU-Net's raw folder (`$nnUNet_raw`), which must exist.
  public var output: URL
  public var datasetID: Int
  public var datasetName: String
  public var labels: TrainingLabelSet = .totalVibe
  /// dataset.json's channel name; it picks nnU-Net's normalisation ("MRI": z-score, "CT": CT).
  public var channelName = "MRI"
  public var foldCount = 5
  public var files: FileMode = .link
  public var overwrite = false

  public init(cases: URL, output: URL, datasetID: Int, datasetName: String) {
    self.cases = cases
    self.output = output
    self.datasetID = datasetID
    self.datasetName = datasetName
  }

  /// What was exported.
  public struct Outcome: Sendable {
    public var datasetFolder: URL
    public var caseCount: Int
    public var subjectCount: Int
    public var deformedCopies: Int
    public var orientation: String
    public var spacing: [Double]
    public var folds: [SubjectFolds.Fold]
  }

  /// Dataset ids nnU-Net accepts (three digits).
  public static let idRange = 1...999

  /// Agreement of the cases' spacings, per axis (mm).
  public static let spacingToleranceMillimeters = 1e-3

  /// - Throws: `VibeSegKitError`: `.invalidOption` (id, name, folds), `.missingInput`,
  ///   `.invalidInput` (manifest, case names, duplicates, file endings, mixed spacing or
  ///   orientation), `.gridMismatch`, `.notALabelMap` (label values outside 0...ignore),
  ///   `.cannotCreateOutput`; `NiftiError` from the reader.
  public func run() throws -> Outcome {
    guard Self.idRange.contains(datasetID) else {
      throw VibeSegKitError(.invalidOption, "dataset id \(datasetID) is not 1...999", option: "--id")
    }
    guard !datasetName.isEmpty,
      datasetName.unicodeScalars.allSatisfy({
        $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_")
      })
    else {
      throw VibeSegKitError(
        .invalidOption, "dataset name '\(datasetName)' must be letters, digits, '-' and '_'", option: "--name")
    }
    let folderName = NNUNetExportFiles.datasetFolderName(id: datasetID, name: datasetName)
    let destination = output.appendingPathComponent(folderName)
    try preflight(destination)

    var list = try TrainingCaseList.load(cases)
    let originals = list
    for folder in augmented { list += try TrainingCaseList.augmentedCopies(in: folder, of: originals) }
    try checkUnique(list)
    let folds = try SubjectFolds.make(list, foldCount: foldCount)
    let geometry = try checkInputs(list)

    let fm = FileManager.default
    let staging = output.appendingPathComponent(".\(folderName).partial-\(getpid())")
    try? fm.removeItem(at: staging)
    do {
      try fm.createDirectory(at: staging.appendingPathComponent("imagesTr"), withIntermediateDirectories: true)
      try fm.createDirectory(at: staging.appendingPathComponent("labelsTr"), withIntermediateDirectories: true)
    } catch {
      throw VibeSegKitError(
        .cannotCreateOutput, "cannot create the dataset folder: \(error.localizedDescription)", path: staging.path)
    }
    defer { try? fm.removeItem(at: staging) }
    for c in list {
      try place(c.image, at: staging.appendingPathComponent("imagesTr/\(c.caseID)_0000.nii.gz"))
      try place(c.label, at: staging.appendingPathComponent("labelsTr/\(c.caseID).nii.gz"))
    }
    let fold = SubjectFolds.assignment(subjects: list.map(\.subject), foldCount: foldCount)
    try write(
      NNUNetExportFiles.datasetJSON(
        labels: labels, channelName: channelName, caseCount: list.count, orientation: geometry.orientation.code,
        spacing: geometry.spacing, foldCount: foldCount),
      to: staging.appendingPathComponent("dataset.json"))
    try write(NNUNetExportFiles.splitsJSON(folds), to: staging.appendingPathComponent("splits_final.json"))
    try write(
      NNUNetExportFiles.trainScript(id: datasetID, folderName: folderName),
      to: staging.appendingPathComponent("train.sh"), mode: 0o755)
    try write(caseTable(list, fold: fold), to: staging.appendingPathComponent("vibeseg_export.json"))
    try publish(staging, as: destination)
    return Outcome(
      datasetFolder: destination, caseCount: list.count, subjectCount: Set(list.map(\.subject)).count,
      deformedCopies: list.filter(\.isDeformedCopy).count, orientation: geometry.orientation.code,
      spacing: geometry.spacing,
      folds: folds)
  }

  /// The output folder exists; the dataset folder does not (unless `overwrite`); no other folder
  /// of `output` has the same id.
  func preflight(_ destination: URL) throws(VibeSegKitError) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: output.path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw VibeSegKitError(
        .cannotCreateOutput, "no such folder (nnU-Net's raw folder must exist)", path: output.path, option: "--output")
    }
    if FileManager.default.fileExists(atPath: destination.path) && !overwrite {
      throw VibeSegKitError(.cannotCreateOutput, "exists; pass --overwrite to replace it", path: destination.path)
    }
    let prefix = "Dataset" + String(format: "%03d", datasetID) + "_"
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []
    if let other = entries.sorted().first(where: { $0.hasPrefix(prefix) && $0 != destination.lastPathComponent }) {
      throw VibeSegKitError(
        .cannotCreateOutput,
        "holds \(other) with the same dataset id \(datasetID); nnU-Net needs unique ids (choose another --id)",
        path: output.path)
    }
  }

  /// Every case id once.
  func checkUnique(_ list: [TrainingCase]) throws(VibeSegKitError) {
    var seen = [String: String]()
    for c in list {
      if let first = seen[c.caseID] {
        throw VibeSegKitError(.invalidInput, "case id \(c.caseID) is listed twice (also at \(first))", path: c.source)
      }
      seen[c.caseID] = c.source
    }
  }

  /// Reads every image and label map once and checks them (see the type's documentation).
  /// Returns the shared orientation and spacing (NIfTI axis order, mm).
  func checkInputs(_ list: [TrainingCase]) throws -> (orientation: Orientation, spacing: [Double]) {
    var checkedLabels = [String: ImageGrid]()
    var first: (orientation: Orientation, spacing: [Double], path: String)?
    for c in list {
      for url in [c.image, c.label] where !url.lastPathComponent.hasSuffix(".nii.gz") {
        throw VibeSegKitError(
          .invalidInput, "nnU-Net's file ending is .nii.gz; convert it (vibeseg convert)", path: url.path)
      }
      let image = try ImageInput.readVolume(c.image, warnIdentityAffine: false)
      let labelGrid: ImageGrid
      if let grid = checkedLabels[c.label.path] {
        labelGrid = grid
      } else {
        labelGrid = try checkLabelValues(c.label)
        checkedLabels[c.label.path] = labelGrid
      }
      guard LabelMap.gridsMatch(image.grid, labelGrid) else {
        throw VibeSegKitError(
          .gridMismatch,
          "the label map is not on the image's grid (shape \(labelGrid.shape) vs \(image.grid.shape), affines differ by \(image.grid.affine.maxAbsDifference(to: labelGrid.affine)) mm); resample it (vibeseg resample-to --reference)",
          path: c.label.path)
      }
      guard let orientation = image.grid.orientation else {
        throw VibeSegKitError(.invalidInput, "the affine has no orientation (singular)", path: c.image.path)
      }
      let spacing = image.grid.spacingMillimeters
      if let first {
        guard orientation == first.orientation,
          zip(spacing, first.spacing).allSatisfy({ abs($0 - $1) <= Self.spacingToleranceMillimeters })
        else {
          throw VibeSegKitError(
            .invalidInput,
            "orientation \(orientation.code), spacing \(spacing) mm differ from \(first.path) (\(first.orientation.code), \(first.spacing) mm); put every case on one grid spacing first (vibeseg resample-to)",
            path: c.image.path)
        }
      } else {
        first = (orientation, spacing, c.image.path)
      }
    }
    return (first!.orientation, first!.spacing)
  }

  /// A label map's grid, after checking its values are in 0...ignore.
  func checkLabelValues(_ url: URL) throws -> ImageGrid {
    let read = try ImageInput.readVolume(url, warnIdentityAffine: false)
    let map = try SegmentationStatistics.labelMap(read.image, path: url.path)
    let ignore = labels.ignoreLabel
    if let index = map.voxels.firstIndex(where: { Int($0) > ignore }) {
      let n0 = map.grid.shape[0]
      let n1 = map.grid.shape[1]
      throw VibeSegKitError(
        .notALabelMap,
        "voxel (\(index % n0), \(index / n0 % n1), \(index / (n0 * n1))) holds \(map.voxels[index]), which is not in the label set (1...\(labels.maxID) from \(labels.source), ignore \(ignore))",
        path: url.path)
    }
    return read.grid
  }

  /// Hard-links or copies `source` to `target`.
  func place(_ source: URL, at target: URL) throws(VibeSegKitError) {
    let fm = FileManager.default
    if files == .link, (try? fm.linkItem(at: source, to: target)) != nil { return }
    do {
      try fm.copyItem(at: source, to: target)
    } catch {
      throw VibeSegKitError(
        .cannotCreateOutput, "cannot copy \(source.path): \(error.localizedDescription)", path: target.path)
    }
  }

  func write(_ text: String, to url: URL, mode: Int = 0o644) throws(VibeSegKitError) {
    do {
      try Data(text.utf8).write(to: url)
      try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
    } catch {
      throw VibeSegKitError(.cannotCreateOutput, "cannot write: \(error.localizedDescription)", path: url.path)
    }
  }

  /// `vibeseg_export.json`: what was exported from where (tool version, case list, augment
  /// folders, label source, fold count, link/copy) and one row per case (id, subject, copy, fold,
  /// image and label sources), so a model can be traced to its data.
  func caseTable(_ list: [TrainingCase], fold: [String: Int]) -> String {
    let rows = list.map { c in
      "    {\"case\": \(NNUNetExportFiles.quoted(c.caseID)), \"subject\": \(NNUNetExportFiles.quoted(c.subject)), "
        + "\"copy\": \(c.copy.map(String.init) ?? "null"), \"fold\": \(fold[c.subject]!), "
        + "\"image\": \(NNUNetExportFiles.quoted(c.image.path)), \"label\": \(NNUNetExportFiles.quoted(c.label.path))}"
    }
    let q = NNUNetExportFiles.quoted
    let header =
      "  \"schemaVersion\": 1,\n  \"tool\": \"vibeseg export-nnunet \(VibeSegVersion.string)\",\n"
      + "  \"casesFrom\": \(q(cases.path)),\n  \"augmented\": [\(augmented.map { q($0.path) }.joined(separator: ", "))],\n"
      + "  \"labelSource\": \(q(labels.source)),\n  \"folds\": \(foldCount),\n  \"files\": \(q(files.rawValue)),\n"
    return "{\n" + header + "  \"cases\": [\n" + rows.joined(separator: ",\n") + "\n  ]\n}\n"
  }

  /// Renames the finished `staging` folder to `destination`; an existing one (with `overwrite`)
  /// is moved aside first and removed after.
  func publish(_ staging: URL, as destination: URL) throws(VibeSegKitError) {
    let fm = FileManager.default
    var old: URL?
    if fm.fileExists(atPath: destination.path) {
      let aside = output.appendingPathComponent(".\(destination.lastPathComponent).old-\(getpid())")
      guard rename(destination.path, aside.path) == 0 else {
        throw VibeSegKitError(
          .cannotCreateOutput, "cannot move the old dataset aside: \(String(cString: strerror(errno)))",
          path: destination.path)
      }
      old = aside
    }
    guard rename(staging.path, destination.path) == 0 else {
      let reason = String(cString: strerror(errno))
      if let old { _ = rename(old.path, destination.path) }
      throw VibeSegKitError(
        .cannotCreateOutput, "cannot move the dataset into place: \(reason)", path: destination.path)
    }
    if let old { try? fm.removeItem(at: old) }
  }
}
