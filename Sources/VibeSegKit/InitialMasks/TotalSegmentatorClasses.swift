/// TotalSegmentator v2's task `total` (117 CT classes): each class id with TotalSegmentator's own
/// name (`totalsegmentator.map_to_binary.class_map["total"]`; checked against the installed
/// package's map by `InitialMaskMappingTests`, fixture `Tests/Fixtures/initial_masks/
/// totalsegmentator_class_map_total.json`) and the TotalVibe structure it becomes (training.md
/// §3.3), nil where it is dropped:
/// - a class whose name is a TotalVibe name keeps it (1–17, 19, 21, 22, 25 sacrum, 51–89 ->
///   24–62, 116 sternum, 117 costal_cartilages);
/// - small_bowel and colon -> intestine (TotalVibe 20 is unused on MRI);
/// - vertebrae_S1 -> sacrum (a VibeSeg proposal; SPINEPS gives the sacrum too);
/// - kidney_cyst_left/right -> the kidney of their side (`InitialMaskMapping.KidneyCysts`);
/// - vertebrae L5…C1 (the spine comes from SPINEPS), brain, skull and the 24 ribs: dropped.
public enum TotalSegmentatorClasses {
  public struct Entry: Sendable, Equatable {
    /// TotalSegmentator's class id (the value in its `--ml` label map).
    public var id: Int
    /// TotalSegmentator's class name.
    public var name: String
    /// The TotalVibe structure (`TotalVibeLabel.name`), nil: dropped.
    public var target: String?
  }

  /// Ids ascending, 1...117.
  public static let total: [Entry] = table.map { Entry(id: $0.0, name: $0.1, target: $0.2) }

  private static let table: [(Int, String, String?)] = [
    (1, "spleen", "spleen"), (2, "kidney_right", "kidney_right"), (3, "kidney_left", "kidney_left"),
    (4, "gallbladder", "gallbladder"), (5, "liver", "liver"), (6, "stomach", "stomach"),
    (7, "pancreas", "pancreas"), (8, "adrenal_gland_right", "adrenal_gland_right"), (9, "adrenal_gland_left", "adrenal_gland_left"),
    (10, "lung_upper_lobe_left", "lung_upper_lobe_left"), (11, "lung_lower_lobe_left", "lung_lower_lobe_left"), (12, "lung_upper_lobe_right", "lung_upper_lobe_right"),
    (13, "lung_middle_lobe_right", "lung_middle_lobe_right"), (14, "lung_lower_lobe_right", "lung_lower_lobe_right"), (15, "esophagus", "esophagus"),
    (16, "trachea", "trachea"), (17, "thyroid_gland", "thyroid_gland"), (18, "small_bowel", "intestine"),
    (19, "duodenum", "duodenum"), (20, "colon", "intestine"), (21, "urinary_bladder", "urinary_bladder"),
    (22, "prostate", "prostate"), (23, "kidney_cyst_left", "kidney_left"), (24, "kidney_cyst_right", "kidney_right"),
    (25, "sacrum", "sacrum"), (26, "vertebrae_S1", "sacrum"), (27, "vertebrae_L5", nil),
    (28, "vertebrae_L4", nil), (29, "vertebrae_L3", nil), (30, "vertebrae_L2", nil),
    (31, "vertebrae_L1", nil), (32, "vertebrae_T12", nil), (33, "vertebrae_T11", nil),
    (34, "vertebrae_T10", nil), (35, "vertebrae_T9", nil), (36, "vertebrae_T8", nil),
    (37, "vertebrae_T7", nil), (38, "vertebrae_T6", nil), (39, "vertebrae_T5", nil),
    (40, "vertebrae_T4", nil), (41, "vertebrae_T3", nil), (42, "vertebrae_T2", nil),
    (43, "vertebrae_T1", nil), (44, "vertebrae_C7", nil), (45, "vertebrae_C6", nil),
    (46, "vertebrae_C5", nil), (47, "vertebrae_C4", nil), (48, "vertebrae_C3", nil),
    (49, "vertebrae_C2", nil), (50, "vertebrae_C1", nil), (51, "heart", "heart"),
    (52, "aorta", "aorta"), (53, "pulmonary_vein", "pulmonary_vein"), (54, "brachiocephalic_trunk", "brachiocephalic_trunk"),
    (55, "subclavian_artery_right", "subclavian_artery_right"), (56, "subclavian_artery_left", "subclavian_artery_left"), (57, "common_carotid_artery_right", "common_carotid_artery_right"),
    (58, "common_carotid_artery_left", "common_carotid_artery_left"), (59, "brachiocephalic_vein_left", "brachiocephalic_vein_left"), (60, "brachiocephalic_vein_right", "brachiocephalic_vein_right"),
    (61, "atrial_appendage_left", "atrial_appendage_left"), (62, "superior_vena_cava", "superior_vena_cava"), (63, "inferior_vena_cava", "inferior_vena_cava"),
    (64, "portal_vein_and_splenic_vein", "portal_vein_and_splenic_vein"), (65, "iliac_artery_left", "iliac_artery_left"), (66, "iliac_artery_right", "iliac_artery_right"),
    (67, "iliac_vena_left", "iliac_vena_left"), (68, "iliac_vena_right", "iliac_vena_right"), (69, "humerus_left", "humerus_left"),
    (70, "humerus_right", "humerus_right"), (71, "scapula_left", "scapula_left"), (72, "scapula_right", "scapula_right"),
    (73, "clavicula_left", "clavicula_left"), (74, "clavicula_right", "clavicula_right"), (75, "femur_left", "femur_left"),
    (76, "femur_right", "femur_right"), (77, "hip_left", "hip_left"), (78, "hip_right", "hip_right"),
    (79, "spinal_cord", "spinal_cord"), (80, "gluteus_maximus_left", "gluteus_maximus_left"), (81, "gluteus_maximus_right", "gluteus_maximus_right"),
    (82, "gluteus_medius_left", "gluteus_medius_left"), (83, "gluteus_medius_right", "gluteus_medius_right"), (84, "gluteus_minimus_left", "gluteus_minimus_left"),
    (85, "gluteus_minimus_right", "gluteus_minimus_right"), (86, "autochthon_left", "autochthon_left"), (87, "autochthon_right", "autochthon_right"),
    (88, "iliopsoas_left", "iliopsoas_left"), (89, "iliopsoas_right", "iliopsoas_right"), (90, "brain", nil),
    (91, "skull", nil), (92, "rib_left_1", nil), (93, "rib_left_2", nil),
    (94, "rib_left_3", nil), (95, "rib_left_4", nil), (96, "rib_left_5", nil),
    (97, "rib_left_6", nil), (98, "rib_left_7", nil), (99, "rib_left_8", nil),
    (100, "rib_left_9", nil), (101, "rib_left_10", nil), (102, "rib_left_11", nil),
    (103, "rib_left_12", nil), (104, "rib_right_1", nil), (105, "rib_right_2", nil),
    (106, "rib_right_3", nil), (107, "rib_right_4", nil), (108, "rib_right_5", nil),
    (109, "rib_right_6", nil), (110, "rib_right_7", nil), (111, "rib_right_8", nil),
    (112, "rib_right_9", nil), (113, "rib_right_10", nil), (114, "rib_right_11", nil),
    (115, "rib_right_12", nil), (116, "sternum", "sternum"), (117, "costal_cartilages", "costal_cartilages"),
  ]
}
