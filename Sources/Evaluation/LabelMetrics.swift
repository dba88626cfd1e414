/// Which of the two masks hold a label.
public enum LabelPresence: String, Sendable, Codable, CaseIterable {
  /// In both prediction and reference: every metric is computed.
  case both
  /// Only in the reference (a missed structure).
  case referenceOnly
  /// Only in the prediction (a false positive structure).
  case predictionOnly
  /// In neither.
  case neither
}

/// The metrics of one label in one case.
///
/// **Empty-mask policy** (documented choice; MONAI and nnU-Net differ here):
/// - `both`: Dice, IoU, ASSD, HD95 and NSD as defined (`LabelOverlap`, `SurfaceDistances`).
/// - `referenceOnly` / `predictionOnly`: Dice = IoU = NSD = 0 (no overlap is possible); ASSD and
///   HD95 are undefined (MONAI returns +inf) and are left nil, so they drop out of distance
///   summaries; summaries count such cases separately (`MetricSummary.undefinedCount`), so a
///   method that misses structures cannot look better on distances unnoticed.
/// - `neither`: every metric is nil and the label-case pair is left out of all summaries
///   (nnU-Net's convention: a structure absent from both says nothing about the method).
public struct LabelMetrics: Sendable, Codable, Equatable {
  public var label: Int
  public var presence: LabelPresence
  public var referenceVoxels: Int
  public var predictionVoxels: Int
  public var intersectionVoxels: Int
  public var referenceMilliliters: Double
  public var predictionMilliliters: Double
  public var dice: Double?
  public var iou: Double?
  /// Average symmetric surface distance, mm.
  public var assd: Double?
  /// 95th-percentile Hausdorff distance, mm.
  public var hd95: Double?
  /// Normalised surface Dice at `EvaluationSettings.toleranceMillimeters`.
  public var nsd: Double?

  public init(label: Int, presence: LabelPresence, referenceVoxels: Int, predictionVoxels: Int, intersectionVoxels: Int,
    referenceMilliliters: Double, predictionMilliliters: Double, dice: Double? = nil, iou: Double? = nil,
    assd: Double? = nil, hd95: Double? = nil, nsd: Double? = nil) {
    self.label = label
    self.presence = presence
    self.referenceVoxels = referenceVoxels
    self.predictionVoxels = predictionVoxels
    self.intersectionVoxels = intersectionVoxels
    self.referenceMilliliters = referenceMilliliters
    self.predictionMilliliters = predictionMilliliters
    self.dice = dice
    self.iou = iou
    self.assd = assd
    self.hd95 = hd95
    self.nsd = nsd
  }

  /// The value of `metric` (nil when undefined under the policy).
  public func value(of metric: Metric) -> Double? {
    switch metric {
    case .dice: dice
    case .iou: iou
    case .assd: assd
    case .hd95: hd95
    case .nsd: nsd
    }
  }
}

/// The per-label metrics, in report order.
public enum Metric: String, Sendable, Codable, CaseIterable {
  case dice, iou, assd, hd95, nsd

  /// Whether larger values are better (overlaps) or worse (distances).
  public var higherIsBetter: Bool { self == .dice || self == .iou || self == .nsd }

  /// Column name with unit.
  public var columnName: String {
    switch self {
    case .dice: "dice"
    case .iou: "iou"
    case .assd: "assd_mm"
    case .hd95: "hd95_mm"
    case .nsd: "nsd"
    }
  }
}
