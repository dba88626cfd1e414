import DICOMCore
import Foundation

/// The files of one series that share everything a volume needs to share (dicom.md 2.4 rule 1):
/// StudyInstanceUID, SeriesInstanceUID, ImageType verbatim, EchoTime, Rows, Columns,
/// PixelSpacing, and ImageOrientationPatient rounded to 1e-4.
public struct SeriesGroup: Sendable {
  public struct Key: Hashable, Sendable {
    public var studyInstanceUID: String
    public var seriesInstanceUID: String
    public var imageType: [String]
    public var echoTime: Double?
    public var rows: Int
    public var columns: Int
    public var pixelSpacing: [Double]
    /// ImageOrientationPatient in units of 1e-4.
    public var orientation: [Int]
  }

  public var key: Key
  /// The files, sorted by ImagePositionPatient projected on the slice normal (ascending).
  public var files: [DICOMFileRecord]
  /// Those projections, mm.
  public var positions: [Double]
  /// The median distance between neighbouring slices; nil for a single slice.
  public var sliceSpacing: Double?
  /// The range of world z (LPS: superior is +z) that the group's voxel centres cover.
  public var zRange: ClosedRange<Double>
  public var contrast: ContrastDecision
  /// 1-based station, superior first; nil for groups outside the Dixon contrasts.
  public var station: Int?
  /// Whether a within-group check (rule 4) found an error.
  public var hasErrors: Bool

  public var first: DICOMFileRecord { files[0] }
  public var seriesNumber: Int? { first.seriesNumber }
  public var seriesDescription: String? { first.seriesDescription }
  public var normal: [Double] { first.sliceNormal }
  public var plane: String { Geometry.plane(of: normal) }

  /// `series 5 'Dixon_BH_17s_W'` (or the UID when there is no number), for messages.
  public var name: String {
    let number = seriesNumber.map { "series \($0)" } ?? "series \(key.seriesInstanceUID)"
    return number + (seriesDescription.map { " '\(DICOMText.printable($0))'" } ?? "")
  }

  /// Whether two groups hold the same matrix, spacing and orientation.
  func sameGeometry(as other: SeriesGroup) -> Bool {
    key.rows == other.key.rows && key.columns == other.key.columns && key.pixelSpacing == other.key.pixelSpacing
      && key.orientation == other.key.orientation
  }

  /// Whether two groups have the same slice positions, each within `tolerance` mm (3-D distance).
  func samePositions(as other: SeriesGroup, tolerance: Double = 1e-3) -> Bool {
    files.count == other.files.count
      && zip(files, other.files).allSatisfy {
        Geometry.norm(zip($0.imagePosition, $1.imagePosition).map { $0 - $1 }) <= tolerance
      }
  }
}

extension SeriesGroup {
  /// Groups records by rule 1 and runs the within-group checks of rule 4 on each group.
  static func grouping(_ files: [DICOMFileRecord], problems: inout [DICOMProblem]) -> [SeriesGroup] {
    var byKey: [Key: [DICOMFileRecord]] = [:]
    var order: [Key] = []
    for file in files {
      let key = Key(
        studyInstanceUID: file.studyInstanceUID, seriesInstanceUID: file.seriesInstanceUID, imageType: file.imageType,
        echoTime: file.echoTime, rows: file.rows, columns: file.columns, pixelSpacing: file.pixelSpacing,
        orientation: file.imageOrientation.map { Int(($0 * 1e4).rounded(.toNearestOrEven)) })
      if byKey[key] == nil { order.append(key) }
      byKey[key, default: []].append(file)
    }
    var groups = order.map { SeriesGroup(key: $0, files: byKey[$0]!, problems: &problems) }
    groups.sort { a, b in
      (a.key.studyInstanceUID, a.seriesNumber ?? Int.max, a.key.seriesInstanceUID, a.first.path)
        < (b.key.studyInstanceUID, b.seriesNumber ?? Int.max, b.key.seriesInstanceUID, b.first.path)
    }
    return groups
  }

