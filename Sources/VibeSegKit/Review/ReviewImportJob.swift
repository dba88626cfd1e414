import Evaluation
import Foundation
import ModelZoo
import NiftiIO
import VolumeCore

/// `vibeseg review import PACKAGE CASE FILE` (training.md §6.3): a reviewer's corrected label map
/// becomes the case's next version (`labels_v<n+1>`, never over an existing file), the case
/// becomes `corrected`, and what changed is logged per label.
///
/// Checks before anything is written: the file reads as an integer-valued label map on the case
/// image's grid (shape, and affine within 1e-4 mm: a correction saved on another grid would be
/// misaligned), and holds only the ids of the package's `labels.txt` (which lists the ignore
/// label) — an unknown value is refused with the values listed, since a typo in a painted id
/// would train a wrong structure. Changes: per label id, `|before Δ after|` voxels and
/// Dice(before, after) against the newest version.
public struct ReviewImportJob: Sendable {
  public var package: URL
  public var caseID: String
  public var corrected: URL
  public var reviewer: String?

  public init(package: URL, caseID: String, corrected: URL) {
    self.package = package
    self.caseID = caseID
    self.corrected = corrected
  }

  /// - Throws: `VibeSegKitError` — `.missingInput`, `.invalidOption` (unknown case),
  ///   `.gridMismatch`, `.unknownLabel`, `.invalidLabelFile` (labels.txt), `.cannotCreateOutput`;
  ///   `EvaluationError` for a file that is not a label map.
  public func run() throws -> ReviewState.LabelVersion {
    var state = try ReviewState.load(package)
    let index = try state.index(of: caseID)
    var item = state.cases[index]
    guard FileManager.default.fileExists(atPath: corrected.path) else {
      throw VibeSegKitError(.missingInput, "file not found", path: corrected.path)
    }
    let image = try ImageInput.read(package.appendingPathComponent(item.image)).image
    let after = try EvaluationRun.readLabels(corrected, onto: nil)
    guard LabelMap.gridsMatch(image.volume.grid, after.grid) else {
      throw VibeSegKitError(
        .gridMismatch,
        "not on the image's grid (\(after.grid.shape) vs \(image.volume.grid.shape), or affines differ by more than 1e-4 mm): save the segmentation from ITK-SNAP over this case's image",
        path: corrected.path)
    }
    let labelsURL = package.appendingPathComponent(state.labels)
    let text = String(decoding: try JSONInput.data(labelsURL), as: UTF8.self)
    let allowed = Set(try ITKSnapLabelFile.parse(text, path: labelsURL.path).map(\.id))
    var present = Set<Int>()
    for v in after.voxels { present.insert(Int(v)) }
    let unknown = present.subtracting(allowed).subtracting([0]).sorted()
    guard unknown.isEmpty else {
      throw VibeSegKitError(
        .unknownLabel, "holds id(s) \(unknown.prefix(10).map(String.init).joined(separator: ", ")) that \(state.labels) does not list",
        path: corrected.path)
    }
    let previous = item.versions.last!
    let before = try EvaluationRun.readLabels(package.appendingPathComponent(previous.file), onto: nil)
    var changed: [String: Int] = [:], dice: [String: Double] = [:]
    for overlap in LabelOverlap.countAll(prediction: before, reference: after).dropFirst()
    where overlap.predictionVoxels + overlap.referenceVoxels > 0 {
      let key = "\(overlap.label)"
      let delta = overlap.predictionVoxels + overlap.referenceVoxels - 2 * overlap.intersectionVoxels
      if delta > 0 { changed[key] = delta }
      dice[key] = overlap.dice
    }
    let version = previous.version + 1
    let name = "labels_v\(version)" + ReviewState.niftiExtension(corrected)
    let folder = URL(fileURLWithPath: item.image, relativeTo: package).deletingLastPathComponent()
    let file = folder.appendingPathComponent(name)
    guard !FileManager.default.fileExists(atPath: file.path) else {
      throw VibeSegKitError(.cannotCreateOutput, "version \(version) exists already (versions are never overwritten)", path: file.path)
    }
    let bytes = try ReviewState.bytes(corrected)
    let time = ReviewState.now()
    let entry = ReviewState.LabelVersion(
      version: version, file: "\(item.id)/\(name)", sha256: FileDigest.sha256(bytes: bytes), source: corrected.path, time: time,
      reviewer: reviewer, changedVoxels: changed, dice: dice)
    item.versions.append(entry)
    item.state = .corrected
    item.history.append(.init(time: time, state: .corrected, note: "imported version \(version)", reviewer: reviewer))
    state.cases[index] = item
    let stateURL = package.appendingPathComponent(ReviewState.fileName)
    let script = folder.appendingPathComponent("open.sh")
    let transaction: OutputTransaction
    do {
      transaction = try OutputTransaction(outputs: [file, stateURL, script], inputs: [corrected], overwrite: true)
    } catch {
      throw VibeSegKitError(.cannotCreateOutput, error.message, path: error.path, underlying: error)
    }
    try ReportFile.write(bytes, to: file, in: transaction)
    try ReportFile.write(
      ReviewState.openScript(image: URL(fileURLWithPath: item.image).lastPathComponent, labels: name), to: script, in: transaction)
    try ReportFile.write(try state.encoded(), to: stateURL, in: transaction)
    do {
      try transaction.commit()
    } catch {
      throw VibeSegKitError(.cannotCreateOutput, error.message, path: error.path, underlying: error)
    }
    ReviewState.makeExecutable([script])
    return entry
  }
}

/// `vibeseg review set PACKAGE CASE --state S`: a state change with a note, logged.
public enum ReviewStateChange {
  /// - Throws: as `ReviewState.load`, `.invalidOption` for an unknown case, `.cannotCreateOutput`.
  public static func set(
    package: URL, caseID: String, state newState: ReviewState.State, note: String?, reviewer: String?
  ) throws(VibeSegKitError) -> ReviewState.Case {
    var state = try ReviewState.load(package)
    let index = try state.index(of: caseID)
    state.cases[index].state = newState
    state.cases[index].history.append(.init(time: ReviewState.now(), state: newState, note: note, reviewer: reviewer))
    try ReportFile.write(try state.encoded(), to: package.appendingPathComponent(ReviewState.fileName))
    return state.cases[index]
  }
}
