/// How one external network's label values become TotalVibe ids (Algorithm B of training.md
/// §3.3): `targets[v]` is the TotalVibe id for source value `v`, 0 for a value that is dropped on
/// purpose (TotalSegmentator's vertebrae and ribs: the spine comes from SPINEPS, ribs are not a
/// TotalVibe structure). A value with no entry is *unmapped*: `InitialMaskMerge` refuses a map
/// holding one, or drops it with `dropUnmapped`.
///
/// Three sources of tables, one type:
/// - `totalSegmentator(kidneyCysts:)`: TotalSegmentator v2 task `total`, keyed by its class names
///   (`TotalSegmentatorClasses.total`);
/// - `spineps`: SPINEPS's semantic mask (TPTBox `Location` ids);
/// - `read(contentsOf:)`: a user JSON file `{"source value": TotalVibe id or name}`, for the
///   body-composition network and anything else.
public struct InitialMaskMapping: Sendable, Equatable {
  /// Where the table comes from, for the report ("built-in totalseg ...", a file path).
  public var origin: String
  /// Source value -> TotalVibe id (1...72), or 0 (dropped on purpose).
  public var targets: [Int: UInt8]

  public init(origin: String, targets: [Int: UInt8]) {
    precondition(targets.values.allSatisfy { $0 == 0 || TotalVibeLabel.label(id: Int($0)) != nil },
      "InitialMaskMapping: a target is no TotalVibe id")
    self.origin = origin
    self.targets = targets
  }

  /// What TotalSegmentator's kidney cysts (23 kidney_cyst_left, 24 kidney_cyst_right) become.
  public enum KidneyCysts: String, Sendable, CaseIterable, Codable {
    /// Part of the kidney on their side (3 kidney_left / 2 kidney_right): no hole in the kidney
    /// mask for the annotator to fill. VibeSeg's default.
    case kidney
    /// 0, as the paper's label set has no cysts; the kidney keeps a hole where a cyst was.
    case drop
  }

  /// The source values of `values` that have no entry, ascending.
  public func unmapped(_ values: some Sequence<Int>) -> [Int] {
    values.filter { targets[$0] == nil }.sorted()
  }

  /// SPINEPS's semantic mask (TPTBox 1.1.0 `Location` ids, the values SPINEPS writes) to
  /// TotalVibe ids, training.md §3.3: 41–48 (arcus, spinous, costal and articular processes) ->
  /// 70 vertebra_posterior_elements; 49, 50 (corpus border, corpus) and 52, 53, 62 (endplates) ->
  /// 69 vertebra_body; 100 (disc) -> 68 IVD; 61 (spinal canal) -> 71 spinal_channel; 60 (spinal
  /// cord) -> 52 spinal_cord; 26 (S1, the sacrum in SPINEPS's masks) -> 23 sacrum. Anything else
  /// (51 dens, CT only) is unmapped.
  public static let spineps: InitialMaskMapping = {
    var targets = [Int: UInt8]()
    for v in 41...48 { targets[v] = 70 }
    for v in [49, 50, 52, 53, 62] { targets[v] = 69 }
    targets[100] = 68
    targets[61] = 71
    targets[60] = 52
    targets[26] = 23
    return InitialMaskMapping(origin: "built-in spineps (TPTBox Location ids, training.md 3.3)", targets: targets)
  }()

  /// TotalSegmentator v2 task `total` to TotalVibe ids (`TotalSegmentatorClasses.total`, names
  /// resolved in the TotalVibe registry); the kidney cysts as `kidneyCysts` says.
  public static func totalSegmentator(kidneyCysts: KidneyCysts = .kidney) -> InitialMaskMapping {
    var targets = [Int: UInt8]()
    for entry in TotalSegmentatorClasses.total {
      let id = entry.target.map { name in
        guard let label = TotalVibeLabel.label(named: name) else {
          preconditionFailure("TotalSegmentatorClasses: \(name) is no TotalVibe label")
        }
        return label.id
      }
      targets[entry.id] = id ?? 0
    }
    if kidneyCysts == .drop {
      for entry in TotalSegmentatorClasses.total where entry.name.hasPrefix("kidney_cyst_") { targets[entry.id] = 0 }
    }
    return InitialMaskMapping(
      origin: "built-in totalseg (TotalSegmentator 2 task total, kidney cysts: \(kidneyCysts.rawValue))", targets: targets)
  }
}
