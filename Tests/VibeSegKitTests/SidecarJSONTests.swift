import Foundation
import Testing
@testable import VibeSegKit

@Suite("sidecar JSON")
struct SidecarJSONTests {
  struct Example: Encodable {
    var labels: [String: String]
    var labelsPresent: [Int]
    var other: [String: Int]
  }

  @Test("label ids in numeric order, other objects in key order, valid JSON that reads back the same")
  func numericOrder() throws {
    let value = Example(labels: ["1": "spleen", "100": "disc", "2": "kidney", "10": "x"], labelsPresent: [1, 2], other: ["b": 1, "a": 2, "10": 3, "9": 4])
    let bytes = try SidecarJSON.encode(value)
    let text = String(decoding: bytes, as: UTF8.self)
    let order = ["\"1\" : \"spleen\"", "\"2\" : \"kidney\"", "\"10\" : \"x\"", "\"100\" : \"disc\""].map { text.range(of: $0)!.lowerBound }
    #expect(order == order.sorted(), "\(text)")
    // `other` is not an id-keyed object: string order stays ("10" before "9").
    #expect(text.range(of: "\"10\" : 3")!.lowerBound < text.range(of: "\"9\" : 4")!.lowerBound)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    #expect(object["labels"] as? [String: String] == value.labels)
    #expect(bytes.last == 10)
  }
}
