import DICOMCore
import Foundation
import Testing
import _TestSupport

/// Seeded corruptions of real fixture files (a cheap stand-in for the libFuzzer target still to
/// come): every mutant is read or refused with a `DICOMError`, never a trap, and a read header's
/// pixel data lies inside the file.
@Suite("DICOM header reader: seeded corruptions")
struct MutationTests {
  @Test("3,000 mutants of an explicit and an implicit VR file", arguments: [
    "dicom/cases/implicit_vr/0001.dcm", "dicom/nako/3D_GRE_TRA_W/station1_0001.dcm",
  ])
  func mutants(_ fixture: String) throws {
    let original = [UInt8](try Data(contentsOf: Fixtures.committed(fixture)))
    var random = SeededGenerator(seed: 19)
    var read = 0, refused = 0
    for _ in 0..<1500 {
      var bytes = original
      for _ in 0..<Int.random(in: 1...4, using: &random) {
        let at = Int.random(in: 128..<bytes.count, using: &random)
        switch Int.random(in: 0..<4, using: &random) {
        case 0: bytes[at] = UInt8.random(in: 0...255, using: &random)
        case 1: bytes[at] = [0x00, 0xFF, 0xFE, 0xE0][Int.random(in: 0..<4, using: &random)]
        case 2: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...64, using: &random)))
        default: bytes = Array(bytes[0..<at])
        }
        if bytes.count <= 128 { break }
      }
      do {
        let header = try DICOMHeader(bytes: bytes, path: "/m.dcm")
        if let p = header.pixelData, let n = p.length { #expect(p.offset + n <= bytes.count) }
        read += 1
      } catch is DICOMError {
        refused += 1
      }
    }
    #expect(read + refused == 1500 && read > 0 && refused > 0)
  }
}
