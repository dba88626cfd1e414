import Foundation
import NiftiIO
import Testing
import VibeSegKit
import VolumeCore
import _TestSupport

/// `vibeseg review` (issue 21, training.md §6.3) and ITK-SNAP label files: a package from
/// compare-cohort's queue, corrections imported as new versions with the changes logged, bad
/// corrections refused with nothing written.
@Suite("review packages and ITK-SNAP label files")
struct ReviewPackageTests {
  static let fixture = Fixtures.committed("compare_cohort")

  /// compare-cohort on the fixture, then its queue exported (case_03 and case_06).
  static func package(in dir: URL) throws -> URL {
    let report = dir.appendingPathComponent("report")
    _ = try CompareCohortJob(a: fixture.appendingPathComponent("a"), b: fixture.appendingPathComponent("b"), output: report).run()
    var job = ReviewExportJob(queue: report.appendingPathComponent("review_queue.csv"), output: dir.appendingPathComponent("pkg"))
    job.images = fixture.appendingPathComponent("a")
    _ = try job.run()
    return dir.appendingPathComponent("pkg")
  }

  @Test("ITK-SNAP label file: header, Clear Label, registry ids with preview colours, ignore = max + 1; parses back")
  func labelFile() throws {
    let registry = StatisticsLabelRegistry.totalVibe
    let text = ITKSnapLabelFile.text(ITKSnapLabelFile.entries(names: registry.names, ignore: registry.ignoreLabel))
    let entries = try ITKSnapLabelFile.parse(text, path: "labels.txt")
    #expect(entries.first == ITKSnapLabelFile.Entry(id: 0, name: "Clear Label", color: RGBColor(gray: 0), opacity: 0, visible: false, meshVisible: false))
    #expect(entries.map(\.id) == Array(0...73))
    #expect(entries.last?.name == "ignore" && registry.ignoreLabel == 73)
    #expect(entries[1].name == "spleen" && entries[1].color == LabelColorTable.color(for: 1))
    #expect(text.split(separator: "\n").filter { $0.hasPrefix("#") }.count == 14)
    #expect(throws: VibeSegKitError.self) { try ITKSnapLabelFile.parse("1 2 3 4 1 1 1 noquotes", path: "x") }
    #expect(throws: VibeSegKitError.self) { try ITKSnapLabelFile.parse("1 2 3 4 1.5 1 1 \"a\"", path: "x") }
  }

