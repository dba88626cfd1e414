import Foundation

/// Label names for `vibeseg stats` and `vibeseg evaluate`, and the label groups that body
/// composition sums.
///
/// The default table is TotalVibeSegmentator's (models 100 and 99; ids are stable across versions),
/// copied from `docs/totalvibe.md` section 2. A label file (`--label-names`, any shape
/// `LabelNameFile` reads) or the sidecar beside the label map replaces it (`forLabelMap`).
public struct StatisticsLabelRegistry: Sendable, Equatable {
  /// Name of each label id.
  public var names: [Int: String]

  public init(names: [Int: String]) { self.names = names }

  /// TotalVibeSegmentator's 72 ids (71 structures; id 20 is unused on MRI).
  public static let totalVibe = StatisticsLabelRegistry(names: [
    1: "spleen", 2: "kidney_right", 3: "kidney_left", 4: "gallbladder", 5: "liver", 6: "stomach", 7: "pancreas",
    8: "adrenal_gland_right", 9: "adrenal_gland_left", 10: "lung_upper_lobe_left", 11: "lung_lower_lobe_left",
    12: "lung_upper_lobe_right", 13: "lung_middle_lobe_right", 14: "lung_lower_lobe_right", 15: "esophagus",
    16: "trachea", 17: "thyroid_gland", 18: "intestine", 19: "duodenum", 20: "unused", 21: "urinary_bladder",
    22: "prostate", 23: "sacrum", 24: "heart", 25: "aorta", 26: "pulmonary_vein", 27: "brachiocephalic_trunk",
    28: "subclavian_artery_right", 29: "subclavian_artery_left", 30: "common_carotid_artery_right",
    31: "common_carotid_artery_left", 32: "brachiocephalic_vein_left", 33: "brachiocephalic_vein_right",
    34: "atrial_appendage_left", 35: "superior_vena_cava", 36: "inferior_vena_cava",
    37: "portal_vein_and_splenic_vein", 38: "iliac_artery_left", 39: "iliac_artery_right", 40: "iliac_vena_left",
    41: "iliac_vena_right", 42: "humerus_left", 43: "humerus_right", 44: "scapula_left", 45: "scapula_right",
    46: "clavicula_left", 47: "clavicula_right", 48: "femur_left", 49: "femur_right", 50: "hip_left",
    51: "hip_right", 52: "spinal_cord", 53: "gluteus_maximus_left", 54: "gluteus_maximus_right",
    55: "gluteus_medius_left", 56: "gluteus_medius_right", 57: "gluteus_minimus_left", 58: "gluteus_minimus_right",
    59: "autochthon_left", 60: "autochthon_right", 61: "iliopsoas_left", 62: "iliopsoas_right", 63: "sternum",
    64: "costal_cartilages", 65: "subcutaneous_fat", 66: "muscle", 67: "inner_fat", 68: "IVD", 69: "vertebra_body",
    70: "vertebra_posterior_elements", 71: "spinal_channel", 72: "bone_other"
  ])

  /// The name of `id`, or `label_<id>` when the table has none.
  public func name(of id: Int) -> String { names[id] ?? "label_\(id)" }

  /// Resolves `--labels` entries: decimal ids, or names (case-insensitive).
  public func resolve(_ items: [String]) throws(VibeSegKitError) -> [Int] {
    try items.map { item throws(VibeSegKitError) -> Int in
      if let id = Int(item), id >= 0 { return id }
      if let hit = names.first(where: { $0.value.caseInsensitiveCompare(item) == .orderedSame }) { return hit.key }
      throw VibeSegKitError(.unknownLabel, "'\(item)' is neither a label id nor a known label name (see --label-names)", context: "--labels")
    }
  }

  /// Reads a JSON label file (`LabelNameFile`: a sidecar, a dataset.json, id → name or name → id).
  public init(contentsOf url: URL) throws(VibeSegKitError) {
    names = try LabelNameFile.load(contentsOf: url)
  }

  /// The names for the label map at `segmentation`: `--label-names` when given, else the sidecar
  /// `vibeseg segment`/`combine` wrote beside it, else TotalVibeSegmentator's table. The second
  /// value says where the names came from (for a note to the user).
  public static func forLabelMap(_ segmentation: URL, labelNames: URL?) throws(VibeSegKitError) -> (StatisticsLabelRegistry, String) {
    if let labelNames { return (try StatisticsLabelRegistry(contentsOf: labelNames), labelNames.path) }
    if let sidecar = LabelNameFile.sidecar(besides: segmentation) {
      return (StatisticsLabelRegistry(names: sidecar.names), sidecar.url.path)
    }
    return (.totalVibe, "TotalVibeSegmentator's table")
  }

  // MARK: Body composition

  /// The tissue classes body composition reports.
  public enum Tissue: String, Sendable, Codable, CaseIterable {
    case subcutaneousFat, innerFat, skeletalMuscle
  }

  /// The tissue a label name belongs to: `subcutaneous_fat`; `inner_fat` or `visceral_fat`;
  /// `muscle` / `skeletal_muscle` and the named skeletal muscles (`gluteus_*`, `autochthon_*`,
  /// `iliopsoas_*`), which TotalVibeSegmentator labels separately from its catch-all `muscle`.
  public static func tissue(ofLabelNamed name: String) -> Tissue? {
    let n = name.lowercased()
    if n == "subcutaneous_fat" || n == "subcutaneous_tissue" { return .subcutaneousFat }
    if n == "inner_fat" || n == "visceral_fat" { return .innerFat }
    if n == "muscle" || n == "skeletal_muscle" || n.hasPrefix("gluteus_") || n.hasPrefix("autochthon_")
      || n.hasPrefix("iliopsoas_") { return .skeletalMuscle }
    return nil
  }

  /// Vertebra instance ids of a spine map (`--spine`, the VerSe / SPINEPS / TotalVibe model 511
  /// convention): 1-7 C1-C7, 8-19 T1-T12, 28 T13, 20-25 L1-L6, 26 S1. Other ids (discs,
  /// sub-regions) are ignored.
  public static func vertebraName(spineLabel id: Int) -> String? {
    switch id {
    case 1...7: "C\(id)"
    case 8...19: "T\(id - 7)"
    case 28: "T13"
    case 20...25: "L\(id - 19)"
    case 26: "S1"
    default: nil
    }
  }

  /// A vertebra named in a segmentation's own label table, TotalSegmentator style
  /// (`vertebrae_L3` -> `L3`), or nil.
  public static func vertebraName(labelNamed name: String) -> String? {
    let prefix = "vertebrae_"
    guard name.lowercased().hasPrefix(prefix) else { return nil }
    let level = String(name.dropFirst(prefix.count)).uppercased()
    guard let first = level.first, "CTLS".contains(first), Int(level.dropFirst()) != nil else { return nil }
    return level
  }
}
