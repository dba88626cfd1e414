import DICOMSeg

/// SNOMED CT codes of TotalVibeSegmentator's labels for DICOM-SEG output: SegmentedProperty
/// Category, Type and (laterality) Type Modifier, keyed by label name (dicom.md section 4; derived
/// from `reference/dicom/vibeseg_snomed_proposal.json`).
///
/// - Category: CID 7150 "Anatomical Structure" 91723000, or "Tissue" 85756007 for
///   subcutaneous_fat, muscle, inner_fat and bone_other.
/// - Laterality goes in the modifier (SCT 7771000 Left, 24028007 Right, CID 244), never in the
///   type: kidney_left and kidney_right share type 64033007 Kidney and differ only by the modifier.
/// - Checked against pydicom 3.0.2's PS3.16 snapshot (`pydicom.sr._concepts_dict`): every code
///   marked in dicom.md section 4 as "in PS3.16" is there with the same meaning (89837001's
///   PS3.16 meaning is "Bladder"; "Urinary bladder" kept). Not in PS3.16, so unchecked offline
///   (baseline CIDs allow other SNOMED codes): 113276009 Intestine, 110765007 Portal vein and
///   splenic vein, 181674001 / 78333006 / 75297007 gluteal muscles, 244849004 Deep muscle of
///   back, 68455001 Iliopsoas, 67769002 Subcutaneous fatty tissue, 360499006 Intervertebral disc,
///   3572006 Vertebral body. Approximations (APPROX): hip_* (Hip region for the hip bone),
///   autochthon_*, inner_fat (Fat), vertebra_posterior_elements (Arch of vertebra). FIX: the
///   subclavian arteries use Subclavian artery 36765005 + laterality (TotalSegmentator's
///   29700009 is "Right subclavian artery"); atrial_appendage_left uses the pre-coordinated
///   33626005.
/// - Label 20 (`unused`, the ribs' slot on CT) has no code and no segment.
public struct TotalVibeSegmentCode: Sendable, Hashable {
  public var category: CodedConcept
  public var type: CodedConcept
  public var modifier: CodedConcept?

  init(_ category: CodedConcept, _ type: CodedConcept, _ modifier: CodedConcept?) {
    self.category = category
    self.type = type
    self.modifier = modifier
  }

