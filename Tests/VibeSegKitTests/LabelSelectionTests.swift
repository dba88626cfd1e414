import Testing
import VibeSegKit

/// One label-selection syntax (issue 18): ids, ranges and names, comma or space separated.
@Suite("label selection")
struct LabelSelectionTests {
  static let names = [1: "spleen", 5: "liver", 6: "stomach", 7: "pancreas", 65: "subcutaneous_fat"]

  @Test("ids, ranges and names in any case, comma or space separated, each once in the order given")
  func accepted() throws {
    #expect(try LabelSelection.resolve(["LIVER,1", "5-7", "spleen"], names: Self.names, option: "--labels") == [5, 1, 6, 7])
    #expect(try LabelSelection.resolve(["70 ", " 2"], names: Self.names, option: "--labels") == [70, 2])
    // A model's structures only: ranges keep the known ids, an unknown id or name lists the known names.
    #expect(try LabelSelection.resolve(["1-6"], names: Self.names, option: "--roi-subset", requireKnown: true) == [1, 5, 6])
    let unknown = #expect(throws: VibeSegKitError.self) {
      try LabelSelection.resolve(["2"], names: Self.names, option: "--roi-subset", requireKnown: true)
    }
    #expect(unknown?.code == .unknownLabel && unknown?.description.contains("known: liver") == true, "\(String(describing: unknown))")
  }

  @Test("malformed entries are usage errors naming the option", arguments: ["", "1,,2", "3-1", "1-2-3", "70000", "-1", "li ver", "5a"])
  func refused(text: String) {
    let error = #expect(throws: VibeSegKitError.self) { try LabelSelection.resolve([text], names: Self.names, option: "--labels") }
    #expect(error?.code == .invalidOption || error?.code == .unknownLabel, "\(text)")
    #expect(error?.description.contains("--labels") == true, "\(text): \(String(describing: error))")
  }

  @Test("preview's list takes names too; its ids start at 1")
  func preview() throws {
    #expect(try PreviewOptions.parseLabelList("liver,1-2", names: Self.names) == [5, 1, 2])
    #expect(throws: VibeSegKitError.self) { try PreviewOptions.parseLabelList("0", names: Self.names) }
  }
}
