import Foundation
import NiftiIO
import Testing
import VolumeCore
import _TestSupport

@testable import VibeSegKit

/// `vibeseg export-nnunet` (issue 21, training.md §5): dataset.json, subject-grouped splits,
/// deformed copies never across folds, and the refusals (grid, labels, duplicates, spacing).
@Suite("NNUNetExport")
struct NNUNetExportTests {
  /// A 12 x 10 x 8 case: image ramp + a label box holding `label` (and `extra` at one voxel).
  static func writeCase(
    _ folder: URL, _ name: String, spacing: [Double] = [1.5, 1.5, 3], labelShape: [Int] = [12, 10, 8], label: UInt8 = 5,
    extra: UInt8? = nil
  ) throws {
    let affine = Affine(rows: [[spacing[0], 0, 0, -10], [0, spacing[1], 0, 4], [0, 0, spacing[2], 7], [0, 0, 0, 1]])
    let shape = [12, 10, 8]
    let image = Volume<Float>(grid: ImageGrid(shape: shape, affine: affine), voxels: (0..<960).map { Float($0 % 37) })
    var labels = [UInt8](repeating: 0, count: labelShape.reduce(1, *))
    for k in 2..<5 { for j in 2..<6 { for i in 3..<7 { labels[i + labelShape[0] * (j + labelShape[1] * k)] = label } } }
    if let extra { labels[1] = extra }
    let labelMap = Volume<UInt8>(grid: ImageGrid(shape: labelShape, affine: affine), voxels: labels)
    for sub in ["images", "labels"] {
      try FileManager.default.createDirectory(at: folder.appendingPathComponent(sub), withIntermediateDirectories: true)
    }
    try NiftiImage(image).write(to: folder.appendingPathComponent("images/\(name).nii.gz"))
    try NiftiImage(labelMap).write(to: folder.appendingPathComponent("labels/\(name).nii.gz"))
  }

  /// 3 subjects x 2 contrasts, plus deformed copies d1, d2 of subject a's water and d1 of c's.
  static func makeCases(in dir: URL) throws -> URL {
    let cases = dir.appendingPathComponent("cases")
    for s in ["sub-a", "sub-b", "sub-c"] {
      for c in ["water", "fat"] { try writeCase(cases, "\(s)_ses1_\(c)") }
    }
    for name in ["sub-a_ses1_water_d1", "sub-a_ses1_water_d2", "sub-c_ses1_fat_d1"] { try writeCase(cases, name) }
    return cases
  }

  static func job(_ cases: URL, _ out: URL, folds: Int = 3) -> NNUNetExportJob {
    var job = NNUNetExportJob(cases: cases, output: out, datasetID: 42, datasetName: "Tiny")
    job.foldCount = folds
    return job
  }

  static func json(_ url: URL) throws -> Any { try JSONSerialization.jsonObject(with: Data(contentsOf: url)) }

