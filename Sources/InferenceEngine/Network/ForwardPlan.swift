import CDNNL

/// Activation buffers of one plan, handed out and taken back while the plan is built.
///
/// `acquire` returns the smallest free buffer that is large enough, else allocates a new one; a
/// buffer released during building may be reused by a later step, which is safe because steps run
/// strictly in order. After building, the set of buffers is fixed: running the plan allocates
/// nothing.
final class BufferPool {
  private(set) var buffers: [AlignedBuffer] = []
  private var inUse: [Bool] = []
  private let scratch: ScratchAllocator

  init(scratch: ScratchAllocator) { self.scratch = scratch }

  func acquire(floats: Int) -> Int {
    let bytes = floats * 4
    var best: Int? = nil
    for i in buffers.indices where !inUse[i] && buffers[i].byteCount >= bytes {
      if best == nil || buffers[i].byteCount < buffers[best!].byteCount { best = i }
    }
    if let best {
      inUse[best] = true
      return best
    }
    buffers.append(scratch.make(byteCount: bytes))
    inUse.append(true)
    return buffers.count - 1
  }

  func release(_ slot: Int) {
    precondition(inUse[slot], "buffer \(slot) released twice")
    inUse[slot] = false
  }

  func floats(_ slot: Int) -> UnsafeMutablePointer<Float> { buffers[slot].floats }

  var byteCount: Int { buffers.reduce(0) { $0 + $1.byteCount } }
}

/// An activation while the plan is built: its view, and the pool slot it occupies (nil for
/// buffers owned elsewhere: the decoder's concatenation buffers). `retained` activations (skips)
/// are not released when their consumer is done with them.
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
    case channelCopy = "channel copy"
    case unblock = "unblock logits"
    case reorder
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
  let runtime: DNNLRuntime
  /// Where every scratch buffer of this plan comes from (shared between folds via an arena).
  let scratch: ScratchAllocator
  let pool: BufferPool
  /// Plain `[C, D, H, W]` input staging, the concatenation buffers, reorder targets.
  var ownedBuffers: [AlignedBuffer] = []
  var primitives: [BoundPrimitive] = []
  /// The prepared weights the primitives read: retained so that they outlive every plan using them.
  var weightStores: [PreparedWeights] = []
  var sites: [NormalizationSite] = []
  var steps: [PlanStep] = []
  var input: AlignedBuffer!
  /// Where the steps that write the plain logits find the caller's output array during `run`.
  let output = OutputTarget()

  init(tile: [Int], inputChannels: Int, threads: Int, runtime: DNNLRuntime, scratch: ScratchAllocator) {
    self.tile = tile
    self.inputChannels = inputChannels
    self.threads = threads
    self.runtime = runtime
    self.scratch = scratch
    pool = BufferPool(scratch: scratch)
  }

  /// Copies `input` (plain `[C, D, H, W]`) in, runs every step, and writes plain logits
  /// `[K, D, H, W]` to `output` (the head's steps write there directly, slice by slice).
  func run(input source: UnsafeBufferPointer<Float>, output destination: UnsafeMutablePointer<Float>) throws {
    precondition(source.count * 4 == input.byteCount)
    input.pointer.copyMemory(from: source.baseAddress!, byteCount: source.count * 4)
    output.pointer = destination
    defer { output.pointer = nil }
    for step in steps { try step.body() }
  }

  /// Copies `input` in and runs every step; the head hands each slice of classes to `consumer`
  /// in class order instead of writing a K-class array.
  func run(input source: UnsafeBufferPointer<Float>, slices consumer: @escaping (LogitSlice) throws -> Void) throws {
    precondition(source.count * 4 == input.byteCount)
    input.pointer.copyMemory(from: source.baseAddress!, byteCount: source.count * 4)
    output.consumer = consumer
    defer { output.consumer = nil }
    for step in steps { try step.body() }
  }

  /// Bytes of activation memory this plan holds.
  var activationBytes: Int { pool.byteCount + ownedBuffers.reduce(0) { $0 + $1.byteCount } }

  /// `(module, oneDNN implementation)` for every primitive, in execution order.
  var implementations: [(module: String, implementation: String)] {
    primitives.map { ($0.name, $0.implementation) }
  }
}
