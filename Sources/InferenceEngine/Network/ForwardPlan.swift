import CDNNL

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Activation buffers of one plan, handed out and taken back while the plan is built.
///
/// A plan is built twice (`UNet.plan(for:)`): first `recording`, where `acquire`/`release` only
/// note each buffer's size and lifetime (no primitive is created), then `placed`, where the k-th
/// `acquire` returns the offset `PoolLayout` chose for the k-th recorded buffer inside one shared
/// block. Buffers whose lifetimes overlap never overlap in memory; the others may share bytes,
/// which is safe because steps run strictly in build order and a buffer is released only after
/// the last step that reads it was appended. After building, running the plan allocates nothing.
/// (`separate`: every acquire gets its own zeroed buffer; for single-layer benchmarks.)
final class BufferPool {
  /// One buffer's size and lifetime in build events (`start` = its acquire, `end` = its release,
  /// nil while held).
  struct Lifetime: Equatable {
    var bytes: Int
    var start: Int
    var end: Int?
  }

  enum Mode {
    case recording
    case placed(base: UnsafeMutablePointer<Float>, layout: PoolLayout)
    case separate(ScratchAllocator)
  }

  private(set) var lifetimes: [Lifetime] = []
  private var clock = 0
  private let mode: Mode
  private var separateBuffers: [AlignedBuffer] = []

  init(_ mode: Mode) { self.mode = mode }

  func acquire(floats: Int) -> Int {
    let bytes = floats * 4
    let id = lifetimes.count
    // Checks that must hold in -Ounchecked builds too (where `precondition` is compiled out).
    if case .placed(_, let layout) = mode, id >= layout.offsets.count || layout.sizes[id] != bytes {
      fatalError("BufferPool: plan building is not deterministic (buffer \(id) of \(bytes) bytes)")
    }
    if case .separate(let scratch) = mode { separateBuffers.append(scratch.make(byteCount: bytes)) }
    lifetimes.append(Lifetime(bytes: bytes, start: clock, end: nil))
    clock += 1
    return id
  }

  func release(_ id: Int) {
    if lifetimes[id].end != nil { fatalError("BufferPool: buffer \(id) released twice") }
    lifetimes[id].end = clock
    clock += 1
  }

  func floats(_ id: Int) -> UnsafeMutablePointer<Float> {
    switch mode {
    case .recording:
      // Never dereferenced: a recording build creates no primitive and runs no step.
      return UnsafeMutablePointer<Float>(bitPattern: 4096)!
    case .placed(let base, let layout): return base + layout.offsets[id] / 4
    case .separate: return separateBuffers[id].floats
    }
  }

  var isRecording: Bool { if case .recording = mode { return true } else { return false } }

  /// The whole pages of the placed block that lie outside every buffer in `keep`: (start, bytes)
  /// ranges the system may take back between steps (their contents are rewritten before they are
  /// read again). Empty unless placed.
  func pagesOutside(_ keep: [Int]) -> [(UnsafeMutableRawPointer, Int)] {
    guard case .placed(let base, let layout) = mode else { return [] }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let start = Int(bitPattern: UnsafeMutableRawPointer(base))
    let kept = keep.map { (layout.offsets[$0], layout.offsets[$0] + layout.sizes[$0]) }.sorted { $0.0 < $1.0 }
    var ranges: [(UnsafeMutableRawPointer, Int)] = []
    var cursor = 0
    for (lo, hi) in kept + [(layout.byteCount, layout.byteCount)] {
      let first = (start + cursor + page - 1) / page * page
      let last = (start + lo) / page * page
      if last > first { ranges.append((UnsafeMutableRawPointer(bitPattern: first)!, last - first)) }
      cursor = max(cursor, hi)
    }
    return ranges
  }

  /// Bytes this pool holds: the packed block, or the sum of separate buffers.
  var byteCount: Int {
    switch mode {
    case .recording: return 0
    case .placed(_, let layout): return layout.byteCount
    case .separate: return separateBuffers.reduce(0) { $0 + $1.byteCount }
    }
  }
}

