import Morphology

/// One pair of stations in the ramp loop (reported).
public struct StitchPair: Sendable, Codable, Equatable {
  /// 0-based input indices, `first < second`.
  public var first: Int
  public var second: Int
  /// Output voxels both stations occupy (0 when skipped).
  public var overlapVoxels: Int

  public init(first: Int, second: Int, overlapVoxels: Int) {
    self.first = first
    self.second = second
    self.overlapVoxels = overlapVoxels
  }
}

/// What the ramp loop decided.
struct RampOutcome {
  var pairs: [StitchPair] = []
  var warnings: [String] = []
  /// Position (in the current station list) of a station whose weights never reach 1 after a
  /// pair (TPTBox pops it and restarts), when kick-out is on.
  var kickOut: (station: Int, other: Int)?
}

/// Step 6 of the stitch: linear ramps in pairwise overlaps (TPTBox 1.1.0 `_main`'s ramp loop),
/// occupancies updated in place so later pairs see earlier results.
///
/// For pairs `(i, j)`, `i < j`, in lexicographic order, skipping pairs whose occupied boxes do
/// not touch, on the union of both boxes padded by `max(rampEdge, 1) + 1` voxels and clipped to
/// the grid (as upstream; the result equals the whole-volume computation):
///
///     ov  = O_i·O_j > 0                 (float32 product; pair skipped if empty)
///     E_i = [O_i > 0] − ov,  E_j likewise                   (exclusive parts)
///     E_i ← opening(E_i, cube rampEdge³, zero border) if rampEdge > 0     (BinaryOpening)
///     D_i = EDT(not E_j), D_j = EDT(not E_i)   (exact, voxel units: distance to the nearest E voxel)
///     O_i[ov] = float32(D_i),  O_j[ov] = float32(D_j)
///     S = E_i + E_j (unopened, binary) with S[ov] = O_i + O_j, S[S == 0] = 1
///     O_i ← O_i / S,  O_j ← O_j / S     (float32)
///
/// Inside an overlap the weight of station i is `d(v, E_j) / (d(v, E_j) + d(v, E_i))`; for a
/// z-overlap of `n` planes: `k/(n+1)`, `k = n … 1`. Then, if `max O_i ≠ 1` (else if
/// `max O_j ≠ 1`) over the box, that station lies inside the other: a warning, and with kick-out
/// the loop stops so the caller drops it and starts over.
///
/// Deliberate difference: when an opened exclusive region is empty, upstream takes scipy's EDT of
/// an all-ones array (distances to a virtual background before index 0: meaningless weights).
/// Here: if the unopened region is not empty (a slab thinner than `rampEdge`), the ramp is
/// anchored at the unopened region and a warning says so; if the station has no exclusive voxel
/// at all in this pair, it gets weight 0 in the overlap and the other weight 1 (its maximum is
/// then below 1, so it is kicked out exactly when upstream kicks it out).
enum StitchRamps {
  static func apply(
    occupancies: inout [[Float]], shape: [Int], rampEdge: Int, names: [String], indices: [Int], kickOut: Bool
  ) -> RampOutcome {
    var outcome = RampOutcome()
    let boxes = occupancies.map { occupiedBox($0, shape: shape) }
    let pad = Swift.max(rampEdge, 1) + 1
    for i in 0..<occupancies.count {
      for j in (i + 1)..<occupancies.count {
        var pair = StitchPair(first: indices[i], second: indices[j], overlapVoxels: 0)
        defer { outcome.pairs.append(pair) }
        guard let bi = boxes[i], let bj = boxes[j],
          (0..<3).allSatisfy({ bi.lower[$0] <= bj.upper[$0] && bj.lower[$0] <= bi.upper[$0] })
        else { continue }
        let union = bi.union(bj)
        let lo = (0..<3).map { Swift.max(union.lower[$0] - pad, 0) }
        let hi = (0..<3).map { Swift.min(union.upper[$0] + pad, shape[$0] - 1) }
        let sub = (0..<3).map { hi[$0] - lo[$0] + 1 }
        var a = extract(occupancies[i], shape: shape, lo: lo, sub: sub)
        var b = extract(occupancies[j], shape: shape, lo: lo, sub: sub)
        let count = a.count
        var overlap = [Bool](repeating: false, count: count)
        var ea = [UInt8](repeating: 0, count: count)
        var eb = [UInt8](repeating: 0, count: count)
        var overlapVoxels = 0
        for n in 0..<count {
          let both = a[n] * b[n] > 0
          overlap[n] = both
          if both { overlapVoxels += 1 }
          ea[n] = a[n] > 0 && !both ? 1 : 0
          eb[n] = b[n] > 0 && !both ? 1 : 0
        }
        pair.overlapVoxels = overlapVoxels
        guard overlapVoxels > 0 else { continue }
        var oa = rampEdge > 0 ? BinaryOpening.opening(ea, shape: sub, cube: rampEdge) : ea
        var ob = rampEdge > 0 ? BinaryOpening.opening(eb, shape: sub, cube: rampEdge) : eb
        let rawA = ea.contains(1)
        let rawB = eb.contains(1)
        if rawA && !oa.contains(1) {
          oa = ea
          outcome.warnings.append(thinWarning(names[i], names[j], rampEdge))
        }
        if rawB && !ob.contains(1) {
          ob = eb
          outcome.warnings.append(thinWarning(names[j], names[i], rampEdge))
        }
        if rawA && rawB {
          let unit = [1.0, 1.0, 1.0]
          let da = DistanceTransform.squaredEuclidean(features: ob, shape: sub, spacingMillimeters: unit)
          let db = DistanceTransform.squaredEuclidean(features: oa, shape: sub, spacingMillimeters: unit)
          for n in 0..<count where overlap[n] {
            a[n] = Float(da[n].squareRoot())
            b[n] = Float(db[n].squareRoot())
          }
        } else {
          // No exclusive voxel on one side (or both): see the type's documentation.
          let (wa, wb): (Float, Float) = rawA ? (1, 0) : (rawB ? (0, 1) : (0.5, 0.5))
          for n in 0..<count where overlap[n] {
            a[n] = wa
            b[n] = wb
          }
        }
        var maxA: Float = 0
        var maxB: Float = 0
        for n in 0..<count {
          var s: Float = overlap[n] ? a[n] + b[n] : Float(ea[n]) + Float(eb[n])
          if s == 0 { s = 1 }
          a[n] = a[n] / s
          b[n] = b[n] / s
          maxA = Swift.max(maxA, a[n])
          maxB = Swift.max(maxB, b[n])
        }
        let inside: (Int, Int)? = maxA != 1 ? (i, j) : (maxB != 1 ? (j, i) : nil)
        if let (s, other) = inside {
          outcome.warnings.append(
            "\(names[s]) lies fully inside \(names[other]) (its largest weight is \(s == i ? maxA : maxB), not 1)"
              + (kickOut ? "; it is left out and the stitch starts over without it" : ""))
          if kickOut {
            outcome.kickOut = (s, other)
            return outcome
          }
        }
        insert(a, into: &occupancies[i], shape: shape, lo: lo, sub: sub)
        insert(b, into: &occupancies[j], shape: shape, lo: lo, sub: sub)
      }
    }
    return outcome
  }

