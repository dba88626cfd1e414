import DICOMCore
import Foundation
import Testing
import _TestSupport

/// The reader on files pydicom 3.0.2 wrote (scripts/fixtures/make_dicom_fixtures.py).
@Suite("DICOM header reader on pydicom-written fixtures")
struct FixtureHeaderTests {
  @Test("explicit VR file from the UK Biobank-like set")
  func explicitFixture() throws {
    let folder = Fixtures.committed("dicom/ukbb")
    let name = try #require(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().first { $0.hasSuffix(".dcm") })
    let url = folder.appendingPathComponent(name)
    let header = try DICOMHeader(contentsOf: url)
    #expect(header.layout == .part10 && header.transferSyntax == .explicitVRLittleEndian)
    #expect(header.string(.seriesDescription)?.hasPrefix("Dixon_") == true)
    #expect(try header.unsignedShort(.columns) == 10)
    let pixels = try #require(header.pixelData)
    let size = try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
    #expect(pixels.offset + (pixels.length ?? 0) == size)
  }

  @Test("implicit VR file with undefined-length sequences (one private)")
  func implicitFixture() throws {
    let header = try DICOMHeader(contentsOf: Fixtures.committed("dicom/cases/implicit_vr/0001.dcm"))
    #expect(header.transferSyntax == .implicitVRLittleEndian)
    #expect(header.element(DICOMTag(0x0008, 0x1140))?.isSequence == true)
    #expect(header.element(DICOMTag(0x0029, 0x1020))?.isSequence == true)
    #expect(try header.decimals(.imagePositionPatient, count: 3)?[2] == 0)
    #expect(try header.unsignedShort(.rows) == 8)
  }

  @Test("big endian fixture is refused with the reason")
  func bigEndian() throws {
    #expect { try DICOMHeader(contentsOf: Fixtures.committed("dicom/cases/big_endian/0001.dcm")) } throws: {
      let e = $0 as? DICOMError
      return e?.code == .unsupported && e?.message.contains("big endian") == true
    }
  }
}