/// Byte offsets for buffers with known lifetimes inside one block, such that buffers alive at the
/// same time (lifetimes `[start, end]` intersecting; never released = alive to the end) never
/// overlap. Greedy: largest buffer first (ties: earlier acquire first), each at the lowest
/// 64-byte-aligned offset that fits between the already placed buffers it conflicts with.
struct PoolLayout {
  let offsets: [Int]
  let sizes: [Int]
  let byteCount: Int

  init(_ lifetimes: [BufferPool.Lifetime], alignment: Int = 64) {
    let n = lifetimes.count
    let rounded = lifetimes.map { ($0.bytes + alignment - 1) / alignment * alignment }
    let ends = lifetimes.map { $0.end ?? Int.max }
    let order = (0..<n).sorted { rounded[$0] != rounded[$1] ? rounded[$0] > rounded[$1] : $0 < $1 }
    var offsets = [Int](repeating: 0, count: n)
    var placed: [Int] = []
    var total = 0
    for i in order {
      let conflicts = placed
        .filter { lifetimes[$0].start <= ends[i] && lifetimes[i].start <= ends[$0] }
        .sorted { offsets[$0] < offsets[$1] }
      var candidate = 0
      for j in conflicts {
        if candidate + rounded[i] <= offsets[j] { break }
        candidate = max(candidate, offsets[j] + rounded[j])
      }
      offsets[i] = candidate
      placed.append(i)
      total = max(total, candidate + rounded[i])
    }
    self.offsets = offsets
    sizes = lifetimes.map(\.bytes)
    byteCount = total
  }
}

/// An activation while the plan is built: its view, and the pool slot it occupies (nil for a
/// buffer owned elsewhere). `retained` activations (skips) are not released when their consumer
/// is done with them.
struct Activation {
  var tensor: BlockedTensor
  var slot: Int?
  var retained = false
}

/// Where the head's logits go during the `run` in progress (nil outside `run`): a plain
/// `[K, D, H, W]` array, or a callback that receives each slice of classes in the head's buffer.
final class OutputTarget {
  var pointer: UnsafeMutablePointer<Float>?
  var consumer: ((LogitSlice) throws -> Void)?
}

/// One step of a plan: what it is (for profiles) and the closure that runs it.
struct PlanStep {
  enum Kind: String {
    case convolution
    case transposedConvolutionGEMM = "transposed-conv 1x1x1 GEMM"
    case voxelShuffle = "voxel shuffle"
    case normStatistics = "norm statistics"
    case normApply = "norm + activation apply"
    case averagePool = "average pool"
    case reorder
    case releaseScratch = "release scratch"
  }
  var kind: Kind
  var label: String
  /// Nominal floating-point operations (convolutions: `2·Cin·Cout·k³·output voxels`, padding taps
  /// included), 0 for memory-bound steps.
  var flops: Double = 0
  /// Convolutions: `[Cin, Cout, kd, kh, kw, sd, sh, sw, D, H, W]` of the input.
  var geometry: [Int] = []
  var body: () throws -> Void
}

/// Everything one tile shape needs, created once: oneDNN primitives bound to fixed buffers, the
/// engine's own kernels as closures over the same buffers, and the buffers themselves. `run`
/// executes the steps in order.
final class ForwardPlan {
  let tile: [Int]
  let inputChannels: Int
  let threads: Int
  /// Output bytes from which stride-1 convolutions run in depth chunks (`UNet.Options`).
  let chunkingThreshold: Int
  /// Whether convolutions read blocked inputs as their padded channel count (`UNet.Options`).
  let padsInputChannels: Bool
  let runtime: DNNLRuntime
  /// Where every scratch buffer of this plan comes from (shared between folds via an arena).
  let scratch: ScratchAllocator
  let pool: BufferPool
  /// The packed activation block, plain `[C, D, H, W]` input staging, reorder targets.
  var ownedBuffers: [AlignedBuffer] = []
  var primitives: [any ConvolutionOperator] = []
  /// Which algorithm runs stride-1 3x3x3 convolutions (`UNet.Options`).
  let convolutionAlgorithm: ConvolutionAlgorithm
  /// Scratch of this plan's Winograd convolutions.
  let winogradWorkspace = WinogradWorkspace()
  /// The prepared weights the primitives read: retained so that they outlive every plan using them.
  var weightStores: [PreparedWeights] = []
  var sites: [NormalizationSite] = []
  var steps: [PlanStep] = []
  var input: AlignedBuffer!
  /// Where the steps that write the plain logits find the caller's output array during `run`.
  let output = OutputTarget()

