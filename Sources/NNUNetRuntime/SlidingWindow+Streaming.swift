import Foundation
import VolumeCore
import InferenceEngine
import VolumeTransforms

extension SlidingWindow {
  /// Sliding-window logits for a preprocessed case `[C, X, Y, Z]`, averaged over the networks
  /// (folds), handed to `consume` block by block as they become final.
  ///
  /// Equal, value for value, to nnU-Net running each fold's full sliding window and averaging the
  /// float16 results (nnunet-inference.md 6.5, 8): every fold keeps its own float16 accumulators,
  /// and each sees its tiles in nnU-Net's order (x outermost, then y, then z), so every
  /// accumulator gets the same additions in the same order. (The folds take turns per tile rather
  /// than per whole window; their accumulators are independent, so that changes nothing.)
  ///
  /// Streaming: tiles start at increasing x, and within a tile row at increasing y. So once tile
  /// `(x_i, y_j, last z)` has run for every fold, the block rows `x_i ..< x_(i+1)` ×
  /// `y_(j-1)' ..< y_(j+1)` (up to the next tile's start on both axes; to the end after the last
  /// tile) is touched by no later tile: it is normalised (`fp16(acc / weight)`), averaged over folds
  /// in fold order (`fp16(sum + next)`, then `fp16(sum / folds)`), handed on in slabs of at most
  /// `slabBytes`, and its accumulators are released (`AccumulatorRing`: rows live in a ring of
  /// `patch[0]` rows of lazily mapped memory, finished parts go back to the system).
  ///
  /// The per-class work (accumulating a tile's weighted logits, normalising a finished block)
  /// runs on `workers` threads, each owning a contiguous range of classes; every value is
  /// computed by the same expression as on one thread, so results do not depend on `workers`.
  ///
  /// Peak memory: the accumulators of the voxels touched and not final, `(folds · K + 1) · 2`
  /// bytes each: at most `patch[0] · n1 · n2` (padded), typically the rows carried into the next
  /// tile row (`x_i + patch[0] - x_(i+1)` of them, whole planes) plus the current tile row's new
  /// rows up to the current tile's y extent, in the z bands touched (rounded to pages per row,
  /// band and channel); plus the input and one slab (`slabBytes`).
  static func predict(_ data: [DenseArray<Float>], patch: [Int], networks: [TileNetwork], mirrorAxes: [Int],
    stepSize: Double, importance: ImportanceMap = .nnUNet, keepInfiniteLogits: Bool = false,
    workers requestedWorkers: Int = UsableCores.count,
    slabBytes: Int = 16 << 20, progress: ((Int, Int) -> Void)? = nil, consume: (Slab) throws -> Void) throws {
    // A step above one patch would leave voxels no tile covers and rows beyond the ring.
    guard stepSize > 0 && stepSize <= 1 else {
      throw PlansError(.invalidField, "tile step size \(stepSize) must be in (0, 1]", path: "step_size")
    }
    let channels = data.count
    let shape = data[0].shape
    // The patch (Gaussian map, tiles) and the padded image pass the one resampling cap before
    // anything of their size is allocated (plans are checked on load; this guards other callers).
    guard patch.count == 3 else {
      throw PlansError(.invalidField, "patch size \(patch) must have 3 entries", path: "plans.json", field: "patch_size")
    }
    try ResamplingLimits.check(patch, what: "the patch size \(patch)", field: "patch_size")
    let (padLower, padded) = padding(shape: shape, patch: patch)
    try ResamplingLimits.check(padded, what: "padding \(shape) to the patch \(patch)", field: "patch_size")
    let input = padded == shape ? data : data.map { $0.embedded(in: padded, at: padLower, fill: 0) }
    for network in networks { try network.prepareForTiles(shape: [channels] + patch) }
    let gaussian = gaussian(patch: patch, importance: importance)
    let k = networks[0].outputChannelCount
    let folds = networks.count
    let starts = (0..<3).map { tileStarts(size: padded[$0], patch: patch[$0], stepSize: stepSize) }
    // z bands: the cells between consecutive tile starts and ends, so that a tile's accumulators
    // lie on pages of their own (AccumulatorRing).
    let cuts = Set([0, padded[2]] + starts[2] + starts[2].map { $0 + patch[2] }).sorted()
    let bands = zip(cuts, cuts.dropFirst()).map { $0..<$1 }
    // Accumulator of fold f, class c: channel f·K + c; the weight map: its own one-channel ring.
    let accumulators = try AccumulatorRing(channels: folds * k, rows: patch[0], lines: padded[1], bands: bands)
    let weights = try AccumulatorRing(channels: 1, rows: patch[0], lines: padded[1], bands: bands)
    let workers = max(1, min(requestedWorkers, k))
    let classRanges = (0..<workers).map { w in (w * k / workers)..<((w + 1) * k / workers) }
    let tileVoxels = patch.reduce(1, *)
    var p = [Float]()  // one tile's K-class logits (mirroring only), reused for every tile
    let totalTiles = starts.map(\.count).reduce(1, *)
    var doneTiles = 0
    for (i, sx) in starts[0].enumerated() {
      let nextX = i + 1 < starts[0].count ? starts[0][i + 1] : padded[0]
      var finishedY = 0
      for (j, sy) in starts[1].enumerated() {
        for sz in starts[2] {
          var tile = [Float]()
          tile.reserveCapacity(channels * tileVoxels)
          for c in 0..<channels {
            let values = input[c].values
            for a in 0..<patch[0] {
              for b in 0..<patch[1] {
                let row = ((sx + a) * padded[1] + (sy + b)) * padded[2] + sz
                tile.append(contentsOf: values[row..<(row + patch[2])])
              }
            }
          }
          let runs = accumulators.runs(sz..<(sz + patch[2]))
          var t = 0
          for a in 0..<patch[0] {
            let w = weights.row(0, sx + a)
            for b in 0..<patch[1] {
              for run in runs {
                let row = w + run.offset + (sy + b) * run.width
                for z in 0..<run.count { row[z] = Float16(Float(row[z]) + Float(gaussian[t + run.skip + z])) }
              }
              t += patch[2]
            }
          }
          for (f, network) in networks.enumerated() {
            // fp16(fp32(acc) + p · fp32(g)) for every class and voxel of `slice` (a few depth
            // rows of the tile, every class), the classes split over the workers (each writes only
            // its own classes' accumulators); tile rows outer, classes inner, so that a row of the
            // head's blocked buffer is read from cache. Each accumulator still gets one addition
            // per tile, in tile order.
            let accumulate: (LogitSlice) -> Void = { slice in
              let (first, count) = (slice.classes.lowerBound, slice.classes.count)
              let sliceWorkers = max(1, min(workers, count))
              gaussian.withUnsafeBufferPointer { gaussianBuffer in
                let g = SharedPointer(UnsafeMutablePointer(mutating: gaussianBuffer.baseAddress!))
                DispatchQueue.concurrentPerform(iterations: sliceWorkers) { w in
                  let mine = (first + w * count / sliceWorkers)..<(first + (w + 1) * count / sliceWorkers)
                  let p2 = patch[2]
                  let source = UnsafeMutablePointer<Float>.allocate(capacity: p2)
                  defer { source.deallocate() }
                  // The slice holds whole depth rows `a` of the tile (the head's depth chunks).
                  let plane = patch[1] * p2
                  let rows = (slice.held.lowerBound / plane)..<(slice.held.upperBound / plane)
                  var t = rows.lowerBound * plane
                  for a in rows {
                    for b in 0..<patch[1] {
                      let weight = g.pointer + t
                      for c in mine {
                        slice.copy(class: c, from: t, count: p2, into: source)
                        let row = accumulators.row(f * k + c, sx + a)
                        for run in runs {
                          let target = row + run.offset + (sy + b) * run.width
                          let (value, wgt) = (source + run.skip, weight + run.skip)
                          for z in 0..<run.count { target[z] = Float16(Float(target[z]) + value[z] * Float(wgt[z])) }
                        }
                      }
                      t += p2
                    }
                  }
                }
              }
            }
            if mirrorAxes.isEmpty {
              // Fused: the network's head hands its logits over slice by slice; no K-class tile.
              try network.logits(forTile: tile, shape: [channels] + patch, slices: accumulate)
            } else {
              try mirroredLogits(network, tile: tile, channels: channels, shape: patch, mirrorAxes: mirrorAxes, into: &p)
              p.withUnsafeBufferPointer { accumulate(LogitSlice(plain: $0.baseAddress!, classes: 0..<k, voxels: tileVoxels)) }
            }
          }
          doneTiles += 1
          progress?(doneTiles, totalTiles)
        }
        // Rows sx ..< nextX, y finishedY ..< nextY are final.
        let nextY = j + 1 < starts[1].count ? starts[1][j + 1] : padded[1]
        try finish(
          rows: sx..<nextX, ys: finishedY..<nextY, shape: shape, padLower: padLower, k: k, folds: folds,
          accumulators: accumulators, weights: weights, classRanges: classRanges, slabBytes: slabBytes,
          keepInfiniteLogits: keepInfiniteLogits, consume: consume)
        finishedY = nextY
      }
      p = []
    }
  }

