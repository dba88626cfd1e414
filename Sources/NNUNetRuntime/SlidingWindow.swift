import Foundation
import InferenceEngine
import VolumeCore

/// A network that maps one tile `[C, p0, p1, p2]` (C order) to logits `[K, p0, p1, p2]`.
public protocol TileNetwork {
  var inputChannelCount: Int { get }
  var outputChannelCount: Int { get }
  func logits(forTile tile: [Float], shape: [Int]) throws -> [Float]
  /// `logits(forTile:shape:)` written into `output` (resized only when its count differs), so a
  /// caller looping over tiles reuses one K-class array instead of allocating and zeroing one
  /// per tile.
  func logits(forTile tile: [Float], shape: [Int], into output: inout [Float]) throws
  /// The tile's logits handed to `consume` as slices of classes (in class order, together
  /// `0 ..< K`, each valid only during its call), so that a network that produces them slice by
  /// slice (`UNet`) never holds a K-class array.
  func logits(forTile tile: [Float], shape: [Int], slices consume: (LogitSlice) throws -> Void) throws
}

extension TileNetwork {
  public func logits(forTile tile: [Float], shape: [Int], into output: inout [Float]) throws {
    output = try logits(forTile: tile, shape: shape)
  }

  /// One plain slice of all classes, from `logits(forTile:shape:)`.
  public func logits(forTile tile: [Float], shape: [Int], slices consume: (LogitSlice) throws -> Void) throws {
    let p = try logits(forTile: tile, shape: shape)
    try p.withUnsafeBufferPointer {
      try consume(LogitSlice(plain: $0.baseAddress!, classes: 0..<outputChannelCount, voxels: p.count / max(1, outputChannelCount)))
    }
  }
}

/// nnU-Net's sliding-window prediction (nnunet-inference.md 6.1–6.5), with its float16
/// accumulation reproduced: tile logits (float32) weighted by the float16 Gaussian map are added
/// to float16 accumulators (`fp16(fp32(acc) + p)`), the weight map likewise, and the result is
/// `fp16(acc / weight)`.
enum SlidingWindow {
  /// Per-axis tile starts (`compute_steps_for_sliding_window`): `num = ceil((n-p)/(p·s)) + 1`,
  /// step `(n-p)/(num-1)` in float64, starts rounded half to even.
  static func tileStarts(size n: Int, patch p: Int, stepSize s: Double) -> [Int] {
    precondition(n >= p, "image smaller than the patch must be padded first")
    let target = Double(p) * s
    let count = Int((Double(n - p) / target).rounded(.up)) + 1
    guard count > 1 else { return [0] }
    let actual = Double(n - p) / Double(count - 1)
    return (0..<count).map { Int((actual * Double($0)).rounded(.toNearestOrEven)) }
  }

  /// `pad_nd_image` to at least the patch: lower `diff/2`, upper the rest.
  static func padding(shape: [Int], patch: [Int]) -> (lower: [Int], padded: [Int]) {
    let padded = zip(shape, patch).map { max($0, $1) }
    return ((0..<3).map { (padded[$0] - shape[$0]) / 2 }, padded)
  }

  /// The float16 Gaussian importance map (`compute_gaussian`, sigma_scale 1/8, value_scaling 10):
  /// a separable fp64 Gaussian of σ = p/8 truncated at `int(4σ + 0.5)` with its peak at `p/2`,
  /// normalised so the peak is 10, converted fp64 → fp32 → fp16, zeros replaced by the smallest
  /// non-zero value. C order.
  static func gaussian(patch: [Int]) -> [Float16] {
    let kernels: [[Double]] = patch.map { p in
      let sigma = Double(p) / 8
      let radius = Int(4 * sigma + 0.5)
      var w = (-radius...radius).map { j in ((-0.5 / (sigma * sigma)) * Double(j * j)).exponential }
      let total = NumPySum.pairwise(w[...])
      w = w.map { $0 / total }
      return (0..<p).map { i in abs(i - p / 2) <= radius ? w[i - p / 2 + radius] : 0 }
    }
    var g = [Double]()
    g.reserveCapacity(patch.reduce(1, *))
    for a in kernels[0] { for b in kernels[1] { for c in kernels[2] { g.append((a * b) * c) } } }
    let scale = g.max()! / 10
    var out = g.map { Float16(Float($0 / scale)) }
    let smallest = out.filter { $0 != 0 }.min() ?? 1
    for n in out.indices where out[n] == 0 { out[n] = smallest }
    return out
  }

