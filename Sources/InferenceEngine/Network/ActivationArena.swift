import Foundation

/// Scratch memory shared by the forward plans of networks with one architecture — the folds of
/// an nnU-Net model — so that an ensemble of N folds holds one set of activation buffers instead
/// of N.
///
/// A plan's scratch buffers (the packed activation block, input staging and reorder targets) hold
/// nothing from one `run` to the next: every run writes each location before reading it, in the same order for every network built from the same
/// `ArchitectureSpec` and tile shape. Plans for the same `(spec, tile shape)` therefore receive
/// the same buffers, the k-th request of one plan sharing the k-th of the others. Plans of other
/// architectures or shapes get buffers of their own.
///
/// Networks sharing an arena must run one at a time (as the sliding window runs the folds of a
/// tile one after another); the arena itself may be used from any thread.
public final class ActivationArena: @unchecked Sendable {
  struct Key: Hashable {
    var spec: ArchitectureSpec
    var shape: [Int]
  }

  private var buffers: [Key: [AlignedBuffer]] = [:]
  private let lock = NSLock()

  public init() {}

  /// The `ordinal`-th scratch buffer of plans for `key`, created on first request.
  func buffer(_ key: Key, ordinal: Int, byteCount: Int) -> AlignedBuffer {
    lock.lock()
    defer { lock.unlock() }
    var list = buffers[key, default: []]
    if ordinal < list.count {
      // Same architecture and shape give the same request sequence; a size mismatch would be a
      // broken invariant, answered with a private buffer rather than a shared one.
      return list[ordinal].byteCount == byteCount ? list[ordinal] : AlignedBuffer(byteCount: byteCount)
    }
    precondition(ordinal == list.count, "ActivationArena: scratch requests must be numbered in order")
    let buffer = AlignedBuffer(byteCount: byteCount)
    list.append(buffer)
    buffers[key] = list
    return buffer
  }

  /// Bytes held by the arena.
  public var byteCount: Int {
    lock.lock()
    defer { lock.unlock() }
    return buffers.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.byteCount } }
  }
}

/// Hands out one plan's scratch buffers, numbered in request order; from a shared
/// `ActivationArena` when the network has one, else freshly allocated.
final class ScratchAllocator {
  private let arena: ActivationArena?
  private let key: ActivationArena.Key
  private var ordinal = 0

  init(arena: ActivationArena?, spec: ArchitectureSpec, shape: [Int]) {
    self.arena = arena
    key = .init(spec: spec, shape: shape)
  }

  func make(byteCount: Int) -> AlignedBuffer {
    defer { ordinal += 1 }
    guard let arena else { return AlignedBuffer(byteCount: byteCount) }
    return arena.buffer(key, ordinal: ordinal, byteCount: byteCount)
  }
}
