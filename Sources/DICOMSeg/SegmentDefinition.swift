/// A coded concept (PS3.3 table 8.8-1, Code Sequence macro): code value, coding scheme, meaning.
public struct CodedConcept: Sendable, Hashable, Codable {
  public var value: String
  /// `SCT` (SNOMED CT) or `DCM` (DICOM's own codes, PS3.16).
  public var scheme: String
  public var meaning: String

  public init(_ value: String, _ scheme: String, _ meaning: String) {
    self.value = value
    self.scheme = scheme
    self.meaning = meaning
  }

  public static let left = CodedConcept("7771000", "SCT", "Left")
  public static let right = CodedConcept("24028007", "SCT", "Right")
  /// CID 7150 "Anatomical Structure" (the current concept; TotalSegmentator and dcmqi examples
  /// still write the pre-2019 "Body structure" 123037004).
  public static let anatomicalStructure = CodedConcept("91723000", "SCT", "Anatomical Structure")
  /// CID 7150 "Tissue".
  public static let tissue = CodedConcept("85756007", "SCT", "Tissue")
}

/// One segment of a SEG: its number (1...n, consecutive), the label value it takes from the label
/// map, and its Segment Description macro (PS3.3 C.8.20.4) content.
public struct SegmentDefinition: Sendable, Hashable {
  /// SegmentNumber (0062,0004): 1-based; segments are numbered consecutively.
  public var number: Int
  /// The value of this segment's voxels in the label map.
  public var labelValue: Int
  /// SegmentLabel (0062,0005), e.g. `kidney_left`.
  public var label: String
  /// SegmentedPropertyCategoryCodeSequence (0062,0003).
  public var category: CodedConcept
  /// SegmentedPropertyTypeCodeSequence (0062,000F).
  public var type: CodedConcept
  /// SegmentedPropertyTypeModifierCodeSequence (0062,0011) inside the type item: laterality.
  public var modifier: CodedConcept?
  /// RecommendedDisplayCIELabValue (0062,000D) from an sRGB colour (`CIELab`); nil: none written.
  public var color: (red: UInt8, green: UInt8, blue: UInt8)? {
    get { colorBytes.map { ($0[0], $0[1], $0[2]) } }
    set { colorBytes = newValue.map { [$0.red, $0.green, $0.blue] } }
  }
  var colorBytes: [UInt8]? = nil

  public init(
    number: Int, labelValue: Int, label: String, category: CodedConcept, type: CodedConcept,
    modifier: CodedConcept? = nil
  ) {
    self.number = number
    self.labelValue = labelValue
    self.label = label
    self.category = category
    self.type = type
    self.modifier = modifier
  }
}