  /// The entries of `folder` (hidden ones included): nothing half-written stays behind.
  static func entries(_ folder: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder.path)
  }

  @Test("the ignore label is max id + 1: 73 for TotalVibeSegmentator, N + 1 for a label file")
  func ignoreLabel() throws {
    #expect(StatisticsLabelRegistry.totalVibe.ignoreLabel == 73)
    #expect(TrainingLabelSet.totalVibe.ignoreLabel == 73)
    #expect(StatisticsLabelRegistry(names: [1: "a", 2: "b", 3: "c"]).ignoreLabel == 4)
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("labels.json")
    try Data(#"{"1": "spleen", "2": "liver"}"#.utf8).write(to: file)
    let set = try TrainingLabelSet(contentsOf: file)
    #expect(set.ignoreLabel == 3)
    #expect(set.datasetLabels.map(\.name) == ["background", "spleen", "liver", "ignore"])
    try Data(#"{"1": "spleen", "3": "liver"}"#.utf8).write(to: file)
    #expect(throws: VibeSegKitError.self) { try TrainingLabelSet(contentsOf: file) }
    do {
      _ = try TrainingLabelSet(contentsOf: file)
    } catch {
      #expect(error.code == .invalidLabelFile && error.message.contains("id 2 has no name"))
    }
  }

  @Test("case ids split back into their parts; _d<k> marks a copy; malformed names are refused")
  func caseIDs() throws {
    let p = try TrainingCase.parts(ofCaseID: "nako-100123_ses1_vibe-water_0_d3", source: "x")
    #expect(
      p.subject == "nako-100123" && p.session == "ses1" && p.contrast == "vibe-water" && p.split == "0" && p.copy == 3)
    let q = try TrainingCase.parts(ofCaseID: "s_t_c", source: "x")
    #expect(q.split == nil && q.copy == nil)
    let r = try TrainingCase.parts(ofCaseID: "s_t_c_d12", source: "x")
    #expect(r.split == nil && r.copy == 12)
    for bad in ["s_t", "s_t_c_x_y", "s__c", "s_t_c_x_y_d1", "s t_u_v"] {
      #expect(throws: VibeSegKitError.self, "\(bad)") { try TrainingCase.parts(ofCaseID: bad, source: "x") }
    }
    let c = TrainingCase(
      subject: "a", session: "s", contrast: "w", split: "2", copy: 4, image: URL(fileURLWithPath: "/i"),
      label: URL(fileURLWithPath: "/l"),
      source: "m")
    #expect(c.caseID == "a_s_w_2_d4")
  }

  @Test("folds group subjects round robin in sorted order; copies never reach validation or straddle folds")
  func folds() throws {
    func make(_ subject: String, _ contrast: String, copy: Int? = nil) -> TrainingCase {
      TrainingCase(
        subject: subject, session: "s1", contrast: contrast, copy: copy, image: URL(fileURLWithPath: "/i"),
        label: URL(fileURLWithPath: "/l"), source: "test")
    }
    let subjects = ["p07", "p01", "p03", "p02", "p05", "p04", "p06"]
    var cases = [TrainingCase]()
    for s in subjects {
      for c in ["water", "inphase", "outphase"] {
        cases.append(make(s, c))
        cases.append(make(s, c, copy: 1))
        cases.append(make(s, c, copy: 2))
      }
    }
    let folds = try SubjectFolds.make(cases, foldCount: 3)
    #expect(folds.count == 3)
    let subjectOf = Dictionary(uniqueKeysWithValues: cases.map { ($0.caseID, $0.subject) })
    let isCopy = Dictionary(uniqueKeysWithValues: cases.map { ($0.caseID, $0.isDeformedCopy) })
    // sorted p01...p07: p01, p04, p07 -> fold 0; p02, p05 -> fold 1; p03, p06 -> fold 2.
    #expect(Set(folds[0].val.map { subjectOf[$0]! }) == ["p01", "p04", "p07"])
    #expect(Set(folds[1].val.map { subjectOf[$0]! }) == ["p02", "p05"])
    #expect(Set(folds[2].val.map { subjectOf[$0]! }) == ["p03", "p06"])
    var validatedIn = [String: Int]()
    for (f, fold) in folds.enumerated() {
      let valSubjects = Set(fold.val.map { subjectOf[$0]! })
      #expect(fold.val.allSatisfy { !isCopy[$0]! })
      #expect(fold.val.count == valSubjects.count * 3)
      #expect(fold.train.allSatisfy { !valSubjects.contains(subjectOf[$0]!) })
      // every case of a training subject (copies included) is trained on
      #expect(fold.train.count == cases.filter { !valSubjects.contains($0.subject) }.count)
      #expect(fold.train == fold.train.sorted() && fold.val == fold.val.sorted())
      for s in valSubjects {
        #expect(validatedIn[s] == nil)
        validatedIn[s] = f
      }
    }
    #expect(validatedIn.count == subjects.count)
    #expect(try SubjectFolds.make(Array(cases.reversed()), foldCount: 3) == folds)
    #expect(throws: VibeSegKitError.self) { try SubjectFolds.make(cases, foldCount: 8) }
  }

  @Test("a case folder exports as a raw dataset: files, dataset.json, splits_final.json, train.sh")
  func export() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cases = try Self.makeCases(in: dir)
    let out = dir.appendingPathComponent("raw")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    let outcome = try Self.job(cases, out).run()
    let ds = out.appendingPathComponent("Dataset042_Tiny")
    #expect(outcome.datasetFolder.path == ds.path)
    #expect(outcome.caseCount == 9 && outcome.subjectCount == 3 && outcome.deformedCopies == 3)
    #expect(try Self.entries(out) == ["Dataset042_Tiny"])

    let images = try Self.entries(ds.appendingPathComponent("imagesTr")).sorted()
    let labels = try Self.entries(ds.appendingPathComponent("labelsTr")).sorted()
    #expect(
      images.count == 9 && images.contains("sub-a_ses1_water_d2_0000.nii.gz")
        && images.allSatisfy { $0.hasSuffix("_0000.nii.gz") })
    #expect(labels.map { $0.replacingOccurrences(of: ".nii.gz", with: "_0000.nii.gz") } == images)
    // hard links by default: same inode as the input
    let linked = try FileManager.default.attributesOfItem(
      atPath: ds.appendingPathComponent("labelsTr/sub-b_ses1_fat.nii.gz").path)
    let source = try FileManager.default.attributesOfItem(
      atPath: cases.appendingPathComponent("labels/sub-b_ses1_fat.nii.gz").path)
    let inode = try #require(linked[.systemFileNumber] as? NSNumber)
    #expect(inode == source[.systemFileNumber] as? NSNumber)

    let dataset = try #require(try Self.json(ds.appendingPathComponent("dataset.json")) as? [String: Any])
    let labelIDs = try #require(dataset["labels"] as? [String: Int])
    #expect(labelIDs.count == 74 && labelIDs["background"] == 0 && labelIDs["ignore"] == 73)
    #expect(labelIDs["liver"] == 5 && labelIDs["bone_other"] == 72 && labelIDs["unused"] == 20)
    #expect(Set(labelIDs.values) == Set(0...73))
    #expect(dataset["numTraining"] as? Int == 9 && dataset["file_ending"] as? String == ".nii.gz")
    #expect(dataset["channel_names"] as? [String: String] == ["0": "MRI"])
    #expect(dataset["orientation"] as? [String] == ["R", "A", "S"])
    let spacing = try #require(dataset["spacing"] as? [Double])
    #expect(zip(spacing, [1.5, 1.5, 3]).allSatisfy { abs($0 - $1) < 1e-6 })
    // labels in id order in the file (nnU-Net ignores the order; people read it)
    let text = try String(contentsOf: ds.appendingPathComponent("dataset.json"), encoding: .utf8)
    #expect(text.range(of: "\"spleen\": 1")!.lowerBound < text.range(of: "\"bone_other\": 72")!.lowerBound)

    let splits = try #require(try Self.json(ds.appendingPathComponent("splits_final.json")) as? [[String: [String]]])
    #expect(splits.count == 3)
    #expect(splits[0]["val"] == ["sub-a_ses1_fat", "sub-a_ses1_water"])
    #expect(
      splits[0]["train"] == [
        "sub-b_ses1_fat", "sub-b_ses1_water", "sub-c_ses1_fat", "sub-c_ses1_fat_d1", "sub-c_ses1_water",
      ])
    #expect(splits[2]["val"] == ["sub-c_ses1_fat", "sub-c_ses1_water"])
    #expect(splits[2]["train"]!.contains("sub-a_ses1_water_d2") && !splits[2]["train"]!.contains("sub-c_ses1_fat_d1"))

    let script = try String(contentsOf: ds.appendingPathComponent("train.sh"), encoding: .utf8)
    #expect(
      script.contains(
        "nnUNetv2_plan_and_preprocess -d 42 -pl nnUNetPlannerResEncL -overwrite_plans_name nnUNetPlannerResEncL"))
    #expect(script.contains("--verify_dataset_integrity"))
    #expect(
      script.contains("cp \"$HERE/splits_final.json\" \"$nnUNet_preprocessed/Dataset042_Tiny/splits_final.json\""))
    #expect(
      script.contains("nnUNetv2_train 42 3d_fullres \"$FOLD\" -tr nnUNetTrainerNoMirroring -p nnUNetPlannerResEncL"))
    let mode =
      try FileManager.default.attributesOfItem(atPath: ds.appendingPathComponent("train.sh").path)[.posixPermissions]
      as? Int
    #expect(mode == 0o755)

    let record = try #require(try Self.json(ds.appendingPathComponent("vibeseg_export.json")) as? [String: Any])
    let rows = try #require(record["cases"] as? [[String: Any]])
    #expect(record["folds"] as? Int == 3 && record["files"] as? String == "link" && rows.count == 9)
    let copyRow = try #require(rows.first { $0["case"] as? String == "sub-c_ses1_fat_d1" })
    #expect(copyRow["subject"] as? String == "sub-c" && copyRow["copy"] as? Int == 1 && copyRow["fold"] as? Int == 2)

    // a second run refuses to replace the folder; --overwrite replaces it
    #expect(throws: VibeSegKitError.self) { try Self.job(cases, out).run() }
    var again = Self.job(cases, out, folds: 2)
    again.overwrite = true
    _ = try again.run()
    #expect(try (Self.json(ds.appendingPathComponent("splits_final.json")) as? [Any])?.count == 2)
    #expect(try Self.entries(out) == ["Dataset042_Tiny"])
  }

  @Test("manifests: JSON and CSV with relative paths and shared label maps give the same cases")
  func manifests() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cases = try Self.makeCases(in: dir)
    let csv = """
      subject,session,contrast,image,label,copy
      sub-a,ses1,water,cases/images/sub-a_ses1_water.nii.gz,cases/labels/sub-a_ses1_water.nii.gz,
      sub-a,ses1,fat,cases/images/sub-a_ses1_fat.nii.gz,cases/labels/sub-a_ses1_water.nii.gz,
      sub-a,ses1,water,cases/images/sub-a_ses1_water_d1.nii.gz,cases/labels/sub-a_ses1_water_d1.nii.gz,1
      sub-b,ses1,water,cases/images/sub-b_ses1_water.nii.gz,cases/labels/sub-b_ses1_water.nii.gz,

      """
    try Data(csv.utf8).write(to: dir.appendingPathComponent("m.csv"))
    let json = """
      {"cases": [
        {"subject": "sub-a", "session": "ses1", "contrast": "water", "image": "cases/images/sub-a_ses1_water.nii.gz", "label": "cases/labels/sub-a_ses1_water.nii.gz"},
        {"subject": "sub-a", "session": "ses1", "contrast": "fat", "image": "cases/images/sub-a_ses1_fat.nii.gz", "label": "cases/labels/sub-a_ses1_water.nii.gz"},
        {"subject": "sub-a", "session": "ses1", "contrast": "water", "copy": 1, "image": "cases/images/sub-a_ses1_water_d1.nii.gz", "label": "cases/labels/sub-a_ses1_water_d1.nii.gz"},
        {"subject": "sub-b", "session": "ses1", "contrast": "water", "image": "\(cases.path)/images/sub-b_ses1_water.nii.gz", "label": "cases/labels/sub-b_ses1_water.nii.gz"}
      ]}
      """
    try Data(json.utf8).write(to: dir.appendingPathComponent("m.json"))
    let fromCSV = try TrainingCaseList.load(dir.appendingPathComponent("m.csv"))
    let fromJSON = try TrainingCaseList.load(dir.appendingPathComponent("m.json"))
    #expect(fromCSV.map(\.caseID) == ["sub-a_ses1_water", "sub-a_ses1_fat", "sub-a_ses1_water_d1", "sub-b_ses1_water"])
    #expect(fromJSON.map(\.caseID) == fromCSV.map(\.caseID))
    #expect(fromJSON.map(\.image.standardizedFileURL.path) == fromCSV.map(\.image.standardizedFileURL.path))
    #expect(fromCSV[1].label.lastPathComponent == "sub-a_ses1_water.nii.gz")
    let out = dir.appendingPathComponent("raw")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    let outcome = try Self.job(dir.appendingPathComponent("m.csv"), out, folds: 2).run()
    #expect(outcome.caseCount == 4 && outcome.deformedCopies == 1)

    try Data("subject,session,contrast,image,label,colour\na,b,c,i.nii.gz,l.nii.gz,red\n".utf8).write(
      to: dir.appendingPathComponent("bad.csv"))
    #expect(throws: VibeSegKitError.self) { try TrainingCaseList.load(dir.appendingPathComponent("bad.csv")) }
  }

  /// Writes a `vibeseg augment`-style copy of `original` (folder layout of `makeCases`) into `aug/`:
  /// `<image stem>_d<k>.nii.gz`, `<stem>-seg_d<k>.nii.gz` and the sidecar `<case>_d<k>.json`.
  static func writeAugmentCopy(_ dir: URL, cases: URL, original: String, copy k: Int, sourceLabel: String? = nil) throws
    -> URL
  {
    let aug = dir.appendingPathComponent("aug")
    let scratch = dir.appendingPathComponent("scratch-\(original)-\(k)")
    try writeCase(scratch, "x")
    try FileManager.default.createDirectory(at: aug, withIntermediateDirectories: true)
    let image = "\(original)_d\(k).nii.gz"
    let label = "\(original)-seg_d\(k).nii.gz"
    try FileManager.default.moveItem(
      at: scratch.appendingPathComponent("images/x.nii.gz"), to: aug.appendingPathComponent(image))
    try FileManager.default.moveItem(
      at: scratch.appendingPathComponent("labels/x.nii.gz"), to: aug.appendingPathComponent(label))
    let sidecar: [String: Any] = [
      "schemaVersion": 1, "tool": "vibeseg augment", "caseId": original, "copyIndex": k, "seed": 42, "sigma": 3.1,
      "sources": [
        "images": [cases.appendingPathComponent("images/\(original).nii.gz").path],
        "label": sourceLabel ?? cases.appendingPathComponent("labels/\(original).nii.gz").path,
      ],
      "outputs": ["images": [image], "label": label],
    ]
    try JSONSerialization.data(withJSONObject: sidecar).write(to: aug.appendingPathComponent("\(original)_d\(k).json"))
    return aug
  }

  @Test("--augmented: vibeseg augment sidecars add copies to their original's subject, never across folds")
  func augmentedCopies() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cases = dir.appendingPathComponent("cases")
    for s in ["sub-a", "sub-b", "sub-c"] { try Self.writeCase(cases, "\(s)_ses1_water") }
    _ = try Self.writeAugmentCopy(dir, cases: cases, original: "sub-b_ses1_water", copy: 1)
    let aug = try Self.writeAugmentCopy(dir, cases: cases, original: "sub-b_ses1_water", copy: 2)
    try Data(#"{"unrelated": true}"#.utf8).write(to: aug.appendingPathComponent("notes.json"))
    let originals = try TrainingCaseList.load(cases)
    let copies = try TrainingCaseList.augmentedCopies(in: aug, of: originals)
    #expect(copies.map(\.caseID) == ["sub-b_ses1_water_d1", "sub-b_ses1_water_d2"])
    #expect(copies.allSatisfy { $0.subject == "sub-b" && $0.isDeformedCopy })
    #expect(copies[0].label.lastPathComponent == "sub-b_ses1_water-seg_d1.nii.gz")

    let out = dir.appendingPathComponent("raw")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    var job = Self.job(cases, out)
    job.augmented = [aug]
    let outcome = try job.run()
    #expect(outcome.caseCount == 5 && outcome.deformedCopies == 2)
    for fold in outcome.folds {
      let bIsVal = fold.val.contains("sub-b_ses1_water")
      #expect(fold.train.contains("sub-b_ses1_water_d1") == !bIsVal)
      #expect(!fold.val.contains("sub-b_ses1_water_d1"))
    }

    // a sidecar whose source label map is not the case's
    let other = dir.appendingPathComponent("other")
    try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
    let wrong = try Self.writeAugmentCopy(
      other, cases: cases, original: "sub-a_ses1_water", copy: 1,
      sourceLabel: cases.appendingPathComponent("labels/sub-c_ses1_water.nii.gz").path)
    #expect(throws: VibeSegKitError.self) { try TrainingCaseList.augmentedCopies(in: wrong, of: originals) }
    // a folder without sidecars (a typo'd path, augment not run yet)
    #expect(throws: VibeSegKitError.self) { try TrainingCaseList.augmentedCopies(in: cases, of: originals) }
  }

  /// Runs an export expected to fail; returns the error and checks nothing was left in `out`.
  static func failingExport(_ setUp: (URL) throws -> Void, cases relative: String = "cases", folds: Int = 2) throws
    -> VibeSegKitError?
  {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try setUp(dir)
    let out = dir.appendingPathComponent("raw")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    var caught: VibeSegKitError?
    do {
      _ = try job(dir.appendingPathComponent(relative), out, folds: folds).run()
    } catch let error as VibeSegKitError {
      caught = error
    }
    #expect(try entries(out).isEmpty)
    return caught
  }

  @Test("a label map off its image's grid is refused naming the label file; nothing is written")
  func gridMismatch() throws {
    let error = try Self.failingExport { dir in
      let cases = dir.appendingPathComponent("cases")
      try Self.writeCase(cases, "a_s_water")
      try Self.writeCase(cases, "b_s_water", labelShape: [12, 10, 7])
    }
    #expect(error?.code == .gridMismatch)
    #expect(error?.path?.hasSuffix("labels/b_s_water.nii.gz") == true)
  }

  @Test("label values outside the label set (ignore included) are refused naming file and voxel")
  func unknownLabel() throws {
    let error = try Self.failingExport { dir in
      let cases = dir.appendingPathComponent("cases")
      try Self.writeCase(cases, "a_s_water", extra: 73)  // the ignore label: accepted
      try Self.writeCase(cases, "b_s_water", extra: 74)
    }
    #expect(error?.code == .notALabelMap)
    #expect(error?.path?.hasSuffix("labels/b_s_water.nii.gz") == true)
    #expect(error?.message.contains("holds 74") == true)
  }

  @Test("a case id listed twice is refused")
  func duplicate() throws {
    let error = try Self.failingExport(
      { dir in
        let cases = dir.appendingPathComponent("cases")
        try Self.writeCase(cases, "a_s_water")
        try Self.writeCase(cases, "b_s_water")
        let row =
          #"{"subject": "a", "session": "s", "contrast": "water", "image": "cases/images/a_s_water.nii.gz", "label": "cases/labels/a_s_water.nii.gz"}"#
        let other =
          #"{"subject": "b", "session": "s", "contrast": "water", "image": "cases/images/b_s_water.nii.gz", "label": "cases/labels/b_s_water.nii.gz"}"#
        try Data("[\(row), \(other), \(row)]".utf8).write(to: dir.appendingPathComponent("m.json"))
      }, cases: "m.json")
    #expect(error?.code == .invalidInput)
    #expect(error?.message.contains("a_s_water is listed twice") == true)
  }

  @Test("cases with different spacings are refused (resample first)")
  func mixedSpacing() throws {
    let error = try Self.failingExport { dir in
      let cases = dir.appendingPathComponent("cases")
      try Self.writeCase(cases, "a_s_water")
      try Self.writeCase(cases, "b_s_water", spacing: [1.5, 1.5, 2.5])
    }
    #expect(error?.code == .invalidInput)
    #expect(error?.path?.hasSuffix("images/b_s_water.nii.gz") == true)
  }

  @Test("fewer subjects than folds is refused")
  func tooFewSubjects() throws {
    let error = try Self.failingExport(
      { dir in
        let cases = dir.appendingPathComponent("cases")
        try Self.writeCase(cases, "a_s_water")
        try Self.writeCase(cases, "a_s_fat")
        try Self.writeCase(cases, "b_s_water")
      }, folds: 3)
    #expect(error?.code == .invalidOption && error?.option == "--folds")
  }
}
