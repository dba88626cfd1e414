import Testing

@testable import VibeSegKit

/// Upstream's spine relabelling (run_instance_spine_segmentation.py / run_semantic_spine_segmentation.py).
@Suite("Spine model relabelling")
struct SpineModelTests {
  @Test("511: label 27 becomes the disc label 100 and 16 becomes S1 (26); others are kept")
  func instances() {
    let mapped = SpineModel.instances.mapped([0, 1, 15, 16, 17, 26, 27, 28])
    #expect(mapped == [0, 1, 15, 26, 17, 26, 100, 28])
  }

  @Test("512: sub-regions to TPTBox location ids, all at once (no chaining)")
  func subregions() {
    let mapped = SpineModel.subregions.mapped(Array(0...17).map(UInt8.init))
    #expect(mapped == [0, 41, 42, 43, 44, 45, 46, 47, 48, 49, 10, 11, 12, 100, 60, 61, 26, 17])
  }

  @Test("output names follow the mapping; upstream's names for the created ids")
  func names() {
    let names = SpineModel.instances.outputNames(modelNames: [1: "C1", 16: "L6", 27: "disc"])
    #expect(names[1] == "C1")
    #expect(names[26] == "S1")
    #expect(names[100] == "vertebra_disc")
    #expect(names[16] == nil && names[27] == nil)
    let regions = SpineModel.subregions.outputNames(modelNames: [1: "arcus", 14: "cord"])
    #expect(regions[41] == "arcus_vertebrae" && regions[60] == "spinal_cord")
  }
}
