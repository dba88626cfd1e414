import Foundation

extension TrainingCaseList {
  /// The deformed copies `vibeseg augment` wrote into `folder`, as cases of the subjects in
  /// `originals`.
  ///
  /// Every `*.json` file of `folder` with `copyIndex`, `sources` and `outputs` is an augment
  /// sidecar (`<case>_d<k>.json`; other JSON files are skipped): image `i` of the copy is
  /// `folder/outputs.images[i]`, the deformed copy of `sources.images[i]`, and its label map is
  /// `folder/outputs.label`. The copy becomes a case with the subject, session, contrast and split
  /// of the original case whose image is `sources.images[i]` (paths compared after resolving
  /// symbolic links), and `copy = copyIndex`; that original's label map must be
  /// `sources.label`, so the deformed labels belong to it.
  ///
  /// Sidecars are read as `AugmentSidecar` (the type `vibeseg augment` writes); only the keys named
  /// here are used.
  ///
  /// - Throws: `VibeSegKitError.missingInput` (no folder, a missing output file),
  ///   `.invalidInput` (a folder without sidecars) or naming the sidecar: no deformed label map, a source image that is none of
  ///   the cases, a source label map that is not the original case's.
  public static func augmentedCopies(in folder: URL, of originals: [TrainingCase]) throws(VibeSegKitError)
    -> [TrainingCase]
  {
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
    } catch {
      throw VibeSegKitError(
        .missingInput, "no such folder of vibeseg augment copies", path: folder.path, option: "--augmented")
    }
    func key(_ path: String) -> String { URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path }
    var byImage = [String: TrainingCase]()
    for c in originals where !c.isDeformedCopy { byImage[key(c.image.path)] = c }
    var copies = [TrainingCase]()
    var sidecars = 0
    for name in names.sorted() where name.hasSuffix(".json") && !name.hasPrefix(".") {
      let url = folder.appendingPathComponent(name)
      let data = try JSONInput.data(url, option: "--augmented")
      guard let sidecar = try? JSONDecoder().decode(AugmentSidecar.self, from: data), let copy = sidecar.copyIndex,
        let sources = sidecar.sources, let outputs = sidecar.outputs, sources.images.count == outputs.images.count
      else { continue }
      let (sourceImages, outputImages) = (sources.images, outputs.images)
      sidecars += 1
      guard let sourceLabel = sources.label, let outputLabel = outputs.label else {
        throw VibeSegKitError(
          .invalidInput, "this copy has no deformed label map (run vibeseg augment with --label)", path: url.path,
          option: "--augmented")
      }
      let label = folder.appendingPathComponent(outputLabel)
      for (source, output) in zip(sourceImages, outputImages) {
        guard let original = byImage[key(source)] else {
          throw VibeSegKitError(
            .invalidInput, "copy of \(source), which is not the image of any case listed", path: url.path,
            option: "--augmented")
        }
        guard key(sourceLabel) == key(original.label.path) else {
          throw VibeSegKitError(
            .invalidInput,
            "deformed from label map \(sourceLabel), but case \(original.caseID) has \(original.label.path)",
            path: url.path,
            option: "--augmented")
        }
        let image = folder.appendingPathComponent(output)
        for file in [image, label] where !FileManager.default.fileExists(atPath: file.path) {
          throw VibeSegKitError(
            .missingInput, "listed in \(url.path) but missing", path: file.path, option: "--augmented")
        }
        var c = original
        c.copy = copy
        c.image = image
        c.label = label
        c.source = url.path
        copies.append(c)
      }
    }
    guard sidecars > 0 else {
      throw VibeSegKitError(
        .invalidInput, "no vibeseg augment sidecars (<case>_d<k>.json) in this folder", path: folder.path,
        option: "--augmented")
    }
    return copies
  }
}
