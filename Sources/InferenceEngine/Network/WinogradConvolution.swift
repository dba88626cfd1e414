#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One convolution step of a plan: a bound oneDNN primitive or the engine's Winograd convolution.
protocol ConvolutionOperator: AnyObject {
  var name: String { get }
  /// `jit:avx2`, `jit_1x1:avx2`, ..., or `winograd:f(2x2x2,3x3x3)`.
  var implementation: String { get }
  func execute(_ runtime: DNNLRuntime) throws
}

extension BoundPrimitive: ConvolutionOperator {}

/// Per-thread scratch of the Winograd convolutions of one plan (they run one at a time, so one
/// block sized for the largest serves them all): transformed input tiles `V`, products `M`, and
/// 64 vectors for a tile's transform, per worker. Allocated at the first run.
final class WinogradWorkspace {
  private(set) var floatsPerWorker = 0
  private(set) var workers = 0
  private var buffer: AlignedBuffer?

  func reserve(floatsPerWorker floats: Int, workers count: Int) {
    floatsPerWorker = max(floatsPerWorker, floats)
    workers = max(workers, count)
  }

  /// The block (allocated on first use, single-threaded).
  var base: UnsafeMutablePointer<Float> {
    if let buffer { return buffer.floats }
    let b = AlignedBuffer(byteCount: floatsPerWorker * workers * 4)
    buffer = b
    return b.floats
  }

  var byteCount: Int { buffer?.byteCount ?? 0 }
}

/// A stride-1 3x3x3 convolution `dst (+)= conv(src, w) + bias` by Winograd F(2x2x2, 3x3x3)
/// (`WinogradKernel`), same result as oneDNN's direct convolution to float32 rounding
/// (relative L2 ~1e-7, tested).
///
/// Output tiles of 2x2x2 voxels, in `(z, y, x)` raster order, run in chunks of
/// `tilesPerChunk` (fixed by the channel counts only): per chunk, the input transform of each
/// tile's 4x4x4 input (`o - padding + 0...3` per axis; zeros outside `src`: the zero padding)
/// into `V[tiles][64][K]`, 64 products `M[p] = V[p]·U[p]` (`[tiles, K] x [K, N]`, `K`, `N`
/// the padded channel counts; `WinogradGEMM`, measured 1.1-1.35x faster here than oneDNN's
/// `dnnl_sgemm` on the same operands), and the output transform of `M[tiles][64][N]` plus the
/// bias into `dst` (edge tiles of odd extents write only their voxels inside). The transforms
/// write and read one tile's 64 points close together: the `[64][tiles][K]` order made each a
/// 64-way strided access and the transforms 4x slower.
///
/// Each worker (own scratch) takes the next chunk until none is left; each chunk's arithmetic is
/// fixed, so the output is bit-identical at any thread count. The transformed weights `U`
/// (64·K·N floats, 2.4x the direct layout) are prepared once per layer.
final class WinogradConvolution: ConvolutionOperator {
  let name: String
  let implementation = "winograd:f(2x2x2,3x3x3)"
  private let src: BlockedTensor
  private let dst: BlockedTensor
  private let padding: [Int]
  private let u: UnsafePointer<Float>
  private let bias: AlignedBuffer
  private let accumulate: Bool
  private let threads: Int
  private let workspace: WinogradWorkspace
  let tilesPerChunk: Int

  /// Scratch bytes of `V` and `M` per worker and chunk (measured best of 1, 2, 4 MiB at 32-64
  /// channels): both stay in L2 and a share of L3.
  static let chunkBytes = 2 << 20

  /// Tiles per chunk for `k` input and `n` output channels (padded): `chunkBytes` over the
  /// 64 points of `V` and `M`, a multiple of 6 (the GEMM's register block) in `36...252`. The
  /// floor matters from 256 channels: each chunk streams all of `U` (64·K·N floats, 16 MiB at
  /// 256) through the cache, so too few tiles per chunk make the products memory-bound
  /// (measured at 256 -> 256 on 16x12x16: 12 tiles 0.106 s, 36 tiles 0.072 s, 72 tiles 0.083 s).
  static func tilesPerChunk(k: Int, n: Int) -> Int {
    max(36, min(252, chunkBytes / (64 * 4 * (k + n)) / 6 * 6))
  }