  /// Sorts the files along the slice normal and checks rule 4: duplicate instances (kept once),
  /// repeated positions, stacking on one line, uniform spacing, InstanceNumber range.
  init(key: Key, files unsorted: [DICOMFileRecord], problems: inout [DICOMProblem]) {
    self.key = key
    var seen: [String: String] = [:]
    var files: [DICOMFileRecord] = []
    for file in unsorted {
      // A multi-frame image's frames share its SOPInstanceUID: an instance is UID and frame.
      let instance = file.frame.map { "\(file.sopInstanceUID)#\($0)" } ?? file.sopInstanceUID
      if let earlier = seen[instance] {
        problems.append(
          DICOMProblem(
            .warning, .duplicateInstance,
            "\(file.path) and \(earlier) hold the same SOPInstanceUID \(file.sopInstanceUID); the second is ignored",
            series: [key.seriesInstanceUID], paths: [earlier, file.path]))
        continue
      }
      seen[instance] = file.path
      files.append(file)
    }
    let normal = files[0].sliceNormal
    files.sort { (Geometry.dot($0.imagePosition, normal), $0.path) < (Geometry.dot($1.imagePosition, normal), $1.path) }
    self.files = files
    positions = files.map { Geometry.dot($0.imagePosition, normal) }
    contrast = ContrastDecision(contrast: .other, rule: nil, evidence: [])
    station = nil
    hasErrors = false
    zRange = Self.zRange(of: files)
    sliceSpacing = nil
    var found: [DICOMProblem] = []
    let label = name

    // Stacking: every position on the line through the first one along the normal.
    let origin = files[0].imagePosition
    if let off = files.first(where: { file in
      let d = zip(file.imagePosition, origin).map { $0 - $1 }
      let along = Geometry.dot(d, normal)
      return Geometry.norm(zip(d, normal).map { $0 - along * $1 }) > 0.01  // DS rounding is ~1e-4 mm
    }) {
      found.append(
        DICOMProblem(
          .error, .slicesNotStacked,
          "\(label): slices are not stacked along the slice normal: \(off.path) is displaced in-plane from \(files[0].path)",
          series: [key.seriesInstanceUID], paths: [files[0].path, off.path]))
    }

    // Repeated positions (distinct instances, same place).
    var repeated: [(DICOMFileRecord, DICOMFileRecord)] = []
    for i in files.indices.dropFirst() where positions[i] - positions[i - 1] < 1e-3 {
      repeated.append((files[i - 1], files[i]))
    }
    if !repeated.isEmpty {
      let shown = repeated.prefix(3).map { "\($0.0.path) and \($0.1.path) at \(Self.mm(Geometry.dot($0.0.imagePosition, normal))) mm" }
      found.append(
        DICOMProblem(
          .error, .repeatedSlices,
          "\(label): \(repeated.count) repeated slice position(s): \(shown.joined(separator: "; "))"
            + (repeated.count > 3 ? "; ..." : "") + " (two acquisitions or stations in one series?)",
          series: [key.seriesInstanceUID], paths: repeated.flatMap { [$0.0.path, $0.1.path] }))
    }

    // Uniform spacing over the distinct positions.
    let distinct = positions.enumerated().filter { $0.offset == 0 || positions[$0.offset] - positions[$0.offset - 1] >= 1e-3 }
    let gaps = zip(distinct.dropFirst(), distinct).map { (index: $0.offset, previous: $1.offset, gap: $0.element - $1.element) }
    if !gaps.isEmpty {
      let sorted = gaps.map(\.gap).sorted()
      let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
      sliceSpacing = median
      let irregular = gaps.filter { abs($0.gap - median) > 0.01 * median }
      if !irregular.isEmpty {
        let shown = irregular.prefix(3).map { g in
          "\(Self.mm(g.gap)) mm between \(files[g.previous].path) and \(files[g.index].path)"
            + (g.gap > median ? " (\(max(1, Int((g.gap / median - 1).rounded()))) slice(s) missing, or two stations?)" : "")
        }
        found.append(
          DICOMProblem(
            .error, .nonUniformSpacing,
            "\(label): slice spacing is not uniform (median \(Self.mm(median)) mm, tolerance 1 %): \(shown.joined(separator: "; "))"
              + (irregular.count > 3 ? "; ..." : ""),
            series: [key.seriesInstanceUID], paths: irregular.map { files[$0.index].path }))
      }
    }

    // InstanceNumber range against the count (a warning only); not for the frames of a
    // multi-frame image, which share its one InstanceNumber.
    let numbers = files.contains { $0.frame != nil } ? [] : files.compactMap(\.instanceNumber)
    if numbers.count == files.count, let low = numbers.min(), let high = numbers.max(), high - low + 1 != files.count {
      found.append(
        DICOMProblem(
          .warning, .instanceNumberGap,
          "\(label): InstanceNumbers run from \(low) to \(high) but the group has \(files.count) slice(s)",
          series: [key.seriesInstanceUID]))
    }

    let descriptions = Set(files.map { $0.seriesDescription ?? "" })
    if descriptions.count > 1 {
      found.append(
        DICOMProblem(
          .warning, .inconsistentDescription,
          "\(label): files disagree on SeriesDescription: \(descriptions.sorted().map { "'\(DICOMText.printable($0))'" }.joined(separator: ", "))",
          series: [key.seriesInstanceUID]))
    }
    hasErrors = found.contains { $0.severity == .error }
    problems += found
  }

  /// The z extent (LPS) of all voxel centres: each slice's four corners.
  static func zRange(of files: [DICOMFileRecord]) -> ClosedRange<Double> {
    var low = Double.infinity, high = -Double.infinity
    for f in files {
      let alongRow = Double(f.columns - 1) * f.pixelSpacing[1] * f.imageOrientation[2]
      let alongColumn = Double(f.rows - 1) * f.pixelSpacing[0] * f.imageOrientation[5]
      for z in [0, alongRow, alongColumn, alongRow + alongColumn].map({ f.imagePosition[2] + $0 }) {
        low = min(low, z)
        high = max(high, z)
      }
    }
    return low...high
  }

  /// A length in mm with `digits` decimals, for messages.
  static func mm(_ value: Double, digits: Int = 3) -> String { String(format: "%.\(digits)f", value) }
}
