import Foundation

/// What `vibeseg compare-cohort` found (`CompareCohortJob`), and its files: `compare.json`, the
/// CSVs and `report.html`. Volumes in mL; Dice, z and fractions as defined in `CohortComparison`.
public struct CompareCohortReport: Sendable, Encodable {
  public var schemaVersion = 1
  public var a: String
  public var b: String
  public var k: Double
  public var robust: Bool
  public var criterion: CohortComparison.Criterion
  public var labels: [LabelSummary]
  public var cases: [Case]
  /// The flagged cases, most extreme |z| first (ties by case name).
  public var reviewQueue: [QueueEntry]
  /// B files with no A file of the same name.
  public var unmatchedB: [String]
  public var failed: Int

  public struct LabelSummary: Sendable, Encodable {
    public var id: Int
    public var bId: Int
    public var name: String
    public var dice: CohortComparison.Spread
    /// Dice below this flags (centre - k scale); nil without a spread.
    public var diceThreshold: Double?
    public var volume: CohortComparison.Spread
    /// Relative volume differences outside [low, high] flag (with the volume criterion).
    public var volumeRange: [Double]?
  }

  public struct Case: Sendable, Encodable {
    public var name: String
    public var a: String
    public var b: String
    public var error: String?
    public var resampled = false
    public var voxelMillilitres: Double?
    public var metrics: [Metric] = []
    public var flags: [CohortComparison.Flag] = []

    init(name: String, a: String, b: String) {
      self.name = name
      self.a = a
      self.b = b
    }
  }

  public struct Metric: Sendable, Encodable {
    public var label: Int
    public var volumeA: Double
    public var volumeB: Double
    public var dice: Double?
    public var diceZ: Double?
    public var relativeVolumeDifference: Double?
    public var volumeZ: Double?
    public var missingFraction: Double?
    public var extraFraction: Double?
  }

  public struct QueueEntry: Sendable, Encodable {
    public var rank: Int
    public var name: String
    public var worstZ: Double
    public var flags: [CohortComparison.Flag]
  }

  init(
    job: CompareCohortJob, labels: [CompareCohortJob.LabelPair], cases: [Case], counts: [[Int: CohortComparison.Counts]],
    result: CohortComparison.Result, unmatchedB: [String]
  ) {
    a = job.a.path
    b = job.b.path
    k = job.k
    robust = job.robust
    criterion = job.criterion
    self.unmatchedB = unmatchedB
    self.labels = labels.map { pair in
      let d = result.dice[pair.id]!, v = result.volume[pair.id]!
      return LabelSummary(
        id: pair.id, bId: pair.bId, name: pair.name, dice: d, diceThreshold: d.scale.map { d.centre - job.k * $0 },
        volume: v, volumeRange: v.scale.map { [v.centre - job.k * $0, v.centre + job.k * $0] })
    }
    var cases = cases
    for c in cases.indices where cases[c].error == nil {
      let ml = cases[c].voxelMillilitres ?? 0
      cases[c].metrics = labels.compactMap { pair in
        guard let count = counts[c][pair.id] else { return nil }
        return Metric(
          label: pair.id, volumeA: Double(count.a) * ml, volumeB: Double(count.b) * ml, dice: count.dice,
          diceZ: count.dice.flatMap { result.dice[pair.id]!.z($0) },
          relativeVolumeDifference: count.relativeVolumeDifference,
          volumeZ: count.relativeVolumeDifference.flatMap { result.volume[pair.id]!.z($0) },
          missingFraction: count.missingFraction, extraFraction: count.extraFraction)
      }
      cases[c].flags = result.flags[c] ?? []
    }
    self.cases = cases
    failed = cases.filter { $0.error != nil }.count
    let flagged = cases.filter { !$0.flags.isEmpty }
      .map { (name: $0.name, worst: $0.flags.map(\.z).max { abs($0) < abs($1) }!, flags: $0.flags) }
      .sorted { (-abs($0.worst), $0.name) < (-abs($1.worst), $1.name) }
    reviewQueue = flagged.enumerated().map { QueueEntry(rank: $0 + 1, name: $1.name, worstZ: $1.worst, flags: $1.flags) }
  }

  func name(of label: Int) -> String { labels.first { $0.id == label }?.name ?? "label_\(label)" }

  func json() throws -> String { try ReportFile.json(self) }

  static func number(_ value: Double?) -> String { ReportFile.number(value) }