  /// Normalises, fold-averages and hands on the finished block `rows × ys` (padded coordinates),
  /// then releases its accumulators.
  private static func finish(
    rows: Range<Int>, ys: Range<Int>, shape: [Int], padLower: [Int], k: Int, folds: Int,
    accumulators: AccumulatorRing, weights: AccumulatorRing, classRanges: [Range<Int>], slabBytes: Int,
    keepInfiniteLogits: Bool, consume: (Slab) throws -> Void
  ) throws {
    let xs = max(rows.lowerBound, padLower[0])..<min(rows.upperBound, padLower[0] + shape[0])
    let yRange = max(ys.lowerBound, padLower[1])..<min(ys.upperBound, padLower[1] + shape[1])
    if !xs.isEmpty && !yRange.isEmpty {
      let n2 = shape[2], z0 = padLower[2]
      let runs = accumulators.runs(z0..<(z0 + n2))
      let chunkRows = max(1, slabBytes / max(1, k * yRange.count * n2 * 2))
      for lo in stride(from: xs.lowerBound, to: xs.upperBound, by: chunkRows) {
        let hi = min(xs.upperBound, lo + chunkRows)
        let count = (hi - lo) * yRange.count * n2
        let results = SlabCollector(classes: k)
        DispatchQueue.concurrentPerform(iterations: classRanges.count) { w in
          for c in classRanges[w] {
            // Row by row along the last axis, with the same per-element expressions (and fold
            // order) as nnU-Net's whole-volume arithmetic; contiguous loops that vectorise.
            let values = [Float16](unsafeUninitializedCapacity: count) { buffer, initialized in
              var n = 0
              for x in lo..<hi {
                let weightRow = weights.row(0, x)
                for y in yRange {
                  for run in runs {
                    let offset = run.offset + y * run.width
                    let wgt = weightRow + offset
                    let out = buffer.baseAddress! + n + run.skip
                    let first = accumulators.row(c, x) + offset
                    for z in 0..<run.count { out[z] = Float16(Float(first[z]) / Float(wgt[z])) }
                    for f in 1..<max(1, folds) {
                      let acc = accumulators.row(f * k + c, x) + offset
                      for z in 0..<run.count { out[z] = Float16(Float(out[z]) + Float(Float16(Float(acc[z]) / Float(wgt[z])))) }
                    }
                    if folds > 1 {
                      let divisor = Float(folds)
                      for z in 0..<run.count { out[z] = Float16(Float(out[z]) / divisor) }
                    }
                  }
                  n += n2
                }
              }
              initialized = count
            }
            // NaN is always an error; ±infinity (float16 overflow of the weighted sums) only
            // unless the caller follows TPTBox, whose argmax takes an infinite logit as the largest.
            let overflow = keepInfiniteLogits ? values.contains { $0.isNaN } : values.contains { !$0.isFinite }
            results.store(c, DenseArray(shape: [hi - lo, yRange.count, n2], values: values), overflow: overflow)
          }
        }
        if let c = results.overflowingClass {
          throw PlansError(
            .invalidInput,
            "the network's logits of class \(c) are not finite (NaN, or beyond float16's range of 65504); no label map is written, since argmax over them would be meaningless",
            path: "network")
        }
        try consume(
          Slab(first: lo - padLower[0], count: hi - lo, firstY: yRange.lowerBound - padLower[1], countY: yRange.count,
            logits: results.arrays))
      }
    }
    // Padded rows and columns included: the ring reuses these rows for later x.
    // Each row's lines are finished in increasing y from 0 within one tile row: those below `ys`
    // are already clear.
    for x in rows {
      accumulators.clear(row: x, lines: ys, belowIsClear: true)
      weights.clear(row: x, lines: ys, belowIsClear: true)
    }
    // The block's per-class arrays were freed; glibc keeps such memory in its (per-thread) arenas
    // unless asked to hand it back.
    FreedMemory.release()
  }
}
