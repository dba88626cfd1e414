import Foundation
import Testing
import VibeSegKit
import _TestSupport

/// The built-in mapping tables (training.md §3.3) and the user mapping file.
@Suite("Initial masks: mapping tables")
struct InitialMaskMappingTests {
  /// `totalsegmentator.map_to_binary.class_map["total"]` of TotalSegmentator 2.18.0, dumped by
  /// scripts/fixtures/make_initial_mask_fixtures.py.
  static func classMap() throws -> [Int: String] {
    let url = Fixtures.committed("initial_masks/totalsegmentator_class_map_total.json")
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: String]
    return Dictionary(uniqueKeysWithValues: object.map { (Int($0.key)!, $0.value) })
  }

  @Test("every TotalSegmentator id in the built-in table has exactly totalsegmentator's class name")
  func namesMatchTotalSegmentator() throws {
    let classMap = try Self.classMap()
    #expect(classMap.count == 117)
    for entry in TotalSegmentatorClasses.total {
      #expect(classMap[entry.id] == entry.name, "id \(entry.id): ours \(entry.name), totalsegmentator \(classMap[entry.id] ?? "none")")
    }
  }

  @Test("every class of totalsegmentator's task total is covered (mapped or dropped on purpose)")
  func everyClassCovered() throws {
    let classMap = try Self.classMap()
    let ours = Dictionary(uniqueKeysWithValues: TotalSegmentatorClasses.total.map { ($0.name, $0.id) })
    for (id, name) in classMap.sorted(by: { $0.key < $1.key }) {
      #expect(ours[name] == id, "\(id) \(name) is not in TotalSegmentatorClasses.total")
    }
    let mapping = InitialMaskMapping.totalSegmentator()
    #expect(mapping.unmapped(classMap.keys).isEmpty)
  }

  @Test("TotalSegmentator -> TotalVibe follows training.md 3.3's id rules")
  func totalSegmentatorIDRules() {
    func expected(_ ts: Int, cysts: InitialMaskMapping.KidneyCysts) -> UInt8 {
      switch ts {
      case 1...17, 19, 21, 22: UInt8(ts)
      case 18, 20: 18
      case 23: cysts == .kidney ? 3 : 0
      case 24: cysts == .kidney ? 2 : 0
      case 25, 26: 23
      case 27...50: 0
      case 51...89: UInt8(ts - 27)
      case 90...115: 0
      case 116: 63
      case 117: 64
      default: 255
      }
    }
    for cysts in InitialMaskMapping.KidneyCysts.allCases {
      let mapping = InitialMaskMapping.totalSegmentator(kidneyCysts: cysts)
      #expect(mapping.targets.count == 117)
      for ts in 1...117 { #expect(mapping.targets[ts] == expected(ts, cysts: cysts), "TotalSegmentator \(ts), cysts \(cysts)") }
    }
  }

  @Test("SPINEPS Location ids -> TotalVibe as training.md 3.3")
  func spineps() {
    let t = InitialMaskMapping.spineps.targets
    #expect((41...48).allSatisfy { t[$0] == 70 })
    #expect([49, 50, 52, 53, 62].allSatisfy { t[$0] == 69 })
    #expect(t[100] == 68 && t[61] == 71 && t[60] == 52 && t[26] == 23)
    #expect(t.count == 17 && t[51] == nil)
  }

  // MARK: - Mapping files

  static func write(_ text: String) throws -> URL {
    let dir = try Fixtures.temporaryDirectory()
    let url = dir.appendingPathComponent("map.json")
    try Data(text.utf8).write(to: url)
    return url
  }

  @Test("a mapping file: ids, names (any case) and 0")
  func readsFile() throws {
    let url = try Self.write(#"{"1": "subcutaneous_fat", "2": 66, "3": "Inner_Fat", "7": 0, "300": "ivd"}"#)
    let mapping = try InitialMaskMapping.read(contentsOf: url)
    #expect(mapping.targets == [1: 65, 2: 66, 3: 67, 7: 0, 300: 68])
    #expect(mapping.origin == url.path)
  }

  @Test("bad mapping files are refused naming the file and the entry", arguments: [
    (#"[1, 2]"#, "not a mapping file"),
    (#"{"x": 5}"#, "key \"x\""),
    (#"{"0": 5}"#, "key \"0\""),
    (#"{"01": 5}"#, "key \"01\""),
    (#"{"1": "livers"}"#, "\"livers\" is not a TotalVibe structure name"),
    (#"{"1": 73}"#, "73 is not a TotalVibe id"),
    (#"{"1": -1}"#, "-1 is not a TotalVibe id"),
    (#"{"1": true}"#, "true is no target"),
    (#"{"1": 2.5}"#, "2.5 is no target"),
    (#"{"1": null}"#, "no target"),
  ])
  func badFiles(text: String, expected: String) throws {
    let url = try Self.write(text)
    let error = #expect(throws: VibeSegKitError.self) { try InitialMaskMapping.read(contentsOf: url) }
    #expect(error?.code == .invalidLabelFile)
    #expect(error?.path == url.path)
    #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
  }

  @Test("a missing mapping file is missingInput")
  func missingFile() {
    let error = #expect(throws: VibeSegKitError.self) {
      try InitialMaskMapping.read(contentsOf: URL(fileURLWithPath: "/nonexistent/map.json"))
    }
    #expect(error?.code == .missingInput)
  }
}

@Suite("Initial masks: --exec command words")
struct ExternalCommandTests {
  @Test("words split at white space, quotes group, {output} replaced", arguments: [
    ("TotalSegmentator -i W.nii.gz -o {output} --ml", ["TotalSegmentator", "-i", "W.nii.gz", "-o", "/o/ts.nii.gz", "--ml"]),
    ("  a   'b c'  \"d 'e'\" {output}x ''", ["a", "b c", "d 'e'", "/o/ts.nii.gzx", ""]),
  ])
  func words(text: String, expected: [String]) throws {
    #expect(try ExternalCommand(text, output: "/o/ts.nii.gz").words == expected)
  }

  @Test("empty commands and unclosed quotes are refused", arguments: ["", "   ", "a 'b"])
  func refused(text: String) {
    let error = #expect(throws: VibeSegKitError.self) { try ExternalCommand(text, output: "x") }
    #expect(error?.code == .invalidOption)
  }
}
