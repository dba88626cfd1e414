import Foundation
import ModelZoo
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
