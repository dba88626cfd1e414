import DICOMCore
import Foundation
import Testing
import _TestSupport

typealias B = DICOMBytes

@Suite("DICOM header reader: encodings, sequences, bounds")
struct HeaderReaderTests {
  static let explicitLE = "1.2.840.10008.1.2.1"
  static let implicitLE = "1.2.840.10008.1.2"

  func expectError(_ code: DICOMError.Code, _ bytes: [UInt8], contains text: String? = nil, limits: DICOMReadLimits = DICOMReadLimits())
    throws
  {
    do {
      let header = try DICOMHeader(bytes: bytes, path: "/x.dcm", limits: limits)
      Issue.record("expected \(code), read \(header.elements.count) elements")
    } catch let error as DICOMError {
      #expect(error.code == code, "\(error)")
      #expect(error.path == "/x.dcm")
      if let text { #expect(error.description.contains(text), "\(error)") }
    }
  }

  @Test("explicit VR little endian: values, pixel data offset and length")
  func explicitVR() throws {
    let bytes = B.part10(syntax: Self.explicitLE, dataset: B.explicitImage())
    let header = try DICOMHeader(bytes: bytes, path: "/x.dcm")
    #expect(header.layout == .part10)
    #expect(header.transferSyntax == .explicitVRLittleEndian)
    #expect(header.string(.seriesDescription) == "Dixon_BH_17s_W")
    #expect(header.strings(.imageType) == ["DERIVED", "PRIMARY", "DIXON", "WATER"])
    #expect(try header.unsignedShort(.rows) == 4)
    // Compared with the correctly rounded parse (strtod, Python's float): the Swift compiler reads
    // the literal 2.232142925 one ulp lower on x86-64 Linux (Swift 6.3).
    let spacing = try #require(Double("2.232142925"))
    #expect(try header.decimals(.pixelSpacing, count: 2) == [spacing, spacing])
    let pixels = try #require(header.pixelData)
    #expect(pixels.length == 16 && pixels.offset == bytes.count - 16 && pixels.vr == "OW")
    #expect(header.element(.transferSyntaxUID) != nil)
  }

  @Test("implicit VR little endian reads the same values")
  func implicitVR() throws {
    let bytes = B.part10(syntax: Self.implicitLE, dataset: B.implicitImage())
    let header = try DICOMHeader(bytes: bytes, path: "/x.dcm")
    #expect(header.transferSyntax == .implicitVRLittleEndian)
    #expect(header.element(.seriesDescription)?.vr == nil)
    #expect(header.string(.seriesDescription) == "Dixon_BH_17s_W")
    #expect(try header.unsignedShort(.columns) == 2)
    #expect(header.pixelData == .init(offset: bytes.count - 16, length: 16, vr: nil))
  }

  @Test("DICM without a preamble, and a bare implicit dataset")
  func layouts() throws {
    let noPreamble = try DICOMHeader(bytes: B.part10(syntax: Self.explicitLE, dataset: B.explicitImage(), preamble: false), path: "/x")
    #expect(noPreamble.layout == .part10WithoutPreamble)
    #expect(noPreamble.string(.seriesDescription) == "Dixon_BH_17s_W")
    let bare = try DICOMHeader(bytes: B.implicitImage(), path: "/x")
    #expect(bare.layout == .bareDataset && bare.transferSyntax == .implicitVRLittleEndian)
    #expect(try bare.unsignedShort(.rows) == 4)
    let bareExplicit = try DICOMHeader(bytes: B.explicitImage(), path: "/x")
    #expect(bareExplicit.transferSyntax == .explicitVRLittleEndian)
  }

  @Test("undefined-length sequences: nested items walked, the element after them read")
  func undefinedLengthSequences() throws {
    let inner = B.explicit(0x0008, 0x1150, "UI", B.text("1.2.3", pad: 0))
    let nested = B.explicit(0x0008, 0x9215, "SQ", B.item(inner) + B.sequenceEnd, length: B.undefined)
    let sequence = B.explicit(
      0x0008, 0x1140, "SQ", B.item(inner + nested) + B.item(inner, undefinedLength: false) + B.sequenceEnd,
      length: B.undefined)
    // A private element in UN with undefined length: its content is implicit VR (PS3.5 6.2.2).
    let privateUN = B.explicit(
      0x0029, 0x1020, "UN", B.item(B.implicit(0x0029, 0x1010, B.text("inner"))) + B.sequenceEnd, length: B.undefined)
    let dataset =
      B.explicit(0x0008, 0x0008, "CS", B.text("ORIGINAL\\PRIMARY")) + sequence
      + B.explicit(0x0008, 0x103E, "LO", B.text("after")) + privateUN + B.explicit(0x0020, 0x0013, "IS", B.text("7"))
      + B.explicit(0x7FE0, 0x0010, "OB", [1, 2])
    let header = try DICOMHeader(bytes: B.part10(syntax: Self.explicitLE, dataset: dataset), path: "/x")
    #expect(header.string(.seriesDescription) == "after")
    #expect(try header.integer(.instanceNumber) == 7)
    #expect(header.element(DICOMTag(0x0008, 0x1140))?.isSequence == true)
    #expect(header.element(DICOMTag(0x0029, 0x1020))?.isSequence == true)
    #expect(header.pixelData?.length == 2)

    // The same in implicit VR (an undefined length is a sequence there).
    let implicitSequence = B.implicit(
      0x0008, 0x1140, B.item(B.implicit(0x0008, 0x1150, B.text("1.2.3", pad: 0))) + B.sequenceEnd, length: B.undefined)
    let implicitHeader = try DICOMHeader(
      bytes: B.part10(syntax: Self.implicitLE, dataset: implicitSequence + B.implicit(0x0008, 0x103E, B.text("after"))),
      path: "/x")
    #expect(implicitHeader.string(.seriesDescription) == "after")
    #expect(implicitHeader.pixelData == nil)
  }

  @Test("sequences nested deeper than the cap are refused")
  func depthCap() throws {
    var content = B.explicit(0x0008, 0x103E, "LO", B.text("deep"))
    for _ in 0..<20 {
      content = B.explicit(0x0008, 0x1140, "SQ", B.item(content) + B.sequenceEnd, length: B.undefined)
    }
    try expectError(.malformed, B.part10(syntax: Self.explicitLE, dataset: content), contains: "nested deeper than 16")
    var limits = DICOMReadLimits()
    limits.maxSequenceDepth = 32
    #expect(throws: Never.self) { try DICOMHeader(bytes: B.part10(syntax: Self.explicitLE, dataset: content), path: "/x", limits: limits) }
  }

  @Test("odd value lengths are refused, naming the tag")
  func oddLength() throws {
    let dataset = B.explicit(0x0008, 0x103E, "LO", Array("odd".utf8)) + B.explicit(0x7FE0, 0x0010, "OW", [0, 0])
    try expectError(.malformed, B.part10(syntax: Self.explicitLE, dataset: dataset), contains: "(0008,103E) SeriesDescription: odd value length 3")
    let implicitDataset = B.implicit(0x0020, 0x0013, Array("7".utf8))
    try expectError(.malformed, B.part10(syntax: Self.implicitLE, dataset: implicitDataset), contains: "odd value length 1")
    let oddItem = B.explicit(0x0008, 0x1140, "SQ", B.tag(0xFFFE, 0xE000) + B.u32(3) + [1, 2, 3] + B.sequenceEnd, length: B.undefined)
    try expectError(.malformed, B.part10(syntax: Self.explicitLE, dataset: oddItem), contains: "odd item length 3")
  }

  @Test("a length beyond the end of the file is truncation, never a read past the end")
  func lengthBeyondFile() throws {
    // An element declaring 4 GiB - 2 bytes.
    let huge = B.explicit(0x0008, 0x103E, "UT", [], length: 0xFFFF_FFFE)
    var limits = DICOMReadLimits()
    limits.maxElementBytes = Int(UInt32.max)
    try expectError(.truncated, B.part10(syntax: Self.explicitLE, dataset: huge), contains: "the file ends", limits: limits)
    // With the default cap the same element is too large first.
    try expectError(.tooLarge, B.part10(syntax: Self.explicitLE, dataset: huge), contains: "cap on one element")
    // Pixel data declaring more than the file holds.
    let pixels = B.explicit(0x0028, 0x0010, "US", B.u16(4)) + B.explicit(0x7FE0, 0x0010, "OW", [1, 2], length: 4096)
    try expectError(.truncated, B.part10(syntax: Self.explicitLE, dataset: pixels), contains: "pixel data")
    // A sequence item longer than what is left.
    let item = B.explicit(0x0008, 0x1140, "SQ", B.tag(0xFFFE, 0xE000) + B.u32(1000) + [1, 2], length: B.undefined)
    try expectError(.truncated, B.part10(syntax: Self.explicitLE, dataset: item))
  }

  @Test("truncated files: every cut of a valid file is refused or read consistently, never a crash")
  func truncatedEverywhere() throws {
    let full = B.part10(syntax: Self.explicitLE, dataset: B.explicitImage())
    let metaEnd = full.count - B.explicitImage().count
    for cut in 1..<full.count {
      do {
        let header = try DICOMHeader(bytes: Array(full[0..<cut]), path: "/x")
        // A cut right at an element boundary before the pixel data reads as a dataset without it.
        #expect(header.pixelData == nil, "cut \(cut)")
      } catch let error as DICOMError {
        // A cut between file meta elements leaves a meta group without its transfer syntax.
        let allowed: [DICOMError.Code] = cut <= metaEnd ? [.truncated, .notDICOM, .malformed] : [.truncated]
        #expect(allowed.contains(error.code), "cut \(cut): \(error)")
      }
    }
  }

  @Test("structure errors: items outside sequences, unknown VRs, delimiters with lengths, no transfer syntax")
  func structure() throws {
    try expectError(.malformed, B.part10(syntax: Self.explicitLE, dataset: B.item([])), contains: "outside a sequence")
    try expectError(.malformed, B.part10(syntax: Self.explicitLE, dataset: B.tag(0x0008, 0x103E) + Array("ZZ".utf8) + B.u16(0)), contains: "not a VR")
    let badEnd = B.explicit(0x0008, 0x1140, "SQ", B.tag(0xFFFE, 0xE0DD) + B.u32(4), length: B.undefined)
    try expectError(.malformed, B.part10(syntax: Self.explicitLE, dataset: badEnd), contains: "sequence delimiter")
    let undefinedLO = B.explicit(0x0008, 0x103E, "UT", [], length: B.undefined)
    try expectError(.malformed, B.part10(syntax: Self.explicitLE, dataset: undefinedLO), contains: "undefined length for VR UT")
    let noSyntax = [UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + B.explicit(0x0002, 0x0001, "OB", [0, 1])
      + B.explicit(0x0008, 0x103E, "LO", B.text("x"))
    try expectError(.malformed, noSyntax, contains: "TransferSyntaxUID")
    let twice = B.explicit(0x0008, 0x103E, "LO", B.text("a")) + B.explicit(0x0008, 0x103E, "LO", B.text("b"))
    try expectError(.malformed, B.part10(syntax: Self.explicitLE, dataset: twice), contains: "twice")
    let nativeUndefined = B.explicit(0x7FE0, 0x0010, "OB", [], length: B.undefined)
    try expectError(.malformed, B.part10(syntax: Self.explicitLE, dataset: nativeUndefined), contains: "native")
  }

  @Test("transfer syntaxes: big endian, deflated and unknown refused with a reason; encapsulated read")
  func syntaxes() throws {
    try expectError(.unsupported, B.part10(syntax: "1.2.840.10008.1.2.2", dataset: []), contains: "big endian")
    try expectError(.unsupported, B.part10(syntax: "1.2.840.10008.1.2.1.99", dataset: []), contains: "deflated")
    try expectError(.unsupported, B.part10(syntax: "1.2.3.4", dataset: []), contains: "unknown transfer syntax")
    let jpeg = B.part10(
      syntax: "1.2.840.10008.1.2.4.70",
      dataset: B.explicit(0x0008, 0x103E, "LO", B.text("x")) + B.explicit(0x7FE0, 0x0010, "OB", [], length: B.undefined))
    let header = try DICOMHeader(bytes: jpeg, path: "/x")
    #expect(header.transferSyntax.isEncapsulated && header.pixelData?.length == nil)
  }

  @Test("not DICOM: empty, text, random bytes")
  func notDICOM() throws {
    try expectError(.notDICOM, [], contains: "empty")
    try expectError(.notDICOM, Array("hello, this is not an image\n".utf8))
    try expectError(.notDICOM, (0..<300).map { UInt8($0 % 251) })
    // Group 0008 bytes that then do not parse: a bare-dataset guess that fails is "not DICOM".
    try expectError(.notDICOM, [0x08, 0x00, 0x10, 0x00, 0xFF, 0xFF, 0xFF, 0x7F, 1, 2])
  }

  @Test("caps: element length, header prefix")
  func caps() throws {
    var limits = DICOMReadLimits()
    limits.maxElementBytes = 8
    let long = B.explicit(0x0008, 0x103E, "LO", B.text("a description longer than 8"))
    try expectError(.tooLarge, B.part10(syntax: Self.explicitLE, dataset: long), contains: "8-byte cap", limits: limits)

    // From a file: a header longer than the first read is read again, larger; beyond the cap it is refused.
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let padding = B.explicit(0x0009, 0x1010, "OB", [UInt8](repeating: 1, count: 5000))
    let bytes = B.part10(syntax: Self.explicitLE, dataset: padding + B.explicitImage(pixels: [UInt8](repeating: 3, count: 100_000)))
    let url = dir.appendingPathComponent("long.dcm")
    try Data(bytes).write(to: url)
    var small = DICOMReadLimits()
    small.initialReadBytes = 256
    let header = try DICOMHeader(contentsOf: url, limits: small)
    #expect(header.string(.seriesDescription) == "Dixon_BH_17s_W" && header.pixelData?.length == 100_000)
    small.maxHeaderBytes = 4096
    #expect {
      try DICOMHeader(contentsOf: url, limits: small)
    } throws: { ($0 as? DICOMError)?.code == .tooLarge }
  }

  @Test("files: missing, a folder, a FIFO are refused without blocking")
  func files() throws {
    #expect { try DICOMHeader(contentsOf: URL(fileURLWithPath: "/nonexistent/a.dcm")) } throws: {
      ($0 as? DICOMError)?.code == .fileNotFound
    }
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect { try DICOMHeader(contentsOf: dir) } throws: { ($0 as? DICOMError)?.code == .notDICOM }
    let fifo = dir.appendingPathComponent("fifo")
    #expect(mkfifo(fifo.path, 0o600) == 0)
    #expect { try DICOMHeader(contentsOf: fifo) } throws: { ($0 as? DICOMError)?.code == .notDICOM }
  }
}
