import Testing
@testable import Cohort

@Suite("BatchError")
struct BatchErrorTests {
  @Test("description names the path first")
  func description() {
    let e = BatchError(.missingInput, "no such folder", path: "/nope")
    #expect(e.description == "/nope: no such folder")
  }
}