  func casesCSV() -> String {
    var lines = ["case,label,name,volume_a_ml,volume_b_ml,dice,dice_z,relative_volume_difference,volume_z,missing_fraction,extra_fraction,flagged,error"]
    let n = Self.number
    for c in cases {
      if let error = c.error {
        lines.append([ReportFile.field(c.name), "", "", "", "", "", "", "", "", "", "", "", ReportFile.field(error)].joined(separator: ","))
        continue
      }
      let flagged = Set(c.flags.map(\.label))
      for m in c.metrics {
        lines.append(
          [
            ReportFile.field(c.name), "\(m.label)", ReportFile.field(name(of: m.label)), n(m.volumeA), n(m.volumeB),
            n(m.dice), n(m.diceZ), n(m.relativeVolumeDifference), n(m.volumeZ), n(m.missingFraction), n(m.extraFraction),
            flagged.contains(m.label) ? "1" : "0", "",
          ].joined(separator: ","))
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  func labelsCSV() -> String {
    var lines = ["label,b_label,name,dice_n,dice_centre,dice_scale,dice_threshold,volume_n,volume_centre,volume_scale,volume_low,volume_high,flagged_cases"]
    let n = Self.number
    for l in labels {
      let flagged = cases.filter { $0.flags.contains { $0.label == l.id } }.count
      lines.append(
        [
          "\(l.id)", "\(l.bId)", ReportFile.field(l.name), "\(l.dice.n)", n(l.dice.centre), n(l.dice.scale), n(l.diceThreshold),
          "\(l.volume.n)", n(l.volume.centre), n(l.volume.scale), n(l.volumeRange?[0]), n(l.volumeRange?[1]), "\(flagged)",
        ].joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// "liver dice 0.412 (z -5.21); ..." for one case.
  func describe(_ flags: [CohortComparison.Flag]) -> String {
    flags.map { f in
      "\(name(of: f.label)) \(f.metric) \(String(format: "%.3f", f.value)) (z \(String(format: "%.2f", f.z)))"
    }.joined(separator: "; ")
  }

  func reviewQueueCSV() -> String {
    var lines = ["rank,case,worst_z,flags,a,b"]
    for e in reviewQueue {
      let c = cases.first { $0.name == e.name }!
      lines.append(
        [
          "\(e.rank)", ReportFile.field(e.name), Self.number(e.worstZ), ReportFile.field(describe(e.flags)),
          ReportFile.field(c.a), ReportFile.field(c.b),
        ].joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  func html() -> String {
    let e = CohortReport.escape
    func f(_ v: Double?, _ digits: Int = 3) -> String { v.map { $0.isFinite ? String(format: "%.\(digits)f", $0) : "\($0)" } ?? "" }
    var out = """
      <!DOCTYPE html>
      <html lang="en"><head><meta charset="utf-8"><title>vibeseg compare-cohort</title>
      <style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin:1em 0}\
      td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td.t,th.t{text-align:left}</style></head><body>
      <h1>Cohort comparison</h1>
      <p>A: \(e(a))<br>B: \(e(b))<br>\(cases.count) case(s), \(failed) failed, \(reviewQueue.count) flagged; \
      criterion \(criterion.rawValue), k = \(f(k, 2)), \(robust ? "median and 1.4826 MAD" : "mean and sample SD").</p>
      <h2>Review queue</h2>
      <table><tr><th>rank</th><th class="t">case</th><th>worst z</th><th class="t">flags</th></tr>

      """
    for q in reviewQueue {
      out += "<tr><td>\(q.rank)</td><td class=\"t\">\(e(q.name))</td><td>\(f(q.worstZ, 2))</td><td class=\"t\">\(e(describe(q.flags)))</td></tr>\n"
    }
    out += """
      </table>
      <h2>Structures</h2>
      <table><tr><th>id</th><th class="t">name</th><th>n</th><th>Dice centre</th><th>Dice scale</th><th>Dice threshold</th>\
      <th>volume diff centre</th><th>volume diff scale</th><th>flagged</th></tr>

      """
    for l in labels {
      let flagged = cases.filter { $0.flags.contains { $0.label == l.id } }.count
      out += "<tr><td>\(l.id)</td><td class=\"t\">\(e(l.name))</td><td>\(l.dice.n)</td><td>\(f(l.dice.centre))</td><td>\(f(l.dice.scale))</td><td>\(f(l.diceThreshold))</td><td>\(f(l.volume.centre))</td><td>\(f(l.volume.scale))</td><td>\(flagged)</td></tr>\n"
    }
    out += "</table>\n"
    let failedCases = cases.filter { $0.error != nil }
    if !failedCases.isEmpty {
      out += "<h2>Failed cases</h2>\n<table><tr><th class=\"t\">case</th><th class=\"t\">error</th></tr>\n"
      for c in failedCases { out += "<tr><td class=\"t\">\(e(c.name))</td><td class=\"t\">\(e(c.error ?? ""))</td></tr>\n" }
      out += "</table>\n"
    }
    return out + "</body></html>\n"
  }
}
