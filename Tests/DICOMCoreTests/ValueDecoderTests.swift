import DICOMCore
import Testing

@Suite("DICOM value decoders")
struct ValueDecoderTests {
  /// A header holding `elements` (explicit VR), without pixel data.
  func header(_ elements: [UInt8]) throws -> DICOMHeader {
    try DICOMHeader(bytes: DICOMBytes.part10(syntax: "1.2.840.10008.1.2.1", dataset: elements), path: "/v.dcm")
  }

  func ds(_ text: String) throws -> DICOMHeader {
    try header(DICOMBytes.explicit(0x0020, 0x0032, "DS", DICOMBytes.text(text)))
  }

  @Test("DS: plain decimals, exponents, padding; NaN, infinity, hex and empty values refused", arguments: [
    (" -125.5\\1e3\\+.5 ", [-125.5, 1000, 0.5] as [Double]?),
    ("0\\-0.0\\7", [0, 0, 7]),
    ("nan\\1\\2", nil), ("inf\\1\\2", nil), ("0x1p3\\1\\2", nil), ("1\\\\2", nil), ("1.2.3\\1\\2", nil), ("1e\\1\\2", nil),
  ])
  func decimalStrings(_ text: String, _ expected: [Double]?) throws {
    let h = try ds(text)
    if let expected {
      #expect(try h.decimals(.imagePositionPatient, count: 3) == expected)
    } else {
      #expect { try h.decimals(.imagePositionPatient) } throws: {
        let e = $0 as? DICOMError
        return e?.code == .invalidValue && e?.tag == "(0020,0032) ImagePositionPatient" && e?.path == "/v.dcm"
      }
    }
  }

  @Test("value multiplicity is checked where fixed")
  func multiplicity() throws {
    #expect { try ds("1\\2").decimals(.imagePositionPatient, count: 3) } throws: {
      ($0 as? DICOMError)?.message.contains("2 values where 3 are required") == true
    }
    #expect(try ds("1\\2").decimals(.echoTime) == nil)  // absent
  }

  @Test("IS: signed integers only")
  func integerStrings() throws {
    func value(_ text: String) throws -> Int? {
      try header(DICOMBytes.explicit(0x0020, 0x0013, "IS", DICOMBytes.text(text))).integer(.instanceNumber)
    }
    #expect(try value(" +12") == 12)
    #expect(try value("-3") == -3)
    for bad in ["1.5", "12a", "", "99999999999", "1\\2"] where !bad.isEmpty {
      #expect(throws: DICOMError.self) { try value(bad) }
    }
  }

  @Test("CS, LO, UI: trimmed, multi-valued split at backslashes, NUL padding removed")
  func strings() throws {
    let h = try header(
      DICOMBytes.explicit(0x0008, 0x0008, "CS", DICOMBytes.text("ORIGINAL\\PRIMARY\\M\\ND ")) + DICOMBytes.explicit(0x0008, 0x0018, "UI", DICOMBytes.text("1.2.3", pad: 0))
        + DICOMBytes.explicit(0x0008, 0x103E, "LO", DICOMBytes.text("  Dixon_W  ")) + DICOMBytes.explicit(0x0008, 0x0031, "TM", DICOMBytes.text("101500.000"))
        + DICOMBytes.explicit(0x0018, 0x1030, "LO", []))
    #expect(h.strings(.imageType) == ["ORIGINAL", "PRIMARY", "M", "ND"])
    #expect(h.string(.sopInstanceUID) == "1.2.3")
    #expect(h.string(.seriesDescription) == "Dixon_W")
    #expect(h.string(.seriesTime) == "101500.000")
    #expect(h.string(.protocolName) == nil && h.strings(.protocolName).isEmpty)
  }

  @Test("Latin-1 text that is not UTF-8 decodes byte by byte; control characters print escaped")
  func text() throws {
    let h = try header(DICOMBytes.explicit(0x0008, 0x103E, "LO", [0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72]))
    #expect(h.string(.seriesDescription) == "Müller")
    #expect(DICOMText.printable("a\u{1B}[31mb\n") == "a\\u{1b}[31mb\\u{a}")
  }

  @Test("US, UL, SS: widths and VRs checked")
  func binary() throws {
    let h = try header(
      DICOMBytes.explicit(0x0028, 0x0010, "US", DICOMBytes.u16(512)) + DICOMBytes.explicit(0x0028, 0x0011, "DS", DICOMBytes.text("4"))
        + DICOMBytes.explicit(0x0028, 0x0100, "US", [1, 0, 2, 0]) + DICOMBytes.explicit(0x0028, 0x0103, "SS", DICOMBytes.u16(0xFFFF))
        + DICOMBytes.explicit(0x0028, 0x0106, "UL", DICOMBytes.u32(70000)))
    #expect(try h.unsignedShort(.rows) == 512)
    #expect { try h.unsignedShort(.columns) } throws: { ($0 as? DICOMError)?.message.contains("VR DS") == true }
    #expect { try h.unsignedShort(.bitsAllocated) } throws: { ($0 as? DICOMError)?.message.contains("2 values") == true }
    #expect(try h.signedShorts(.pixelRepresentation) == [-1])
    #expect(try h.unsignedLongs(DICOMTag(0x0028, 0x0106)) == [70000])
    let odd = try DICOMHeader(
      bytes: DICOMBytes.part10(syntax: "1.2.840.10008.1.2", dataset: DICOMBytes.implicit(0x0028, 0x0010, [1, 0, 0, 0, 2, 0])), path: "/v")
    #expect(try odd.unsignedShorts(.rows) == [1, 0, 2])
    let three = try DICOMHeader(
      bytes: DICOMBytes.part10(syntax: "1.2.840.10008.1.2", dataset: DICOMBytes.implicit(0x0028, 0x0010, [1, 0, 0, 0])), path: "/v")
    #expect { try three.unsignedShort(.rows) } throws: { ($0 as? DICOMError)?.message.contains("2 values where 1") == true }
  }

  @Test("tags print as PS3.6 writes them")
  func tags() {
    #expect(DICOMTag.imagePositionPatient.description == "(0020,0032)")
    #expect(DICOMTag.pixelData.label == "(7FE0,0010) PixelData")
    #expect(DICOMTag(0x0029, 0x1010).isPrivate)
  }
}
