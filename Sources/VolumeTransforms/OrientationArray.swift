import VolumeCore

/// nibabel's orientation array (`ornt`, a `(3, 2)` array): for each input voxel axis i, j, k (the
/// row), the axis it maps to and whether it runs along (+1) or against (-1) that axis.
///
/// The same shape serves two purposes, as in `nibabel.orientations`:
/// - an *orientation* (`io_orientation`, `axcodes2ornt`): row `n` names the RAS+ world axis
///   (0 = x, 1 = y, 2 = z) voxel axis `n` points along, and its direction;
/// - an *orientation transform* (`ornt_transform`, `apply_orientation`): row `n` names the axis of
///   the transformed array that input axis `n` becomes, and `-1` if the axis is flipped first.
///
/// A row is `nil` where nibabel writes `[nan, nan]`: an input axis `io_orientation` could not assign
/// (a rank-deficient affine). Such an array cannot be applied to data.
public struct OrientationArray: Hashable, Sendable, CustomStringConvertible {
  /// One row of the array: `[axis, direction]`.
  public struct Row: Hashable, Sendable {
    /// Output axis (world axis for an orientation, array axis for a transform), 0...2.
    public let axis: Int
    /// +1 along the output axis, -1 against it (for a transform: flip the input axis first).
    public let direction: Int

    public init(axis: Int, direction: Int) {
      precondition(
        (0..<3).contains(axis) && (direction == 1 || direction == -1),
        "OrientationArray.Row needs axis 0...2 and direction ±1, got [\(axis), \(direction)]")
      self.axis = axis
      self.direction = direction
    }
  }

  /// Rows for voxel axes i, j, k; nil marks a dropped axis (nibabel's NaN row).
  public var rows: [Row?]

  public init(_ rows: [Row?]) {
    precondition(rows.count == 3, "OrientationArray needs 3 rows, got \(rows.count)")
    self.rows = rows
  }

  /// Creates an array from `[axis, direction]` pairs, e.g. `[(1, -1), (0, 1), (2, 1)]`.
  public init(pairs: [(axis: Int, direction: Int)]) {
    self.init(pairs.map { Row(axis: $0.axis, direction: $0.direction) })
  }

  /// The identity transform `[[0, 1], [1, 1], [2, 1]]` (also the orientation RAS).
  public static let identity = OrientationArray(pairs: [(0, 1), (1, 1), (2, 1)])

  /// The orientation array of axis codes: nibabel `axcodes2ornt(axcodes)` with the default labels
  /// `(('L','R'), ('P','A'), ('I','S'))`. Row `n` is `[worldAxis, +1]` for R/A/S and
  /// `[worldAxis, -1]` for L/P/I.
  public init(_ orientation: Orientation) {
    self.init(orientation.directions.map { Row(axis: $0.worldAxis, direction: $0.sign) })
  }

  /// The axis codes of an orientation array: nibabel `ornt2axcodes(ornt)` with the default
  /// labels. Nil when a row is dropped or two rows name the same world axis (nibabel would return
  /// `None` entries or duplicate letters, which `Orientation` cannot hold).
  public var orientation: Orientation? {
    var directions = [AxisDirection]()
    for row in rows {
      guard let row else { return nil }
      directions.append(AxisDirection(worldAxis: row.axis, sign: row.direction))
    }
    return Orientation(directions)
  }

  /// True when every row is present and the axes are a permutation of 0, 1, 2: the array can be
  /// applied to data (`apply_orientation`) and inverted (`inv_ornt_aff`).
  public var isComplete: Bool {
    let axes = rows.compactMap { $0?.axis }
    return axes.count == 3 && Set(axes).count == 3
  }

  /// True for `[[0, 1], [1, 1], [2, 1]]`, the transform nibabel's `as_reoriented` short-circuits.
  public var isIdentity: Bool { self == .identity }