  /// Whether Winograd can run the convolution at all: 3x3x3, stride 1.
  static func isEligible(kernel: [Int], stride: [Int]) -> Bool {
    kernel == [3, 3, 3] && stride == [1, 1, 1]
  }

  /// The rule of `.auto` (BENCHMARKS.md, "Winograd"): Winograd when both padded channel counts
  /// are at least 32 and the output has at least `minimumOutputVoxels` voxels. Below 32 channels
  /// the transforms outweigh the saved multiplies; on small outputs (the deep stages) Winograd
  /// measured faster too, but those layers take milliseconds per tile while their transformed
  /// weights would add 2.4x their direct size (TotalVibe: 131 MB prepared weights with this rule,
  /// 240 MB with Winograd everywhere, 118 MB direct).
  static func isWorthwhile(inputChannels k: Int, outputChannels n: Int, outputSpatial: [Int]) -> Bool {
    k >= 32 && n >= 32 && outputSpatial.reduce(1, *) >= minimumOutputVoxels
  }

  static let minimumOutputVoxels = 16 * 16 * 16

  /// Whether `algorithm` runs this convolution by Winograd.
  static func chosen(
    _ algorithm: ConvolutionAlgorithm, kernel: [Int], stride: [Int], inputChannels k: Int, outputChannels n: Int,
    outputSpatial: [Int]
  ) -> Bool {
    guard isEligible(kernel: kernel, stride: stride) else { return false }
    switch algorithm {
    case .direct: return false
    case .winograd: return true
    case .auto: return isWorthwhile(inputChannels: k, outputChannels: n, outputSpatial: outputSpatial)
    }
  }

  /// - Parameters:
  ///   - src: the input, read as its padded channel count (padding lanes zero).
  ///   - dst: the output; its padding lanes receive zeros (zero weight columns and bias).
  ///   - padding: leading zero padding per axis (output `o` reads input `o - padding + 0...2`).
  ///   - u: `WinogradKernel.transformWeights` output for `src.paddedChannels x dst.paddedChannels`.
  ///   - bias: `dst.channels` values or nil.
  init(
    name: String, src: BlockedTensor, dst: BlockedTensor, padding: [Int], transformedWeights u: UnsafePointer<Float>,
    bias: [Float]?, accumulate: Bool, threads: Int, workspace: WinogradWorkspace
  ) {
    self.name = name
    self.src = src
    self.dst = dst
    self.padding = padding
    self.u = u
    let n = dst.paddedChannels
    self.bias = AlignedBuffer(byteCount: n * 4)
    if let bias { for (i, b) in bias.prefix(dst.channels).enumerated() { self.bias.floats[i] = b } }
    self.accumulate = accumulate
    self.threads = threads
    self.workspace = workspace
    tilesPerChunk = Self.tilesPerChunk(k: src.paddedChannels, n: n)
    workspace.reserve(floatsPerWorker: Self.workerFloats(k: src.paddedChannels, n: n), workers: threads)
  }

  static func workerFloats(k: Int, n: Int) -> Int {
    tilesPerChunk(k: k, n: n) * (rowStride(k) + rowStride(n)) + 64 * 8
  }

  /// Floats between consecutive tiles' rows of `V` (`c = K`) or `M` (`c = N`): the 64 points of
  /// a tile, then 16 floats so that rows are not a multiple of 4 KiB apart (which would put every
  /// row of a register block in one L1 set).
  @inline(__always)
  static func rowStride(_ c: Int) -> Int { 64 * c + 16 }

