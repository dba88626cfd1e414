import Dispatch

/// Runs `body(i)` for every `i` in `0..<count`, on up to `threads` cores.
///
/// Work items are fixed by the caller, never by the thread count, and each item writes only its
/// own outputs, so results are bit-identical at any thread count (reliability.md R13).
@inline(__always)
func parallelFor(_ count: Int, threads: Int, _ body: (Int) -> Void) {
  if threads <= 1 || count <= 1 {
    for i in 0..<count { body(i) }
    return
  }
  withoutActuallyEscaping(body) { escapable in
    // The kernels' closures capture raw pointers (not Sendable); concurrent use is sound because
    // every item writes a disjoint region and `concurrentPerform` returns only when all are done.
    let shared = unsafeBitCast(escapable, to: (@Sendable (Int) -> Void).self)
    DispatchQueue.concurrentPerform(iterations: count, execute: shared)
  }
}