  /// Label name -> codes (71 entries: every label of `TotalVibeLabel.all` but `unused`).
  public static let byName: [String: TotalVibeSegmentCode] = [
    "spleen": .init(.anatomicalStructure, CodedConcept("78961009", "SCT", "Spleen"), nil),
    "kidney_right": .init(.anatomicalStructure, CodedConcept("64033007", "SCT", "Kidney"), .right),
    "kidney_left": .init(.anatomicalStructure, CodedConcept("64033007", "SCT", "Kidney"), .left),
    "gallbladder": .init(.anatomicalStructure, CodedConcept("28231008", "SCT", "Gallbladder"), nil),
    "liver": .init(.anatomicalStructure, CodedConcept("10200004", "SCT", "Liver"), nil),
    "stomach": .init(.anatomicalStructure, CodedConcept("69695003", "SCT", "Stomach"), nil),
    "pancreas": .init(.anatomicalStructure, CodedConcept("15776009", "SCT", "Pancreas"), nil),
    "adrenal_gland_right": .init(.anatomicalStructure, CodedConcept("23451007", "SCT", "Adrenal gland"), .right),
    "adrenal_gland_left": .init(.anatomicalStructure, CodedConcept("23451007", "SCT", "Adrenal gland"), .left),
    "lung_upper_lobe_left": .init(.anatomicalStructure, CodedConcept("45653009", "SCT", "Upper lobe of lung"), .left),
    "lung_lower_lobe_left": .init(.anatomicalStructure, CodedConcept("90572001", "SCT", "Lower lobe of lung"), .left),
    "lung_upper_lobe_right": .init(.anatomicalStructure, CodedConcept("45653009", "SCT", "Upper lobe of lung"), .right),
    "lung_middle_lobe_right": .init(
      .anatomicalStructure, CodedConcept("72481006", "SCT", "Middle lobe of right lung"), nil),
    "lung_lower_lobe_right": .init(.anatomicalStructure, CodedConcept("90572001", "SCT", "Lower lobe of lung"), .right),
    "esophagus": .init(.anatomicalStructure, CodedConcept("32849002", "SCT", "Esophagus"), nil),
    "trachea": .init(.anatomicalStructure, CodedConcept("44567001", "SCT", "Trachea"), nil),
    "thyroid_gland": .init(.anatomicalStructure, CodedConcept("69748006", "SCT", "Thyroid"), nil),
    "intestine": .init(.anatomicalStructure, CodedConcept("113276009", "SCT", "Intestine"), nil),  // NEW
    "duodenum": .init(.anatomicalStructure, CodedConcept("38848004", "SCT", "Duodenum"), nil),
    "urinary_bladder": .init(.anatomicalStructure, CodedConcept("89837001", "SCT", "Urinary bladder"), nil),
    "prostate": .init(.anatomicalStructure, CodedConcept("41216001", "SCT", "Prostate"), nil),
    "sacrum": .init(.anatomicalStructure, CodedConcept("54735007", "SCT", "Sacrum"), nil),
    "heart": .init(.anatomicalStructure, CodedConcept("80891009", "SCT", "Heart"), nil),
    "aorta": .init(.anatomicalStructure, CodedConcept("15825003", "SCT", "Aorta"), nil),
    "pulmonary_vein": .init(.anatomicalStructure, CodedConcept("122972007", "SCT", "Pulmonary vein"), nil),
    "brachiocephalic_trunk": .init(.anatomicalStructure, CodedConcept("12691009", "SCT", "Innominate artery"), nil),
    "subclavian_artery_right": .init(
      .anatomicalStructure, CodedConcept("36765005", "SCT", "Subclavian artery"), .right),  // FIX
    "subclavian_artery_left": .init(.anatomicalStructure, CodedConcept("36765005", "SCT", "Subclavian artery"), .left),  // FIX
    "common_carotid_artery_right": .init(
      .anatomicalStructure, CodedConcept("32062004", "SCT", "Common carotid artery"), .right),
    "common_carotid_artery_left": .init(
      .anatomicalStructure, CodedConcept("32062004", "SCT", "Common carotid artery"), .left),
    "brachiocephalic_vein_left": .init(
      .anatomicalStructure, CodedConcept("8887007", "SCT", "Brachiocephalic vein"), .left),
    "brachiocephalic_vein_right": .init(
      .anatomicalStructure, CodedConcept("8887007", "SCT", "Brachiocephalic vein"), .right),
    "atrial_appendage_left": .init(
      .anatomicalStructure, CodedConcept("33626005", "SCT", "Left auricular appendage"), nil),  // FIX
    "superior_vena_cava": .init(.anatomicalStructure, CodedConcept("48345005", "SCT", "Superior vena cava"), nil),
    "inferior_vena_cava": .init(.anatomicalStructure, CodedConcept("64131007", "SCT", "Inferior vena cava"), nil),
    "portal_vein_and_splenic_vein": .init(
      .anatomicalStructure, CodedConcept("110765007", "SCT", "Portal vein and splenic vein"), nil),  // VERIFY
    "iliac_artery_left": .init(.anatomicalStructure, CodedConcept("73634005", "SCT", "Common iliac artery"), .left),
    "iliac_artery_right": .init(.anatomicalStructure, CodedConcept("73634005", "SCT", "Common iliac artery"), .right),
    "iliac_vena_left": .init(.anatomicalStructure, CodedConcept("46027005", "SCT", "Common iliac vein"), .left),
    "iliac_vena_right": .init(.anatomicalStructure, CodedConcept("46027005", "SCT", "Common iliac vein"), .right),
    "humerus_left": .init(.anatomicalStructure, CodedConcept("85050009", "SCT", "Humerus"), .left),
    "humerus_right": .init(.anatomicalStructure, CodedConcept("85050009", "SCT", "Humerus"), .right),
    "scapula_left": .init(.anatomicalStructure, CodedConcept("79601000", "SCT", "Scapula"), .left),
    "scapula_right": .init(.anatomicalStructure, CodedConcept("79601000", "SCT", "Scapula"), .right),
    "clavicula_left": .init(.anatomicalStructure, CodedConcept("51299004", "SCT", "Clavicle"), .left),
    "clavicula_right": .init(.anatomicalStructure, CodedConcept("51299004", "SCT", "Clavicle"), .right),
    "femur_left": .init(.anatomicalStructure, CodedConcept("71341001", "SCT", "Femur"), .left),
    "femur_right": .init(.anatomicalStructure, CodedConcept("71341001", "SCT", "Femur"), .right),
    "hip_left": .init(.anatomicalStructure, CodedConcept("29836001", "SCT", "Hip"), .left),  // APPROX
    "hip_right": .init(.anatomicalStructure, CodedConcept("29836001", "SCT", "Hip"), .right),  // APPROX
    "spinal_cord": .init(.anatomicalStructure, CodedConcept("2748008", "SCT", "Spinal cord"), nil),
    "gluteus_maximus_left": .init(
      .anatomicalStructure, CodedConcept("181674001", "SCT", "Gluteus maximus muscle"), .left),
    "gluteus_maximus_right": .init(
      .anatomicalStructure, CodedConcept("181674001", "SCT", "Gluteus maximus muscle"), .right),
    "gluteus_medius_left": .init(.anatomicalStructure, CodedConcept("78333006", "SCT", "Gluteus medius muscle"), .left),
    "gluteus_medius_right": .init(
      .anatomicalStructure, CodedConcept("78333006", "SCT", "Gluteus medius muscle"), .right),
    "gluteus_minimus_left": .init(
      .anatomicalStructure, CodedConcept("75297007", "SCT", "Gluteus minimus muscle"), .left),
    "gluteus_minimus_right": .init(
      .anatomicalStructure, CodedConcept("75297007", "SCT", "Gluteus minimus muscle"), .right),
    "autochthon_left": .init(.anatomicalStructure, CodedConcept("244849004", "SCT", "Deep muscle of back"), .left),  // APPROX
    "autochthon_right": .init(.anatomicalStructure, CodedConcept("244849004", "SCT", "Deep muscle of back"), .right),  // APPROX
    "iliopsoas_left": .init(.anatomicalStructure, CodedConcept("68455001", "SCT", "Iliopsoas muscle"), .left),
    "iliopsoas_right": .init(.anatomicalStructure, CodedConcept("68455001", "SCT", "Iliopsoas muscle"), .right),
    "sternum": .init(.anatomicalStructure, CodedConcept("56873002", "SCT", "Sternum"), nil),
    "costal_cartilages": .init(.anatomicalStructure, CodedConcept("50016007", "SCT", "Costal cartilage"), nil),
    "subcutaneous_fat": .init(.tissue, CodedConcept("67769002", "SCT", "Subcutaneous fatty tissue"), nil),
    "muscle": .init(.tissue, CodedConcept("91727004", "SCT", "Muscle"), nil),  // NEW
    "inner_fat": .init(.tissue, CodedConcept("55603005", "SCT", "Fat"), nil),  // APPROX
    "IVD": .init(.anatomicalStructure, CodedConcept("360499006", "SCT", "Intervertebral disc"), nil),  // NEW
    "vertebra_body": .init(.anatomicalStructure, CodedConcept("3572006", "SCT", "Vertebral body"), nil),  // NEW
    "vertebra_posterior_elements": .init(
      .anatomicalStructure, CodedConcept("40265002", "SCT", "Arch of vertebra"), nil),  // NEW
    "spinal_channel": .init(.anatomicalStructure, CodedConcept("61853006", "SCT", "Vertebral canal"), nil),  // NEW
    "bone_other": .init(.tissue, CodedConcept("3138006", "SCT", "Bone"), nil),  // NEW
  ]
}
