import Foundation
@testable import ModelZoo
import Testing

/// The catalog is the model registry (issue 17): roles, label sets, cascade partners, defaults.
@Suite("model registry")
struct ModelRegistryTests {
  @Test("every built-in model has a role; cascade partners are ROI models; defaults are registered")
  func registry() throws {
    let all = ModelCatalogEntry.builtIn
    #expect(all.allSatisfy { $0.role != nil })
    #expect(Set(all.map(\.id)).count == all.count)
    for entry in all {
      if let roi = entry.roiModel { #expect(all.first { $0.id == roi }?.role == .roi, "\(entry.id) -> \(roi)") }
    }
    #expect(ModelCatalogEntry.registered(String(ModelCatalogEntry.defaultWholeBody))?.role == .wholeBody)
    #expect(ModelCatalogEntry.registered(String(ModelCatalogEntry.defaultSpine))?.role == .spine)
    #expect(all.filter { $0.labelSet == .totalVibe }.map(\.id).sorted() == [99, 100])
    // Ids as users type them; folders and unknown ids are not registered.
    #expect(ModelCatalogEntry.registered("099")?.id == 99 && ModelCatalogEntry.registered("100")?.id == 100)
    #expect(ModelCatalogEntry.registered("/models/Dataset100") == nil && ModelCatalogEntry.registered("999") == nil)
    #expect(ModelCatalogEntry.registered("+100") == nil && ModelCatalogEntry.registered("") == nil)
  }
}

/// Issue 18: `models remove` says what it removed.
@Suite("model removal")
struct ModelRemovalTests {
  @Test("a partial download alone is reported as such, an absent model is an error")
  func partialDownload() throws {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("vibeseg-remove-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: home) }
    let zoo = ModelZoo(home: home)
    try FileManager.default.createDirectory(at: zoo.downloadsFolder, withIntermediateDirectories: true)
    try Data("partial".utf8).write(to: zoo.downloadsFolder.appendingPathComponent("100.zip.part"))
    #expect(try zoo.remove(id: 100) == .downloadsOnly)
    #expect(try FileManager.default.contentsOfDirectory(atPath: zoo.downloadsFolder.path).isEmpty)
    #expect(throws: ModelZooError.self) { try zoo.remove(id: 100) }
  }
}