  /// Mirroring combinations in `itertools.combinations` order over the allowed axes.
  static func mirrorCombinations(_ axes: [Int]) -> [[Int]] {
    var result = [[Int]]()
    for size in 1...max(1, axes.count) where size <= axes.count {
      func combine(_ start: Int, _ current: [Int]) {
        if current.count == size { result.append(current); return }
        for n in start..<axes.count { combine(n + 1, current + [axes[n]]) }
      }
      combine(0, [])
    }
    return result
  }

  /// Walks the rows (runs along the last axis) of a `[C, p0, p1, p2]` C-order tile flipped along
  /// `axes`: `body(destination, source)` gives each row's start in the unflipped output and in the
  /// input; the caller reads the source row backwards when axis 2 is flipped.
  static func forEachFlippedRow(channels: Int, shape: [Int], axes: [Int], _ body: (Int, Int) -> Void) {
    let (s0, s1, s2) = (shape[0], shape[1], shape[2])
    let f0 = axes.contains(0), f1 = axes.contains(1)
    for c in 0..<channels {
      let base = c * s0 * s1 * s2
      for a in 0..<s0 {
        let sa = f0 ? s0 - 1 - a : a
        for b in 0..<s1 {
          let sb = f1 ? s1 - 1 - b : b
          body(base + (a * s1 + b) * s2, base + (sa * s1 + sb) * s2)
        }
      }
    }
  }

  /// Reverses the given spatial axes of a `[C, p0, p1, p2]` C-order tile.
  static func flipped(_ tile: [Float], channels: Int, shape: [Int], axes: [Int]) -> [Float] {
    guard !axes.isEmpty else { return tile }
    var out = tile
    let s2 = shape[2], f2 = axes.contains(2)
    forEachFlippedRow(channels: channels, shape: shape, axes: axes) { dst, src in
      for x in 0..<s2 { out[dst + x] = tile[src + (f2 ? s2 - 1 - x : x)] }
    }
    return out
  }

  /// One tile with test-time mirroring: `pred = net(x)`, then for each axis combination
  /// `pred += flip(net(flip(x)))`, finally `pred /= (combinations + 1)`, all in float32. The
  /// flipped outputs are added in place (no extra copy of the K-class tile).
  static func mirroredLogits(_ network: TileNetwork, tile: [Float], channels: Int, shape: [Int], mirrorAxes: [Int]) throws -> [Float] {
    var pred = [Float]()
    try mirroredLogits(network, tile: tile, channels: channels, shape: shape, mirrorAxes: mirrorAxes, into: &pred)
    return pred
  }

  /// `mirroredLogits` into `pred`, reused across tiles.
  static func mirroredLogits(
    _ network: TileNetwork, tile: [Float], channels: Int, shape: [Int], mirrorAxes: [Int], into pred: inout [Float]
  ) throws {
    try network.logits(forTile: tile, shape: [channels] + shape, into: &pred)
    let combinations = mirrorAxes.isEmpty ? [] : mirrorCombinations(mirrorAxes)
    let voxels = shape.reduce(1, *)
    for axes in combinations {
      // Each mirrored pass is added slice by slice as the head produces it: one K-class array
      // (the sum) exists, not a second one per pass. Same additions in the same order.
      try pred.withUnsafeMutableBufferPointer { sum in
        let target = sum.baseAddress!
        try network.logits(forTile: flipped(tile, channels: channels, shape: shape, axes: axes), shape: [channels] + shape) { slice in
          addFlipped(slice, into: target, voxels: voxels, shape: shape, axes: axes)
        }
      }
    }
    if !combinations.isEmpty {
      let divisor = Float(combinations.count + 1)
      for n in pred.indices { pred[n] /= divisor }
    }
  }