  @Test("export: one folder per queued case (image, labels_v1 byte-identical, executable open.sh, preview.png), labels.txt, review.json")
  func export() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let pkg = try Self.package(in: dir)
    let state = try ReviewState.load(pkg)
    #expect(state.cases.map(\.id) == ["case_03", "case_06"])
    #expect(state.cases.allSatisfy { $0.state == .queued && $0.versions.count == 1 })
    #expect(state.cases[0].reason?.contains("dice 0.000") == true)
    let copied = try Data(contentsOf: pkg.appendingPathComponent("case_06/labels_v1.nii.gz"))
    #expect(copied == (try Data(contentsOf: Self.fixture.appendingPathComponent("a/case_06.nii.gz"))))
    let attributes = try FileManager.default.attributesOfItem(atPath: pkg.appendingPathComponent("case_06/open.sh").path)
    #expect((attributes[.posixPermissions] as? Int) == 0o755)
    #expect(FileManager.default.fileExists(atPath: pkg.appendingPathComponent("case_03/preview.png").path))
    // Never into an existing package.
    var again = ReviewExportJob(queue: dir.appendingPathComponent("report/review_queue.csv"), output: pkg)
    again.images = Self.fixture.appendingPathComponent("a")
    let error = #expect(throws: VibeSegKitError.self) { try again.run() }
    #expect(error?.code == .cannotCreateOutput)
  }

  @Test("import: labels_v2 with per-label changed voxels and Dice against v1; the case becomes corrected; open.sh names v2")
  func importCorrection() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let pkg = try Self.package(in: dir)
    let corrected = Self.fixture.appendingPathComponent("b/case_06.nii.gz")
    var job = ReviewImportJob(package: pkg, caseID: "case_06", corrected: corrected)
    job.reviewer = "ab"
    let version = try job.run()
    #expect(version.version == 2 && version.file == "case_06/labels_v2.nii.gz" && version.reviewer == "ab")
    // Expected changes computed here, voxel by voxel.
    let before: [UInt8] = try NiftiImage(contentsOf: Self.fixture.appendingPathComponent("a/case_06.nii.gz")).volume.converted(to: UInt8.self).voxels
    let after: [UInt8] = try NiftiImage(contentsOf: corrected).volume.converted(to: UInt8.self).voxels
    for label in UInt8(1)...5 {
      var delta = 0, a = 0, b = 0, both = 0
      for (x, y) in zip(before, after) {
        if (x == label) != (y == label) { delta += 1 }
        if x == label { a += 1 }
        if y == label { b += 1 }
        if x == label && y == label { both += 1 }
      }
      let key = "\(label)"
      let changed: Int = version.changedVoxels?[key] ?? 0
      #expect(changed == delta, "label \(label)")
      if a + b > 0 {
        let expected: Double = 2 * Double(both) / Double(a + b)
        #expect(version.dice?[key] == expected)
      }
    }
    let state = try ReviewState.load(pkg)
    #expect(state.cases[1].state == .corrected && state.cases[1].versions.count == 2)
    #expect(state.cases[1].history.map(\.state) == [.queued, .corrected])
    let script = try String(contentsOf: pkg.appendingPathComponent("case_06/open.sh"), encoding: .utf8)
    #expect(script.contains("labels_v2.nii.gz"))
    #expect(try Data(contentsOf: pkg.appendingPathComponent("case_06/labels_v2.nii.gz")) == (try Data(contentsOf: corrected)))
  }

  @Test("refused with nothing written: another grid, an id labels.txt does not list, an existing next version, an unknown case")
  func refusals() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let pkg = try Self.package(in: dir)
    let stateBefore = try Data(contentsOf: pkg.appendingPathComponent(ReviewState.fileName))
    // Another grid: the map shifted by one voxel in world space.
    let source = try NiftiImage(contentsOf: Self.fixture.appendingPathComponent("a/case_06.nii.gz")).volume.converted(to: UInt8.self)
    var shifted = source
    var rows = (0..<4).map { r in (0..<4).map { c in source.grid.affine[r, c] } }
    rows[0][3] += 1.5
    shifted.grid = ImageGrid(shape: source.shape, affine: Affine(rows: rows))
    let moved = dir.appendingPathComponent("moved.nii.gz")
    try NiftiImage(shifted).write(to: moved)
    let grid = #expect(throws: VibeSegKitError.self) { try ReviewImportJob(package: pkg, caseID: "case_06", corrected: moved).run() }
    #expect(grid?.code == .gridMismatch)
    // An id outside labels.txt (0...73).
    var painted = source
    painted.voxels[0] = 99
    let typo = dir.appendingPathComponent("typo.nii.gz")
    try NiftiImage(painted).write(to: typo)
    let unknown = #expect(throws: VibeSegKitError.self) { try ReviewImportJob(package: pkg, caseID: "case_06", corrected: typo).run() }
    #expect(unknown?.code == .unknownLabel && unknown?.message.contains("99") == true)
    // The ignore label (73) is allowed.
    var ignored = source
    ignored.voxels[0] = 73
    let withIgnore = dir.appendingPathComponent("ignore.nii.gz")
    try NiftiImage(ignored).write(to: withIgnore)
    // An existing v2 is never overwritten.
    try Data("x".utf8).write(to: pkg.appendingPathComponent("case_06/labels_v2.nii.gz"))
    let exists = #expect(throws: VibeSegKitError.self) { try ReviewImportJob(package: pkg, caseID: "case_06", corrected: withIgnore).run() }
    #expect(exists?.code == .cannotCreateOutput)
    #expect(throws: VibeSegKitError.self) { try ReviewImportJob(package: pkg, caseID: "case_99", corrected: withIgnore).run() }
    #expect(try Data(contentsOf: pkg.appendingPathComponent(ReviewState.fileName)) == stateBefore)
    try FileManager.default.removeItem(at: pkg.appendingPathComponent("case_06/labels_v2.nii.gz"))
    #expect(try ReviewImportJob(package: pkg, caseID: "case_06", corrected: withIgnore).run().version == 2)
  }
}
