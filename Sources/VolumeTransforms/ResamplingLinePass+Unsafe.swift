import Dispatch

/// A pointer handed to the worker threads of one `concurrentPerform`; the caller keeps the
/// memory alive for the whole call and the workers touch disjoint elements (or only read).
struct ResamplingPointer<Element>: @unchecked Sendable {
  let base: UnsafeMutablePointer<Element>
  init(_ base: UnsafeMutablePointer<Element>) { self.base = base }
}

/// Pointer kernel behind the separable resampling path and the 3-D prefilter: one 1-D operation
/// applied to every line of a 3-D Double array along one axis.
///
/// Layout: element `(a, x, b)` of the source sits at `a + inner·(x + length·b)` (`a` indexes the
/// axes before the processed one, `b` those after), so axis 0 has `inner = 1` and axis 2 has
/// `outer = 1`. The destination has the same layout with `length` replaced by the output length.
/// Lines are processed in batches of up to `lanesPerBatch` interleaved lanes, so the recursive
/// filter vectorises across lanes and strided axes are read in contiguous runs.
///
/// Every line is computed by the same sequence of operations whatever the batch it lands in and
/// whichever thread runs it: results are identical for any thread count.
enum ResamplingLinePass {
  static let lanesPerBatch = 16

  /// For each line: reads it with `padding` edge-replicated samples on both sides
  /// (`np.pad(mode='edge')`), prefilters it (when `prefilter` is set), then either samples it
  /// with `plan` (output length `plan.outputLength`; invalid points are written as 0 and
  /// replaced by the caller) or, with no plan, writes the whole padded line back.
  ///
  /// - Precondition: the buffers hold `inner·length·outer` and `inner·outputLength·outer`
  ///   elements; `plan`, if given, was built for `length` and `padding`. `destination` may equal
  ///   `source` only when there is no plan and no padding (in-place filtering).
  static func run(
    source: UnsafePointer<Double>, inner: Int, length n: Int, outer: Int, padding: Int,
    prefilter: BSplineBoundary?, plan: ResamplingAxisPlan?, destination: UnsafeMutablePointer<Double>,
    parallel: Bool
  ) {
    precondition(n >= 1 && inner >= 1 && outer >= 1, "ResamplingLinePass: empty array")
    if let plan {
      precondition(plan.inputLength == n && plan.padding == padding, "ResamplingLinePass: plan for another axis")
    }
    let lineLength = n + 2 * padding
    let outLength = plan?.outputLength ?? lineLength
    let lines = inner * outer
    let batches = (lines + lanesPerBatch - 1) / lanesPerBatch
    let groups = parallel ? min(batches, 256) : 1
    let src = ResamplingPointer(UnsafeMutablePointer(mutating: source))
    let dst = ResamplingPointer(destination)
    let work: @Sendable (Int) -> Void = { g in
      let lo = g * batches / groups
      let hi = (g + 1) * batches / groups
      processBatches(
        lo..<hi, source: UnsafePointer(src.base), inner: inner, length: n, lines: lines, padding: padding,
        prefilter: prefilter, plan: plan, outLength: outLength, destination: dst.base)
    }
    if groups > 1 {
      DispatchQueue.concurrentPerform(iterations: groups, execute: work)
    } else {
      work(0)
    }
  }

  private static func processBatches(
    _ batchRange: Range<Int>, source: UnsafePointer<Double>, inner: Int, length n: Int, lines: Int,
    padding: Int, prefilter: BSplineBoundary?, plan: ResamplingAxisPlan?, outLength: Int,
    destination: UnsafeMutablePointer<Double>
  ) {
    let lineLength = n + 2 * padding
    let capacity = lanesPerBatch
    let buffer = UnsafeMutablePointer<Double>.allocate(capacity: lineLength * capacity)
    let scratch = UnsafeMutablePointer<Double>.allocate(capacity: capacity)
    let sourceBase = UnsafeMutablePointer<Int>.allocate(capacity: capacity)
    let destinationBase = UnsafeMutablePointer<Int>.allocate(capacity: capacity)
    defer {
      buffer.deallocate()
      scratch.deallocate()
      sourceBase.deallocate()
      destinationBase.deallocate()
    }
    for batch in batchRange {
      let first = batch * capacity
      let lanes = min(capacity, lines - first)
      for l in 0..<lanes {
        let line = first + l
        let a = line % inner
        let b = line / inner
        sourceBase[l] = a + inner * n * b
        destinationBase[l] = a + inner * outLength * b
      }
      // Gather, with edge replication in the padding. Unchecked: x' is clamped to 0..<n and the
      // bases address lines of the source layout.
      for x in 0..<lineLength {
        let offset = min(max(x - padding, 0), n - 1) * inner
        let row = buffer + x * lanes
        for l in 0..<lanes { row[l] = source[sourceBase[l] + offset] }
      }
      if let prefilter {
        BSplineCubic.filter(buffer, length: lineLength, lanes: lanes, boundary: prefilter, scratch: scratch)
      }
      guard let plan else {
        for x in 0..<lineLength {
          let row = buffer + x * lanes
          for l in 0..<lanes { destination[destinationBase[l] + x * inner] = row[l] }
        }
        continue
      }
      evaluate(plan, buffer: buffer, lanes: lanes, destination: destination, destinationBase: destinationBase, inner: inner)
    }
  }

  /// Writes `Σ_t w[o][t] · line[index[o][t]]` for every output point `o` of every lane
  /// (0 for invalid points). Unchecked: plan indices lie in `0 ..< lineLength` by construction.
  @inline(__always)
  private static func evaluate(
    _ plan: ResamplingAxisPlan, buffer: UnsafeMutablePointer<Double>, lanes: Int,
    destination: UnsafeMutablePointer<Double>, destinationBase: UnsafeMutablePointer<Int>, inner: Int
  ) {
    plan.indices.withUnsafeBufferPointer { indices in
      plan.weights.withUnsafeBufferPointer { weights in
        plan.valid.withUnsafeBufferPointer { valid in
          let taps = plan.order.tapCount
          for o in 0..<plan.outputLength {
            let step = o * inner
            guard valid[o] else {
              for l in 0..<lanes { destination[destinationBase[l] + step] = 0 }
              continue
            }
            let k = o * taps
            switch taps {
            case 1:
              let r0 = buffer + indices[k] * lanes
              for l in 0..<lanes { destination[destinationBase[l] + step] = 0.0 + r0[l] }
            case 2:
              let r0 = buffer + indices[k] * lanes
              let r1 = buffer + indices[k + 1] * lanes
              let w0 = weights[k]
              let w1 = weights[k + 1]
              for l in 0..<lanes { destination[destinationBase[l] + step] = r0[l] * w0 + r1[l] * w1 }
            default:
              let r0 = buffer + indices[k] * lanes
              let r1 = buffer + indices[k + 1] * lanes
              let r2 = buffer + indices[k + 2] * lanes
              let r3 = buffer + indices[k + 3] * lanes
              let w0 = weights[k]
              let w1 = weights[k + 1]
              let w2 = weights[k + 2]
              let w3 = weights[k + 3]
              for l in 0..<lanes {
                destination[destinationBase[l] + step] = r0[l] * w0 + r1[l] * w1 + r2[l] * w2 + r3[l] * w3
              }
            }
          }
        }
      }
    }
  }
}