  /// `target[c] += flip(slice[c], axes)` for every class `c` of `slice`; `target` is the plain
  /// `[K, p0, p1, p2]` sum.
  static func addFlipped(_ slice: LogitSlice, into target: UnsafeMutablePointer<Float>, voxels: Int, shape: [Int], axes: [Int]) {
    let s2 = shape[2], f2 = axes.contains(2)
    let row = UnsafeMutablePointer<Float>.allocate(capacity: s2)
    defer { row.deallocate() }
    for c in slice.classes {
      let base = c * voxels
      forEachFlippedRow(channels: 1, shape: shape, axes: axes) { dst, src in
        slice.copy(class: c, from: src, count: s2, into: row)
        let out = target + base + dst
        for x in 0..<s2 { out[x] += row[f2 ? s2 - 1 - x : x] }
      }
    }
  }

  /// A run of finished rows along axis 0: float16 logits `[K][count, n1, n2]` (C order) for rows
  /// `first ..< first + count` of the (unpadded) preprocessed array, folds already averaged.
  struct Slab {
    var first: Int
    var count: Int
    var logits: [DenseArray<Float16>]
  }

  /// Sliding-window logits for a preprocessed case `[C, X, Y, Z]`, averaged over the networks
  /// (folds), handed to `consume` slab by slab along axis 0.
  ///
  /// Equal, value for value, to nnU-Net running each fold's full sliding window and averaging the
  /// float16 results (nnunet-inference.md 6.5, 8): the tile loop keeps nnU-Net's order (x outermost)
  /// and each fold keeps its own float16 accumulators, so every accumulator sees the same additions
  /// in the same order. Because tiles start at increasing x, once every tile starting at `x_i` has
  /// run, rows `x_i ..< x_(i+1)` are final: they are normalised (`fp16(acc / weight)`), averaged
  /// over folds in fold order (`fp16(sum + next)`, then `fp16(sum / folds)`) and handed on. Only a
  /// window of `patch[0]` rows of accumulators is held per fold.
  ///
  /// The per-class work (accumulating a tile's weighted logits, normalising a finished slab) runs
  /// on `workers` threads, each owning a contiguous range of classes; every value is computed by
  /// the same expression as on one thread, so results do not depend on `workers`.
  ///
  /// Peak memory: `(folds · K + 1) · patch[0] · n1 · n2 · 2` bytes of accumulators (padded rows),
  /// plus the input and one slab of at most `slabBytes` (default 64 MiB; at least one row).
  static func predict(_ data: [DenseArray<Float>], patch: [Int], networks: [TileNetwork], mirrorAxes: [Int],
    stepSize: Double, workers requestedWorkers: Int = ProcessInfo.processInfo.activeProcessorCount,
    slabBytes: Int = 64 << 20, consume: (Slab) throws -> Void) throws {
    let channels = data.count
    let shape = data[0].shape
    let (padLower, padded) = padding(shape: shape, patch: patch)
    let input = padded == shape ? data : data.map { $0.embedded(in: padded, at: padLower, fill: 0) }
    let gaussian = gaussian(patch: patch)
    let k = networks[0].outputChannelCount
    let folds = networks.count
    let starts = (0..<3).map { tileStarts(size: padded[$0], patch: patch[$0], stepSize: stepSize) }
    // Row `base` of the padded array is window row 0; at the start of tile row i, base = x_i, so
    // tiles write window rows 0 ..< patch[0] and the finished rows x_i ..< x_(i+1) (a step is at
    // most one patch) are window rows 0 ..< step.
    let window = patch[0]
    let plane = padded[1] * padded[2]
    let windowCount = window * plane
    // Accumulator of fold f, class c: window rows at `accumulators + (f * k + c) * windowCount`.
    let accumulatorStorage = UnsafeMutablePointer<Float16>.allocate(capacity: folds * k * windowCount)
    accumulatorStorage.initialize(repeating: 0, count: folds * k * windowCount)
    defer { accumulatorStorage.deallocate() }
    let accumulators = SharedPointer(accumulatorStorage)
    var weights = [Float16](repeating: 0, count: windowCount)
    let workers = max(1, min(requestedWorkers, k))
    let classRanges = (0..<workers).map { w in (w * k / workers)..<((w + 1) * k / workers) }
    var base = 0
    let tileVoxels = patch.reduce(1, *)
    var p = [Float]()  // one tile's K-class logits, reused for every tile
    for (i, sx) in starts[0].enumerated() {
      for (f, network) in networks.enumerated() {
        for sy in starts[1] {
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
            if f == 0 {
              var t = 0
              for a in 0..<patch[0] {
                for b in 0..<patch[1] {
                  let row = ((sx - base + a) * padded[1] + (sy + b)) * padded[2] + sz
                  for z in 0..<patch[2] {
                    weights[row + z] = Float16(Float(weights[row + z]) + Float(gaussian[t]))
                    t += 1
                  }
                }
              }
            }
            let rowOffset = sx - base
            // fp16(fp32(acc) + p · fp32(g)) for every class of `slice`, the slice's classes split
            // over the workers (each writes only its own classes' accumulators); tile rows outer,
            // classes inner, so that a row of the head's blocked buffer is read from cache.
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
                  var t = 0
                  for a in 0..<patch[0] {
                    for b in 0..<patch[1] {
                      let offset = ((rowOffset + a) * padded[1] + (sy + b)) * padded[2] + sz
                      let weight = g.pointer + t
                      for c in mine {
                        slice.copy(class: c, from: t, count: p2, into: source)
                        let target = accumulators.pointer + (f * k + c) * windowCount + offset
                        for z in 0..<p2 { target[z] = Float16(Float(target[z]) + source[z] * Float(weight[z])) }
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
        }
      }
      // The tile logits are not needed while the finished rows are normalised: free them so that
      // they and the slab never coexist (one allocation per tile row, not per tile).
      p = []
      // Rows sx ..< next are final.
      let next = i + 1 < starts[0].count ? starts[0][i + 1] : padded[0]
      // Handed on in chunks of rows whose K float16 arrays hold at most `slabBytes`, so that the
      // finished logits never coexist in full with the accumulators.
      let finishedLo = max(sx, padLower[0]), finishedHi = min(next, padLower[0] + shape[0])
      let chunkRows = max(1, slabBytes / max(1, k * shape[1] * shape[2] * 2))
      for lo in stride(from: finishedLo, to: finishedHi, by: chunkRows) {
        let hi = min(finishedHi, lo + chunkRows)
        let count = (hi - lo) * shape[1] * shape[2]
        let results = SlabCollector(classes: k)
        let windowBase = base
        weights.withUnsafeBufferPointer { weightBuffer in
          let weightRows = SharedPointer(UnsafeMutablePointer(mutating: weightBuffer.baseAddress!))
          DispatchQueue.concurrentPerform(iterations: workers) { w in
            for c in classRanges[w] {
              // Row by row along the last axis, with the same per-element expressions (and fold
              // order) as nnU-Net's whole-volume arithmetic; contiguous loops that vectorise.
              let n2 = shape[2], z0 = padLower[2]
              let values = [Float16](unsafeUninitializedCapacity: count) { buffer, initialized in
                var n = 0
                for x in lo..<hi {
                  for y in padLower[1]..<(padLower[1] + shape[1]) {
                    let row = ((x - windowBase) * padded[1] + y) * padded[2] + z0
                    let wgt = weightRows.pointer + row
                    let out = buffer.baseAddress! + n
                    let first = accumulators.pointer + c * windowCount + row
                    for z in 0..<n2 { out[z] = Float16(Float(first[z]) / Float(wgt[z])) }
                    for f in 1..<max(1, folds) {
                      let acc = accumulators.pointer + (f * k + c) * windowCount + row
                      for z in 0..<n2 { out[z] = Float16(Float(out[z]) + Float(Float16(Float(acc[z]) / Float(wgt[z])))) }
                    }
                    if folds > 1 {
                      let divisor = Float(folds)
                      for z in 0..<n2 { out[z] = Float16(Float(out[z]) / divisor) }
                    }
                    n += n2
                  }
                }
                initialized = count
              }
              let overflow = values.contains { $0.isInfinite }
              results.store(c, DenseArray(shape: [hi - lo, shape[1], shape[2]], values: values), overflow: overflow)
            }
          }
        }
        if let c = results.overflowingClass {
          throw PlansError(.unsupported, "float16 overflow in the accumulated logits of class \(c)", path: "network")
        }
        try consume(Slab(first: lo - padLower[0], count: hi - lo, logits: results.arrays))
      }
      // Slide the window so that row `next` is window row 0.
      let shift = (next - base) * plane
      if shift > 0 && i + 1 < starts[0].count {
        func slide(_ b: UnsafeMutablePointer<Float16>) {
          let keep = windowCount - shift
          if keep > 0 { b.update(from: b + shift, count: keep) }
          (b + max(0, keep)).update(repeating: 0, count: windowCount - max(0, keep))
        }
        weights.withUnsafeMutableBufferPointer { slide($0.baseAddress!) }
        for n in 0..<(folds * k) { slide(accumulatorStorage + n * windowCount) }
        base = next
      }
    }
  }

  /// A pointer handed to `concurrentPerform` workers; each worker reads shared data or writes only
  /// its own classes' elements, and the memory outlives the `concurrentPerform` call.
  struct SharedPointer<Element>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Element>
    init(_ pointer: UnsafeMutablePointer<Element>) { self.pointer = pointer }
  }

  /// The per-class slab arrays filled by several workers (each stores only its own classes).
  final class SlabCollector: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var arrays: [DenseArray<Float16>]
    private(set) var overflowingClass: Int?

    init(classes: Int) {
      arrays = [DenseArray<Float16>](repeating: DenseArray(shape: [0, 0, 0], values: []), count: classes)
    }

    func store(_ c: Int, _ array: DenseArray<Float16>, overflow: Bool) {
      lock.lock()
      defer { lock.unlock() }
      arrays[c] = array
      if overflow, overflowingClass.map({ c < $0 }) ?? true { overflowingClass = c }
    }
  }

  /// All logits of the case as float16 `[K, X, Y, Z]` (the slabs of `predict(... consume:)`
  /// collected).
  static func predict(_ data: [DenseArray<Float>], patch: [Int], networks: [TileNetwork], mirrorAxes: [Int],
    stepSize: Double, workers: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> [DenseArray<Float16>] {
    let shape = data[0].shape
    let plane = shape[1] * shape[2]
    var result = [DenseArray<Float16>](repeating: DenseArray(shape: shape, repeating: 0), count: networks[0].outputChannelCount)
    try predict(data, patch: patch, networks: networks, mirrorAxes: mirrorAxes, stepSize: stepSize, workers: workers) { slab in
      for c in result.indices {
        result[c].values.replaceSubrange((slab.first * plane)..<((slab.first + slab.count) * plane), with: slab.logits[c].values)
      }
    }
    return result
  }
}

extension Double {
  /// e^x (Foundation-free).
  var exponential: Double { _exp(self) }
}

#if canImport(Glibc)
import Glibc
private func _exp(_ x: Double) -> Double { Glibc.exp(x) }
#else
import Darwin
private func _exp(_ x: Double) -> Double { Darwin.exp(x) }
#endif
