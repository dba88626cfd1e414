import DICOMSeg
import Testing
import VibeSegKit

/// The SNOMED table behind DICOM-SEG output (`TotalVibeSegmentCode`) and the fixed segment
/// numbering (`DICOMSegOutput.segments`).
@Suite("DICOM-SEG segment codes")
struct SegmentCodeTableTests {
  @Test("every label but 'unused' has codes; categories are CID 7150 concepts; SCT codes are digits")
  func complete() {
    let names = Set(TotalVibeLabel.all.map(\.name)).subtracting(["unused"])
    #expect(Set(TotalVibeSegmentCode.byName.keys) == names)
    for (name, code) in TotalVibeSegmentCode.byName {
      #expect([CodedConcept.anatomicalStructure, .tissue].contains(code.category), "\(name)")
      #expect(
        code.type.scheme == "SCT" && code.type.value.allSatisfy(\.isNumber) && !code.type.meaning.isEmpty, "\(name)")
    }
  }

  @Test("laterality: _left/_right labels carry the Left/Right modifier (pre-coordinated types aside), others none")
  func laterality() {
    let precoordinated: Set<String> = ["atrial_appendage_left", "lung_middle_lobe_right"]
    for (name, code) in TotalVibeSegmentCode.byName {
      if precoordinated.contains(name) {
        #expect(code.modifier == nil, "\(name)")
      } else if name.hasSuffix("_left") {
        #expect(code.modifier == .left, "\(name)")
      } else if name.hasSuffix("_right") {
        #expect(code.modifier == .right, "\(name)")
      } else {
        #expect(code.modifier == nil, "\(name)")
      }
    }
    // Pairs share category and type: kidney, lobes, arteries, bones, muscles.
    for (name, code) in TotalVibeSegmentCode.byName where name.hasSuffix("_left") && !precoordinated.contains(name) {
      let right = TotalVibeSegmentCode.byName[String(name.dropLast(5)) + "_right"]
      #expect(right?.type == code.type && right?.category == code.category, "\(name)")
    }
  }

  @Test("segments: 71, numbered 1...71 in label-id order, id 20 skipped")
  func numbering() {
    let segments = DICOMSegOutput.segments
    #expect(segments.count == 71)
    #expect(segments.map(\.number) == Array(1...71))
    #expect(segments.map(\.labelValue) == Array(1...19) + Array(21...72))
    #expect(segments[2].label == "kidney_left" && segments[2].modifier == .left)
  }
}
