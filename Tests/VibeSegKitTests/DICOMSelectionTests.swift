import DICOMInput
import Foundation
import Testing
import VibeSegKit
import _TestSupport

@Suite("DICOM selection carried by the input URL")
struct DICOMSelectionTests {
  @Test("every field survives the URL fragment; the path is unchanged; an empty selection leaves the URL alone")
  func roundTrip() throws {
    let url = URL(fileURLWithPath: "/data/ukbb visits/1000001_20201_2_0.zip")
    let selection = DICOMSelection(
      contrast: .opposedPhase, series: "1.2.840.99", duplicateStation: .newest, contrastMap: ["7": .water, "1.2.3": .fat])
    let carried = selection.applied(to: url)
    #expect(carried.path == url.path)
    #expect(DICOMSelection(of: carried) == selection)
    #expect(DICOMSelection().applied(to: url) == url)
    #expect(DICOMSelection(of: url).isEmpty)
    #expect(selection.fragment == "contrast=opp&series=1.2.840.99&duplicate=newest&map=1.2.3:fat;7:water")
  }

  @Test("choosing: no choice on a multi-series visit lists the groups; a contrast with several stations comes back superior first")
  func choosing() throws {
    let index = try DICOMIndex(scanning: Fixtures.committed("dicom/ukbb"))
    #expect { try DICOMSelection().groups(of: index, source: "v") } throws: {
      ($0 as? VibeSegKitError)?.message.contains("24 series groups") == true
    }
    let water = try DICOMSelection(contrast: .water).groups(of: index, source: "v")
    #expect(water.map(\.station) == [1, 2, 3, 4, 5, 6])
    #expect(try DICOMSelection(series: "8").groups(of: index, source: "v").map(\.seriesNumber) == [8])
  }
}