  private static func thinWarning(_ station: String, _ other: String, _ rampEdge: Int) -> String {
    "the part of \(station) outside \(other) is thinner than --ramp \(rampEdge) voxels everywhere; "
      + "its ramp starts at the unopened region (TPTBox would compute meaningless weights here)"
  }

  /// The bounding box of `occupancy > 0`, nil when empty.
  static func occupiedBox(_ occupancy: [Float], shape: [Int]) -> VoxelBox? {
    var (l0, l1, l2) = (Int.max, Int.max, Int.max)
    var (u0, u1, u2) = (-1, -1, -1)
    var n = 0
    for k in 0..<shape[2] {
      for j in 0..<shape[1] {
        for i in 0..<shape[0] {
          if occupancy[n] > 0 {
            l0 = Swift.min(l0, i)
            u0 = Swift.max(u0, i)
            l1 = Swift.min(l1, j)
            u1 = Swift.max(u1, j)
            l2 = Swift.min(l2, k)
            u2 = Swift.max(u2, k)
          }
          n += 1
        }
      }
    }
    return u0 < 0 ? nil : VoxelBox(lower: [l0, l1, l2], upper: [u0, u1, u2])
  }

  static func extract(_ full: [Float], shape: [Int], lo: [Int], sub: [Int]) -> [Float] {
    var out = [Float](repeating: 0, count: sub[0] * sub[1] * sub[2])
    var n = 0
    for k in 0..<sub[2] {
      for j in 0..<sub[1] {
        let base = lo[0] + shape[0] * ((lo[1] + j) + shape[1] * (lo[2] + k))
        for i in 0..<sub[0] {
          out[n] = full[base + i]
          n += 1
        }
      }
    }
    return out
  }

  static func insert(_ part: [Float], into full: inout [Float], shape: [Int], lo: [Int], sub: [Int]) {
    var n = 0
    for k in 0..<sub[2] {
      for j in 0..<sub[1] {
        let base = lo[0] + shape[0] * ((lo[1] + j) + shape[1] * (lo[2] + k))
        for i in 0..<sub[0] {
          full[base + i] = part[n]
          n += 1
        }
      }
    }
  }
}
