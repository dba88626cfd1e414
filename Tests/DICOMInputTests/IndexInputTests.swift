import DICOMCore
import DICOMInput
import Foundation
import Testing
import _TestSupport

@Suite("DICOM index: paths, links, single files")
struct IndexInputTests {
  /// A temporary folder holding a copy of the 3-slice implicit VR fixture series, and that fixture's folder.
  static func copyOfImplicitSeries() throws -> (folder: URL, source: URL) {
    let dir = try Fixtures.temporaryDirectory()
    let source = Fixtures.committed("dicom/cases/implicit_vr")
    for name in ["0001.dcm", "0002.dcm", "0003.dcm"] {
      try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: dir.appendingPathComponent(name))
    }
    return (dir, source)
  }

  @Test("a missing path is refused up front; a file that only starts like a zip is not a readable zip")
  func refusedPaths() throws {
    #expect { try DICOMIndex(scanning: URL(fileURLWithPath: "/nonexistent/dicom")) } throws: {
      ($0 as? DICOMError)?.code == .fileNotFound
    }
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let zip = dir.appendingPathComponent("1000001_20201_2_0.zip")
    try Data("PK\u{3}\u{4}".utf8).write(to: zip)
    #expect { try DICOMIndex(scanning: zip) } throws: {
      let e = $0 as? DICOMError
      return e?.code == .unsupportedInput && e?.message.contains("not a readable zip") == true
    }
  }

  @Test("a UK Biobank-like zip indexes as its folder does, files shown as ZIP:entry; the scratch folder goes with the index")
  func zipArchive() throws {
    let folder = try DICOMIndex(scanning: Fixtures.committed("dicom/ukbb"))
    let zipURL = Fixtures.committed("dicom/ukbb.zip")
    var scratch: URL?
    do {
      let zipped = try DICOMIndex(scanning: zipURL)
      scratch = zipped.archive?.folder
      #expect(zipped.root == zipURL.path && zipped.verdict == folder.verdict)
      #expect(zipped.groups.map(\.key) == folder.groups.map(\.key))
      #expect(zipped.groups.map(\.contrast.contrast) == folder.groups.map(\.contrast.contrast))
      #expect(zipped.stations.count == 6 && zipped.stations.count == folder.stations.count)
      let shown = zipped.groups[0].files.map { zipped.displayPath($0.path) }
      let expected = folder.groups[0].files.map { "\(zipURL.path):\(($0.path as NSString).lastPathComponent)" }
      #expect(shown == expected)
      #expect(zipped.skipped.map { zipped.displayPath($0.path) } == ["\(zipURL.path):manifest.cvs"])
      #expect(FileManager.default.fileExists(atPath: try #require(scratch).path))
    }
    #expect(!FileManager.default.fileExists(atPath: try #require(scratch).path), "the scratch folder is removed with the index")
  }

  @Test("unsafe and damaged zips are refused before anything is indexed, and nothing is left behind")
  func unsafeZips() throws {
    let before = Set(try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path).filter { $0.hasPrefix("vibeseg-dicom-") })
    #expect { try DICOMIndex(scanning: Fixtures.committed("dicom/cases/zip_traversal.zip")) } throws: {
      let e = $0 as? DICOMError
      return e?.code == .malformed && e?.message.contains("../escaped.dcm") == true
    }
    #expect { try DICOMIndex(scanning: Fixtures.committed("dicom/cases/zip_truncated.zip")) } throws: {
      ($0 as? DICOMError)?.code == .unsupportedInput
    }
    let after = Set(try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path).filter { $0.hasPrefix("vibeseg-dicom-") })
    #expect(after.subtracting(before).isEmpty)
  }

  @Test("symbolic links inside a folder are listed, not followed; a single file is indexed")
  func links() throws {
    let (dir, source) = try Self.copyOfImplicitSeries()
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.createSymbolicLink(
      at: dir.appendingPathComponent("link.dcm"), withDestinationURL: source.appendingPathComponent("0001.dcm"))
    try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("up"), withDestinationURL: dir)
    let index = try DICOMIndex(scanning: dir)
    #expect(index.files.count == 3)
    #expect(index.verdict == .accepted, "\(index.problems)")
    #expect(Set(index.skipped.map { ($0.path as NSString).lastPathComponent }) == ["link.dcm", "up"])
    #expect(index.skipped.allSatisfy { $0.reason == "symbolic link (not followed)" })

    let single = try DICOMIndex(scanning: dir.appendingPathComponent("0002.dcm"))
    #expect(single.files.count == 1 && single.groups.count == 1 && single.verdict == .accepted)
    #expect(single.groups[0].sliceSpacing == nil)
  }

  @Test("the same file twice (a copy) is kept once, with a warning")
  func duplicateInstance() throws {
    let (dir, source) = try Self.copyOfImplicitSeries()
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.copyItem(at: source.appendingPathComponent("0002.dcm"), to: dir.appendingPathComponent("copy.dcm"))
    let index = try DICOMIndex(scanning: dir)
    #expect(index.verdict == .accepted)
    #expect(index.groups[0].files.count == 3)
    // (and the UK Biobank-like name asks for 6 stations: a warning)
    #expect(index.problems.map(\.kind) == [.duplicateInstance, .stationCount])
  }
}