  func execute(_ runtime: DNNLRuntime) {
    let (k, n) = (src.paddedChannels, dst.paddedChannels)
    let grid = dst.spatial.map { ($0 + 1) / 2 }
    let tiles = grid[0] * grid[1] * grid[2]
    let t = tilesPerChunk
    let chunks = (tiles + t - 1) / t
    let workers = min(threads, chunks)
    let base = workspace.base
    let stride = Self.workerFloats(k: k, n: n)
    // Each of `workers` items (one scratch slot each) takes the next chunk until none is left, so
    // chunks go to whichever core is free (a static split waits for a preempted core on a shared
    // host: measured 0.046-0.062 s against 0.064-0.065 s static at 32 -> 32 on 64x48x64).
    let next = ChunkCounter(chunks)
    parallelFor(workers, threads: workers) { worker in
      let v = base + worker * stride
      let m = v + t * Self.rowStride(k)
      let d = UnsafeMutableRawPointer(m + t * Self.rowStride(n)).bindMemory(to: SIMD8<Float>.self, capacity: 64)
      while let chunk = next.take() {
        run(chunk: chunk, tiles: tiles, grid: grid, v: v, m: m, d: d)
      }
    }
  }

  /// One chunk: input transform, 64 GEMMs, output transform.
  private func run(
    chunk: Int, tiles: Int, grid: [Int], v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>,
    d: UnsafeMutablePointer<SIMD8<Float>>
  ) {
    let (k, n, t) = (src.paddedChannels, dst.paddedChannels, tilesPerChunk)
    let first = chunk * t
    let count = min(t, tiles - first)
    let (gy, gx) = (grid[1], grid[2])
    let inSpatial = (src.spatial[0], src.spatial[1], src.spatial[2])
    let outSpatial = (dst.spatial[0], dst.spatial[1], dst.spatial[2])
    let (inVoxels, outVoxels) = (src.voxels, dst.voxels)
    let (pz, py, px) = (padding[0], padding[1], padding[2])
    let input = UnsafePointer(src.base)
    for cb in 0..<(k / 8) {
      let plane = input + cb * inVoxels * 8
      for i in 0..<count {
        let tile = first + i
        let (tz, ty, tx) = (tile / (gy * gx), tile / gx % gy, tile % gx)
        WinogradKernel.transformInputTile(
          plane, spatial: inSpatial, origin: (2 * tz - pz, 2 * ty - py, 2 * tx - px), d: d,
          into: v + i * Self.rowStride(k) + cb * 8, pointStride: k)
      }
    }
    for p in 0..<64 {
      WinogradGEMM.multiply(
        rows: count, k: k, n: n, a: v + p * k, lda: Self.rowStride(k), b: u + p * k * n, c: m + p * n,
        ldc: Self.rowStride(n))
    }
    for ob in 0..<(n / 8) {
      let plane = dst.base + ob * outVoxels * 8
      let b = UnsafeRawPointer(bias.floats + ob * 8).load(as: SIMD8<Float>.self)
      for i in 0..<count {
        let tile = first + i
        let (tz, ty, tx) = (tile / (gy * gx), tile / gx % gy, tile % gx)
        WinogradKernel.transformOutputTile(
          m + i * Self.rowStride(n) + ob * 8, pointStride: n, d: d, bias: b, into: plane, spatial: outSpatial,
          origin: (2 * tz, 2 * ty, 2 * tx), accumulate: accumulate)
      }
    }
  }
}

/// Hands out `0..<count` in order, one number per `take`, to concurrent workers (under a lock).
final class ChunkCounter: @unchecked Sendable {
  private let count: Int
  private var next = 0
  /// Heap-allocated: a mutex must not move.
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

  init(_ count: Int) {
    self.count = count
    mutex.initialize(to: pthread_mutex_t())
    pthread_mutex_init(mutex, nil)
  }

  deinit {
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
  }

  /// The next number, nil once all are taken.
  func take() -> Int? {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    guard next < count else { return nil }
    next += 1
    return next - 1
  }
}
