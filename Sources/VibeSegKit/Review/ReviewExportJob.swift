import Evaluation
import Foundation
import ModelZoo
import NiftiIO
import VolumeCore

/// `vibeseg review export QUEUE.csv -o PACKAGE` (training.md §6.3): a review package
/// (`ReviewState`) of the cases a CSV lists, e.g. `compare-cohort`'s `review_queue.csv`.
///
/// CSV (RFC 4180, header row): `case` (required), the label map in `label` (or compare-cohort's
/// `a` column, or `b` with `labelColumn = "b"`), the image in `image` or found in `images` as
/// `<case>.nii.gz`, `<case>.nii`, `<case>_0000.nii.gz` or `<case>_0000.nii` (nnU-Net's naming),
/// the reason in `reason` or compare-cohort's `flags`. Relative paths are relative to the CSV's
/// folder.
///
/// Checks per case, before anything is written: both files exist and read, the label map is
/// integer-valued and on the image's grid (1e-4 mm). Files are copied byte for byte (the label
/// map becomes `labels_v1`); every output is published together by one `OutputTransaction`, and
/// an existing package is never written into.
public struct ReviewExportJob: Sendable {
  public var queue: URL
  public var images: URL?
  public var output: URL
  public var labelColumn = "label"
  /// Label names for `labels.txt` (default TotalVibeSegmentator's).
  public var labelNames: URL?
  /// Render `preview.png` per case.
  public var previews = true

  public init(queue: URL, output: URL) {
    self.queue = queue
    self.output = output
  }

  struct Item {
    var id: String
    var image: URL
    var label: URL
    var reason: String?
  }

  /// - Throws: `VibeSegKitError` — `.missingInput` (CSV, image or label map absent), `.invalidInput`
  ///   (bad CSV, duplicate case, unreadable map), `.gridMismatch`, `.cannotCreateOutput` (the
  ///   package exists).
  public func run() throws -> ReviewState {
    let items = try readQueue()
    for item in items { try Self.check(item) }
    let registry = try labelNames.map { try StatisticsLabelRegistry(contentsOf: $0) } ?? StatisticsLabelRegistry.totalVibe
    if FileManager.default.fileExists(atPath: output.appendingPathComponent(ReviewState.fileName).path) {
      throw VibeSegKitError(.cannotCreateOutput, "a review package exists here; export into a new folder (imports add versions)", path: output.path)
    }
    var outputs = [output.appendingPathComponent("labels.txt"), output.appendingPathComponent(ReviewState.fileName)]
    var cases: [ReviewState.Case] = []
    let time = ReviewState.now()
    for item in items {
      let folder = output.appendingPathComponent(item.id)
      let image = "image" + ReviewState.niftiExtension(item.image)
      let labels = "labels_v1" + ReviewState.niftiExtension(item.label)
      outputs += [image, labels, "open.sh"].map { folder.appendingPathComponent($0) }
      if previews { outputs.append(folder.appendingPathComponent("preview.png")) }
      cases.append(
        ReviewState.Case(
          id: item.id, state: .queued, image: "\(item.id)/\(image)", reason: item.reason,
          versions: [
            .init(version: 1, file: "\(item.id)/\(labels)", sha256: "", source: item.label.path, time: time, reviewer: nil,
              changedVoxels: nil, dice: nil)
          ],
          history: [.init(time: time, state: .queued, note: item.reason, reviewer: nil)]))
    }
    let transaction: OutputTransaction
    do {
      for folder in Set(outputs.map { $0.deletingLastPathComponent() }) {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      }
      transaction = try OutputTransaction(outputs: outputs, inputs: items.flatMap { [$0.image, $0.label] }, overwrite: false)
    } catch let error as NiftiError {
      throw VibeSegKitError(.cannotCreateOutput, error.message, path: error.path, underlying: error)
    } catch {
      throw VibeSegKitError(.cannotCreateOutput, "cannot create the package folders: \(error.localizedDescription)", path: output.path)
    }
    try ReportFile.write(ITKSnapLabelFile.text(ITKSnapLabelFile.entries(names: registry.names, ignore: registry.ignoreLabel)),
      to: outputs[0], in: transaction)
    for (n, item) in items.enumerated() {
      let folder = output.appendingPathComponent(item.id)
      let image = URL(fileURLWithPath: cases[n].image).lastPathComponent
      let labels = URL(fileURLWithPath: cases[n].versions[0].file).lastPathComponent
      // The label map is read once: its digest goes into review.json, its bytes into labels_v1.
      let labelBytes = try ReviewState.bytes(item.label)
      cases[n].versions[0].sha256 = FileDigest.sha256(bytes: labelBytes)
      try ReportFile.write(try ReviewState.bytes(item.image), to: folder.appendingPathComponent(image), in: transaction)
      try ReportFile.write(labelBytes, to: folder.appendingPathComponent(labels), in: transaction)
      try ReportFile.write(ReviewState.openScript(image: image, labels: labels), to: folder.appendingPathComponent("open.sh"), in: transaction)
      if previews {
        let preview = try Preview(segmentationAt: item.label, imageAt: item.image)
        try preview.writePNG(to: folder.appendingPathComponent("preview.png"), fast: true, in: transaction)
      }
    }
    let state = ReviewState(ignoreLabel: registry.ignoreLabel, cases: cases)
    try ReportFile.write(try state.encoded(), to: outputs[1], in: transaction)
    do {
      try transaction.commit()
    } catch {
      throw VibeSegKitError(.cannotCreateOutput, error.message, path: error.path, underlying: error)
    }
    ReviewState.makeExecutable(outputs.filter { $0.lastPathComponent == "open.sh" })
    return state
  }

