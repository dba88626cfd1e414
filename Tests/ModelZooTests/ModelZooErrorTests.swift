import Testing
@testable import ModelZoo

@Suite("ModelZooError")
struct ModelZooErrorTests {
  @Test("description names the path first")
  func description() {
    let e = ModelZooError(.downloadFailed, "HTTP 404", path: "https://example.invalid/100.zip")
    #expect(e.description == "https://example.invalid/100.zip: HTTP 404")
  }
}