  /// The transform from this orientation to `end`: nibabel `ornt_transform(start_ornt, end_ornt)`.
  ///
  /// For each row `e` of `end`, the row `s` of `self` naming the same world axis gets
  /// `[e, +1]` when both directions agree and `[e, -1]` otherwise: input axis `s` becomes output
  /// axis `e`, flipped if needed. Nil where nibabel raises `ValueError` ("Unable to find out axis"):
  /// a world axis of `end` that no row of `self` names (a dropped axis in either array).
  public func transform(to end: OrientationArray) -> OrientationArray? {
    var result = [Row?](repeating: nil, count: 3)
    for (endIndex, endRow) in end.rows.enumerated() {
      guard let endRow else { return nil }  // NaN == NaN is false in nibabel: never found
      guard let startIndex = rows.firstIndex(where: { $0?.axis == endRow.axis }),
        let startRow = rows[startIndex]
      else { return nil }
      result[startIndex] = Row(
        axis: endIndex, direction: startRow.direction == endRow.direction ? 1 : -1)
    }
    // nibabel leaves unmatched rows of its `np.empty_like` result uninitialised; reject them.
    let transform = OrientationArray(result)
    return transform.isComplete ? transform : nil
  }

  /// The transform that undoes this one: applying `self` and then `inverse` restores the array.
  /// Row `rows[n].axis` of the inverse is `[n, rows[n].direction]`.
  ///
  /// - Precondition: `isComplete`.
  public var inverse: OrientationArray {
    precondition(isComplete, "cannot invert an orientation transform with dropped axes: \(self)")
    var result = [Row?](repeating: nil, count: 3)
    for (n, row) in rows.enumerated() {
      result[row!.axis] = Row(axis: n, direction: row!.direction)
    }
    return OrientationArray(result)
  }

  /// Shape of an array of `shape` (i, j, k) after applying this transform: output axis
  /// `rows[n].axis` has length `shape[n]`.
  ///
  /// - Precondition: `isComplete`.
  public func transformedShape(_ shape: [Int]) -> [Int] {
    precondition(
      isComplete && shape.count == 3, "transformedShape needs a complete transform and 3 sizes")
    var result = shape
    for (n, row) in rows.enumerated() { result[row!.axis] = shape[n] }
    return result
  }

  /// The voxel-to-voxel affine taking an index of the transformed array back to an index of the
  /// original array of `shape`: nibabel `inv_ornt_aff(ornt, shape)`.
  ///
  /// `inv_ornt_aff = undo_flip · undo_reorder`, i.e. for each input axis `n` with row `[a, d]`:
  /// `x[n] = d · x'[a] + (d == -1 ? shape[n] - 1 : 0)`. Entries are 0, ±1 and the integers
  /// `shape[n] - 1` (nibabel's `d·c - c` with `c = -(shape[n] - 1)/2` is exact in binary).
  /// The reoriented image's affine is `affine · inverseAffine(shape:)` (`as_reoriented`).
  ///
  /// - Precondition: `isComplete` (nibabel raises `OrientationError` for NaN rows).
  public func inverseAffine(shape: [Int]) -> Affine {
    precondition(
      isComplete && shape.count == 3, "inverseAffine needs a complete transform and 3 sizes")
    var entries = [Double](repeating: 0, count: 16)
    for (n, row) in rows.enumerated() {
      let d = Double(row!.direction)
      entries[n * 4 + row!.axis] = d
      entries[n * 4 + 3] = row!.direction == -1 ? Double(shape[n] - 1) : 0
    }
    entries[15] = 1
    return Affine(entries: entries)
  }

  /// nibabel-style text, e.g. `[[1, -1], [0, 1], [2, 1]]`, with `[nan, nan]` for a dropped row.
  public var description: String {
    "["
      + rows.map { $0.map { "[\($0.axis), \($0.direction)]" } ?? "[nan, nan]" }.joined(
        separator: ", ") + "]"
  }
}