  func readQueue() throws -> [Item] {
    let data = try JSONInput.data(queue, option: "queue")
    guard let text = String(data: data, encoding: .utf8), let rows = CSVParser.rows(text), let header = rows.first else {
      throw VibeSegKitError(.invalidInput, "not a CSV file with a header row (UTF-8, RFC 4180)", path: queue.path)
    }
    let columns = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    func column(_ names: [String]) -> Int? { names.lazy.compactMap { columns.firstIndex(of: $0) }.first }
    guard let caseColumn = column(["case"]) else {
      throw VibeSegKitError(.invalidInput, "no 'case' column (header: \(columns.joined(separator: ",")))", path: queue.path)
    }
    let labelNames = labelColumn == "label" ? ["label", "a"] : [labelColumn]
    guard let labelIndex = column(labelNames) else {
      throw VibeSegKitError(.invalidInput, "no label map column (\(labelNames.joined(separator: " or ")))", path: queue.path)
    }
    let imageIndex = column(["image"])
    if imageIndex == nil && images == nil {
      throw VibeSegKitError(.invalidOption, "the CSV has no 'image' column: give --images FOLDER", path: queue.path, option: "--images")
    }
    let reasonIndex = column(["reason", "flags"])
    let base = queue.deletingLastPathComponent()
    func resolve(_ path: String) -> URL { path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path) }
    var items: [Item] = []
    var seen = Set<String>()
    for (n, row) in rows.dropFirst().enumerated() where !(row.count == 1 && row[0].isEmpty) {
      let line = "\(queue.path): line \(n + 2)"
      guard row.count == columns.count else {
        throw VibeSegKitError(.invalidInput, "\(row.count) fields for \(columns.count) columns", path: line)
      }
      let id = row[caseColumn]
      guard !id.isEmpty, !id.contains("/"), !id.hasPrefix("."), seen.insert(id).inserted else {
        throw VibeSegKitError(.invalidInput, "case id '\(id)' is empty, unsafe as a folder name or listed twice", path: line)
      }
      var image: URL
      if let imageIndex, !row[imageIndex].isEmpty {
        image = resolve(row[imageIndex])
      } else {
        let folder = images!
        let candidates = ["\(id).nii.gz", "\(id).nii", "\(id)_0000.nii.gz", "\(id)_0000.nii"].map { folder.appendingPathComponent($0) }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
          throw VibeSegKitError(.missingInput, "no image for case '\(id)' (looked for \(id).nii.gz, \(id).nii, \(id)_0000.nii.gz)", path: folder.path)
        }
        image = found
      }
      image = image.standardizedFileURL
      items.append(Item(id: id, image: image, label: resolve(row[labelIndex]).standardizedFileURL, reason: reasonIndex.map { row[$0] }))
    }
    guard !items.isEmpty else { throw VibeSegKitError(.invalidInput, "the CSV lists no case", path: queue.path) }
    return items
  }

  /// Both files read; the label map is integer-valued and on the image's grid.
  static func check(_ item: Item) throws {
    for url in [item.image, item.label] where !FileManager.default.fileExists(atPath: url.path) {
      throw VibeSegKitError(.missingInput, "case '\(item.id)': file not found", path: url.path)
    }
    let image = try ImageInput.read(item.image).image
    let labels = try EvaluationRun.readLabels(item.label, onto: nil)
    guard LabelMap.gridsMatch(image.volume.grid, labels.grid) else {
      throw VibeSegKitError(.gridMismatch, "case '\(item.id)': the label map is not on the image's grid (\(labels.grid.shape) vs \(image.volume.grid.shape), or affines differ by more than 1e-4 mm)", path: item.label.path)
    }
  }
}
