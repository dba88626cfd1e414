import Foundation
import NiftiIO
import Testing
import VolumeCore
import _TestSupport

/// Issue 15 rows 4 and 6 for the reader: the spatial-units rule (`xyzt_units & 7`: mm or unknown
/// accepted, metre / micron / undefined codes refused unless the caller accepts any units) and
/// opening only regular files, without blocking on a FIFO.
@Suite("NIfTI units rule and regular files (issue 15 rows 4, 6)")
struct InputLimitsTests {
  struct UnitsCase: Sendable, CustomTestStringConvertible {
    var xyztUnits: Int, accepted: Bool, name: String
    var testDescription: String { "xyzt_units \(xyztUnits): \(name)" }
  }

  static let unitsCases: [UnitsCase] = [
    .init(xyztUnits: 0, accepted: true, name: "unknown, read as mm"),
    .init(xyztUnits: 2, accepted: true, name: "mm"),
    .init(xyztUnits: 10, accepted: true, name: "mm + seconds"),
    .init(xyztUnits: 1, accepted: false, name: "metre"),
    .init(xyztUnits: 3, accepted: false, name: "micron"),
    .init(xyztUnits: 11, accepted: false, name: "micron + seconds"),
    .init(xyztUnits: 5, accepted: false, name: "undefined code 5"),
  ]

  static func write(units: Int, spacing: [Double] = [2000, 2000, 2000], to dir: URL) throws -> URL {
    var image = NiftiImage(Synthetic.ramp(Int16.self, shape: [4, 5, 6], affine: .scaling(spacing)))
    image.header.xyztUnits = units
    let url = dir.appendingPathComponent("units\(units).nii")
    try image.write(to: url)
    return url
  }

  @Test("spatial units: mm and unknown read, others refused naming xyzt_units", arguments: unitsCases)
  func units(_ c: UnitsCase) throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = try Self.write(units: c.xyztUnits, to: dir)
    if c.accepted {
      let image = try NiftiImage(contentsOf: url)
      #expect(!image.warnings.contains { $0.field == "xyzt_units" })
      #expect(image.grid.spacingMillimeters == [2000, 2000, 2000])
    } else {
      let error = try #require(throws: NiftiError.self) { try NiftiImage(contentsOf: url) }
      #expect(error.code == .unsupported && error.field == "xyzt_units" && error.path == url.path, "\(error)")
      // `info` accepts any units and shows a warning instead.
      var options = NiftiReadOptions()
      options.acceptAnySpatialUnits = true
      let shown = try NiftiImage(contentsOf: url, options: options)
      #expect(shown.warnings.contains { $0.field == "xyzt_units" })
    }
  }

  @Test("a FIFO named .nii.gz is refused at once (65: not a regular file), never read or waited on",
    arguments: ["image.nii.gz", "image.nii"])
  func fifo(_ name: String) throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent(name)
    let watchdog = try FIFOWatchdog(at: url)
    let (result, blocked) = watchdog.run { Result { try NiftiImage(contentsOf: url) } }
    #expect(!blocked, "opening the FIFO blocked until the watchdog wrote to it")
    guard case .failure(let error as NiftiError) = result else {
      Issue.record("expected a NiftiError, got \(result)")
      return
    }
    #expect(error.code == .notNifti && error.message.contains("not a regular file (a FIFO)"), "\(error)")
  }

  @Test("a directory (a missing input, 66) or a character device (65) is refused as not a regular file")
  func notRegular() throws {
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    for (path, kind, code) in [(dir.path, "a directory", NiftiError.Code.fileNotFound), ("/dev/zero", "a character device", .notNifti)] {
      let error = try #require(throws: NiftiError.self) { try NiftiImage(contentsOf: URL(fileURLWithPath: path)) }
      #expect(error.code == code && error.message.contains(kind), "\(error)")
    }
  }
}
