/// Upstream's label mappings for the spine models (robert-graf/TotalVibeSegmentator
/// `run_instance_spine_segmentation.py` and `run_semantic_spine_segmentation.py`), applied to the
/// predicted labels before they are resampled back: every listed id is replaced at once (no
/// chaining), ids not listed are kept. Target ids are TPTBox's `Location` values and its vertebra
/// index (`v_name2idx["S1"] = 26`).
public enum SpineModel: Int, Sendable, CaseIterable {
  /// Vertebra and disc instances (C1 ... L5, S1); fast, with known off-by-one labelling.
  case instances = 511
  /// Vertebra sub-regions (arcus, processes, corpus, disc, cord, canal).
  case subregions = 512

  /// Model label id -> output label id.
  public var labelMapping: [Int: Int] {
    switch self {
    case .instances:
      [27: 100, 16: 26]
    case .subregions:
      [1: 41, 2: 42, 3: 43, 4: 44, 5: 45, 6: 46, 7: 47, 8: 48, 9: 49, 13: 100, 14: 60, 15: 61, 16: 26]
    }
  }

  /// Names of the output ids that the mapping creates (TPTBox `Location` names, lower-cased).
  public var mappedNames: [Int: String] {
    var names: [Int: String] = [100: "vertebra_disc", 26: "S1"]
    if self == .subregions {
      names.merge([
        41: "arcus_vertebrae", 42: "spinosus_process", 43: "costal_process_left", 44: "costal_process_right",
        45: "superior_articular_left", 46: "superior_articular_right", 47: "inferior_articular_left",
        48: "inferior_articular_right", 49: "vertebra_corpus", 60: "spinal_cord", 61: "spinal_canal",
      ]) { a, _ in a }
    }
    return names
  }

  /// `labels` relabelled with `labelMapping` (a lookup table over 0...255).
  public func mapped(_ labels: [UInt8]) -> [UInt8] {
    var table = (0...255).map { UInt8($0) }
    for (from, to) in labelMapping where (0...255).contains(from) && (0...255).contains(to) {
      table[from] = UInt8(to)
    }
    return labels.map { table[Int($0)] }
  }

  /// The output's label names: the model's names moved along the mapping, then upstream's names
  /// for the ids the mapping creates.
  public func outputNames(modelNames: [Int: String]) -> [Int: String] {
    var names = [Int: String]()
    for (id, name) in modelNames { names[labelMapping[id] ?? id] = name }
    names.merge(mappedNames) { _, upstream in upstream }
    return names
  }
}