  /// `layout`: nil builds a recording plan (sizes and lifetimes only, see `BufferPool`), else
  /// the activations are placed in one block of `layout.byteCount` bytes from `scratch`.
  init(
    tile: [Int], inputChannels: Int, threads: Int, chunkingThreshold: Int, padsInputChannels: Bool = true,
    convolutionAlgorithm: ConvolutionAlgorithm = .auto, runtime: DNNLRuntime, scratch: ScratchAllocator,
    layout: PoolLayout?
  ) {
    self.convolutionAlgorithm = convolutionAlgorithm
    self.tile = tile
    self.inputChannels = inputChannels
    self.threads = threads
    self.chunkingThreshold = chunkingThreshold
    self.padsInputChannels = padsInputChannels
    self.runtime = runtime
    self.scratch = scratch
    if let layout {
      let block = scratch.make(byteCount: layout.byteCount)
      ownedBuffers.append(block)
      pool = BufferPool(.placed(base: block.floats, layout: layout))
      poolBlockIsOwned = true
    } else {
      pool = BufferPool(.recording)
    }
  }

  /// A plan whose every acquire gets its own buffer (single-layer benchmarks).
  init(
    separateBuffersFor tile: [Int], inputChannels: Int, threads: Int, convolutionAlgorithm: ConvolutionAlgorithm = .auto,
    runtime: DNNLRuntime, scratch: ScratchAllocator
  ) {
    self.convolutionAlgorithm = convolutionAlgorithm
    self.tile = tile
    self.inputChannels = inputChannels
    self.threads = threads
    chunkingThreshold = Int.max
    padsInputChannels = true
    self.runtime = runtime
    self.scratch = scratch
    pool = BufferPool(.separate(scratch))
  }

  /// True when `ownedBuffers` already holds the pool's block (counted once in `activationBytes`).
  private var poolBlockIsOwned = false

  /// True while building a recording plan: no primitive is created, no weight prepared.
  var isRecording: Bool { pool.isRecording }

  /// Copies `input` (plain `[C, D, H, W]`) in, runs every step, and writes plain logits
  /// `[K, D, H, W]` to `output` (the head's steps write there directly, slice by slice).
  func run(input source: UnsafeBufferPointer<Float>, output destination: UnsafeMutablePointer<Float>) throws {
    output.pointer = destination
    defer { output.pointer = nil }
    try execute(source)
  }

  /// Copies `input` in and runs every step; the head hands each slice of classes to `consumer`
  /// in class order instead of writing a K-class array.
  func run(input source: UnsafeBufferPointer<Float>, slices consumer: @escaping (LogitSlice) throws -> Void) throws {
    output.consumer = consumer
    defer { output.consumer = nil }
    try execute(source)
  }

  /// Copies `source` into the input buffer and runs every step in order.
  private func execute(_ source: UnsafeBufferPointer<Float>) throws {
    precondition(source.count * 4 == input.byteCount)
    input.pointer.copyMemory(from: source.baseAddress!, byteCount: source.count * 4)
    for step in steps { try step.body() }
  }

  /// Bytes of activation memory this plan holds.
  var activationBytes: Int {
    (poolBlockIsOwned ? 0 : pool.byteCount) + ownedBuffers.reduce(0) { $0 + $1.byteCount } + winogradWorkspace.byteCount
  }

  /// `(module, oneDNN implementation)` for every primitive, in execution order.
  var implementations: [(module: String, implementation: String)] {
    primitives.map { ($0.name, $0.implementation) }
  }
}
