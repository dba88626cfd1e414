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
  /// Called once before a sliding window whose every tile has `shape` (`[C] + patch`): the
  /// network may get ready for it and drop what only other tile shapes would need.
  func prepareForTiles(shape: [Int]) throws
}

extension TileNetwork {
  public func prepareForTiles(shape: [Int]) throws {}

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

  /// The float16 Gaussian importance map of `importance` (see `ImportanceMap`), C order.
  static func gaussian(patch: [Int], importance: ImportanceMap = .nnUNet) -> [Float16] {
    let g = separableGaussian(patch: patch)
    var out: [Float16]
    switch importance {
    case .nnUNet:
      let scale = g.max()! / 10
      out = g.map { Float16(Float($0 / scale)) }
    case .tptbox:
      // torch: float64 -> float16 (through float32), then `/ max` and `* 1000` each computed in
      // float32 and rounded to float16 (PyTorch's CPU half arithmetic).
      let g16 = g.map { Float16(Float($0)) }
      let top = Float(g16.max()!)
      out = g16.map { Float16(Float(Float16(Float($0) / top)) * 1000) }
    }
    let smallest = out.filter { $0 != 0 }.min() ?? 1
    for n in out.indices where out[n] == 0 { out[n] = smallest }
    return out
  }

  /// scipy `gaussian_filter` of a unit delta at `p/2` (mode constant): a separable fp64 Gaussian of
  /// σ = p/8 per axis truncated at `int(4σ + 0.5)`, each 1-D kernel normalised by its pairwise
  /// sum, the value at (a, b, c) being `(k0[a]·k1[b])·k2[c]`. C order.
  static func separableGaussian(patch: [Int]) -> [Double] {
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
    return g
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
  /// `sourceRows`: only input rows with a first index in this range (default all).
  static func forEachFlippedRow(
    channels: Int, shape: [Int], axes: [Int], sourceRows: Range<Int>? = nil, _ body: (Int, Int) -> Void
  ) {
    let (s0, s1, s2) = (shape[0], shape[1], shape[2])
    let f0 = axes.contains(0), f1 = axes.contains(1)
    for c in 0..<channels {
      let base = c * s0 * s1 * s2
      for sa in sourceRows ?? 0..<s0 {
        let a = f0 ? s0 - 1 - sa : sa
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
  /// flipped outputs are added in place (no extra copy of the K-class tile). `pred` is reused
  /// across tiles.
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

  /// `target[c] += flip(slice[c], axes)` for every class `c` and held voxel of `slice` (the
  /// head hands over a few depth slices at a time); `target` is the plain `[K, p0, p1, p2]` sum.
  static func addFlipped(_ slice: LogitSlice, into target: UnsafeMutablePointer<Float>, voxels: Int, shape: [Int], axes: [Int]) {
    let s2 = shape[2], f2 = axes.contains(2)
    let row = UnsafeMutablePointer<Float>.allocate(capacity: s2)
    defer { row.deallocate() }
    for c in slice.classes {
      let base = c * voxels
      let plane = shape[1] * s2
      forEachFlippedRow(
        channels: 1, shape: shape, axes: axes, sourceRows: (slice.held.lowerBound / plane)..<(slice.held.upperBound / plane)
      ) { dst, src in
        slice.copy(class: c, from: src, count: s2, into: row)
        let out = target + base + dst
        for x in 0..<s2 { out[x] += row[f2 ? s2 - 1 - x : x] }
      }
    }
  }

  /// A finished block: float16 logits `[K][count, countY, n2]` (C order) for rows
  /// `first ..< first + count` and `firstY ..< firstY + countY` of the (unpadded) preprocessed
  /// array, every value of the last axis, folds already averaged.
  struct Slab {
    var first: Int
    var count: Int
    var firstY: Int
    var countY: Int
    var logits: [DenseArray<Float16>]

    /// Writes `values` (`[count, countY, n2]`, one class or the labels of this block) into
    /// `array`, a whole `[n0, n1, n2]` volume in C order.
    func scatter<T>(_ values: [T], into array: inout [T], shape: [Int]) {
      let n2 = shape[2]
      for a in 0..<count {
        for b in 0..<countY {
          let target = ((first + a) * shape[1] + firstY + b) * n2
          let source = (a * countY + b) * n2
          array.replaceSubrange(target..<(target + n2), with: values[source..<(source + n2)])
        }
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
    stepSize: Double, importance: ImportanceMap = .nnUNet, keepInfiniteLogits: Bool = false,
    workers: Int = UsableCores.count, progress: ((Int, Int) -> Void)? = nil) throws -> [DenseArray<Float16>] {
    let shape = data[0].shape
    var result = [DenseArray<Float16>](repeating: DenseArray(shape: shape, repeating: 0), count: networks[0].outputChannelCount)
    try predict(data, patch: patch, networks: networks, mirrorAxes: mirrorAxes, stepSize: stepSize, importance: importance,
      keepInfiniteLogits: keepInfiniteLogits, workers: workers, progress: progress) { slab in
      for c in result.indices { slab.scatter(slab.logits[c].values, into: &result[c].values, shape: shape) }
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
