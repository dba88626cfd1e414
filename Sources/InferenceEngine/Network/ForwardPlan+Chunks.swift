/// Convolutions run in depth chunks, so that the large levels of a U-Net never hold more than one
/// full-size tensor per level (nnunet-inference.md 3.3: the arithmetic is unchanged, only where
/// the values live; the logits are bit for bit those of whole-tensor convolutions, tested).
///
/// A stride-1 convolution with kernel depth `kd = 2p + 1` writes output slices `[kc, kc + c)` of
/// chunk `k` from input slices `[kc - p, kc + c + p)`: each part's window is a small dense tensor
/// (zeros outside the volume: the zero padding), the primitive runs with no depth padding into a
/// `c`-slice output, which is copied into the target at once. Windows roll: chunk `k + 1` keeps
/// the `2p` slices it shares with chunk `k` and reads only its `c` new slices
/// `[(k + 1)c + p, (k + 2)c + p)`. So every input slice below `kc + c + p` is in a window before
/// chunk `k` writes slices `[kc, kc + c)`, and no later chunk reads below `(k + 1)c + p`: the
/// target may be one of the inputs (in place). A transposed-convolution input (`upsampled`) is
/// produced per window from the coarse tensor (its 1x1x1 convolution over the coarse slices the
/// new window slices need, then `voxelShuffle` into the window), so the decoder never holds the upsampled tensor
/// whole.
extension PlanBuilder {
  /// Where one part of a chunked convolution reads its input.
  enum WindowSource {
    /// Slices of a full tensor (may be the chunked convolution's own target).
    case tensor(BlockedTensor)
    /// The output of `ConvTranspose3d(kernel = stride)` over the coarse tensor, made per window.
    case upsampled(TransposedConvLayer, from: BlockedTensor)
  }

  /// One summand of a chunked convolution: `layer` (or its `override` weights) over `source`.
  struct ChunkPart {
    var layer: ConvLayer
    var override: WeightOverride?
    var source: WindowSource
  }

  /// Output slices per chunk (fewer when the depth is not a multiple) for a convolution over one
  /// input (in place: its temporaries are a `c + 2p`-slice window and a `c`-slice output), and
  /// for the decoder's first convolution over the upsampled tensor and the skip (two windows plus
  /// the coarse slices and their 1x1x1 products): smaller there, as it runs while the skips of
  /// the levels above are held, the plan's peak. Measured on the TotalVibe-sized benchmark
  /// (BENCHMARKS.md): 16 / 4 cost ~3 % of the engine's time over whole-tensor convolutions and
  /// hold 368 MB of activations; 8 / 2 hold 11 MB less but cost ~8 %; 16 / 8 hold ~50 MB more.
  static let chunkSlices = (single: 16, merged: 4)

  /// The chunk depth (at most `slices`) for a stride-1 convolution `layer` producing `target`,
  /// or nil when it should run whole (small tensor, even or strided kernel, depth without a
  /// usable divisor).
  func chunkDepth(_ layer: ConvLayer, target: BlockedTensor, slices: Int) -> Int? {
    let d = target.spatial[0]
    let p = layer.kernel[0] / 2
    guard layer.stride == [1, 1, 1], layer.kernel[0] % 2 == 1, target.elementCount * 4 >= plan.chunkingThreshold
    else { return nil }
    for c in stride(from: slices, through: max(1, p), by: -1) where d % c == 0 && c >= p && d / c >= 2 {
      return c
    }
    return nil
  }

  /// `target = Σ parts` (the first part's bias included), computed `c` output slices at a time.
  /// `target` may be one of the `.tensor` sources.
  func chunkedConv(_ parts: [ChunkPart], to target: BlockedTensor, chunk c: Int) throws {
    let (d, h, w) = (target.spatial[0], target.spatial[1], target.spatial[2])
    let kernel = parts[0].layer.kernel
    let p = kernel[0] / 2
    let windowSpatial = [c + 2 * p, h, w]
    let padding = [0, kernel[1] / 2, kernel[2] / 2]
    let threads = self.threads
    let out = acquire(channels: target.channels, spatial: [c, h, w])
    var temps = [out]
    var fills: [(Int) throws -> Void] = []
    var primitives: [(any ConvolutionOperator)?] = []
    var flops = 0.0
    for (i, part) in parts.enumerated() {
      if part.layer.kernel != kernel || part.layer.stride != [1, 1, 1] {
        fatalError("chunkedConv \(part.layer.module): parts must share one stride-1 kernel")
      }
      let window = acquire(channels: part.layer.inputChannels, spatial: windowSpatial)
      temps.append(window)
      switch part.source {
      case .tensor(let source):
        // Chunk 0 reads its whole window; later chunks keep the 2p-slice halo they share with the
        // previous window and read only their c new slices.
        fills.append { k in
          if k == 0 {
            DataMovementKernel.gatherDepth(source, first: -p, into: window.tensor, threads: threads)
          } else {
            if p > 0 { DataMovementKernel.rollDepth(window.tensor, count: 2 * p, threads: threads) }
            DataMovementKernel.gatherDepth(
              source, first: k * c - p, into: window.tensor, slices: (2 * p)..<(c + 2 * p), threads: threads)
          }
        }
      case .upsampled(let up, let coarse):
        fills.append(try upsampledWindow(up, from: coarse, into: window.tensor, outputDepth: d, chunk: c, padding: p, temps: &temps))
      }
      primitives.append(
        try convPrimitive(
          part.layer, from: .blocked(window.tensor), to: out.tensor, inputSpatial: windowSpatial,
          override: part.override, accumulate: i > 0, padding: padding))
      flops += 2.0 * Double((part.override?.dims ?? part.layer.weightShape).reduce(1, *)) * Double(target.voxels)
    }
    let chunk = out.tensor
    let chunks = d / c
    plan.steps.append(
      .init(
        kind: .convolution, label: parts[0].layer.module, flops: flops,
        geometry: [parts.reduce(0) { $0 + $1.layer.inputChannels }, target.channels] + kernel + [1, 1, 1] + target.spatial
      ) { [runtime] in
        for k in 0..<chunks {
          for fill in fills { try fill(k) }
          for primitive in primitives { try primitive?.execute(runtime) }
          DataMovementKernel.scatterDepth(chunk, into: target, first: k * c, threads: threads)
        }
      })
    temps.forEach(release)
  }

  /// Fills a depth window (window slice `z` = upsampled slice `k·c - p + z`) of `up` applied to
  /// `coarse`: the coarse slices the new window slices need are gathered, run through the 1x1x1
  /// form of the transposed convolution in the same two position groups as `upsample`, and
  /// shuffled into place. Chunk 0 computes its whole window; later chunks roll the shared
  /// `2p`-slice halo and compute their `c` new slices only. Returns the per-chunk fill.
  private func upsampledWindow(
    _ up: TransposedConvLayer, from coarse: BlockedTensor, into window: BlockedTensor, outputDepth: Int, chunk c: Int,
    padding p: Int, temps: inout [Activation]
  ) throws -> (Int) throws -> Void {
    let sd = up.stride[0]
    // Coarse slices that n consecutive upsampled slices can touch: n when sd = 1, else (n - 1) / sd + 2.
    func reach(_ n: Int) -> Int { sd == 1 ? n : (n - 1) / sd + 2 }
    let width = window.spatial[0]
    let (fullSlices, newSlices) = (reach(width), reach(c))
    let plane = [coarse.spatial[1], coarse.spatial[2]]
    let gathered = acquire(channels: coarse.channels, spatial: [fullSlices] + plane)
    temps.append(gathered)
    let groups = Self.positionGroups(up.positions)
    let cpad = (up.outputChannels + 7) / 8 * 8
    let gemm = acquire(channels: groups.map(\.count).max()! * cpad, spatial: [fullSlices] + plane)
    temps.append(gemm)
    // One set of primitives over `slices` coarse slices (the whole window's, or a chunk's new ones).
    func pass(_ slices: Int) throws -> (input: BlockedTensor, output: [Int], steps: [(Range<Int>, (any ConvolutionOperator)?)]) {
      let spatial = [slices] + plane
      let input = BlockedTensor(base: gathered.tensor.base, channels: coarse.channels, spatial: spatial)
      var steps: [(Range<Int>, (any ConvolutionOperator)?)] = []
      for group in groups {
        let (layer, override) = transposedAsGEMM(up, positions: group)
        let target = BlockedTensor(base: gemm.tensor.base, channels: group.count * cpad, spatial: spatial)
        steps.append((group, try convPrimitive(layer, from: .blocked(input), to: target, inputSpatial: spatial, override: override)))
      }
      return (input, spatial, steps)
    }
    let full = try pass(fullSlices)
    let rolling = p > 0 ? try pass(newSlices) : full
    let (threads, runtime, stride) = (self.threads, self.runtime, up.stride)
    let (source, products) = (coarse, gemm.tensor.base)
    return { k in
      // Window slices `slices` hold upsampled slices from `first` on.
      let first = k * c - p
      let slices = k == 0 || p == 0 ? 0..<width : (2 * p)..<width
      let pass = k == 0 || p == 0 ? full : rolling
      if k > 0 && p > 0 { DataMovementKernel.rollDepth(window, count: 2 * p, threads: threads) }
      let u0 = first + slices.lowerBound
      let coarseFirst = u0 >= 0 ? u0 / sd : -((-u0 + sd - 1) / sd)
      DataMovementKernel.gatherDepth(source, first: coarseFirst, into: pass.input, threads: threads)
      for (group, primitive) in pass.steps {
        try primitive?.execute(runtime)
        DataMovementKernel.voxelShuffle(
          src: products, srcSpatial: pass.output, srcFirst: coarseFirst, stride: stride, dst: window,
          dstFirst: first, outputDepth: outputDepth, positions: group, slices: slices, threads: threads)
      }
    }
  }

  /// The kernel positions of a transposed convolution in the groups its 1x1x1 form runs in: two
  /// halves (one when there is a single position).
  static func positionGroups(_ positions: Int) -> [Range<Int>] {
    positions > 1 ? [0..<(positions / 2), (positions / 2)..<positions] : [0..<positions]
  }

  /// The 1x1x1 convolution computing kernel positions `group` of `up`: `Cin -> |group|·Cpad`,
  /// channel `j·Cpad + o` = output channel `o` at position `group[j]`, bias replicated per
  /// position, padding channels zero.
  func transposedAsGEMM(_ up: TransposedConvLayer, positions group: Range<Int>) -> (ConvLayer, WeightOverride) {
    let positions = up.positions
    let cpad = (up.outputChannels + 7) / 8 * 8
    let (cin, cout, count) = (up.inputChannels, up.outputChannels, group.count)
    let weights = self.weights
    let one = [1, 1, 1]
    let layer = ConvLayer(
      module: up.module, inputChannels: cin, outputChannels: count * cpad, kernel: one, stride: one, hasBias: true)
    let reshapedWeights: () -> [Float]? = {
      guard let w = weights?[up.weightKey] else { return nil }
      var out = [Float](repeating: 0, count: count * cpad * cin)
      for (j, q) in group.enumerated() {
        for o in 0..<cout {
          for c in 0..<cin { out[(j * cpad + o) * cin + c] = w[(c * cout + o) * positions + q] }
        }
      }
      return out
    }
    let replicatedBias: () -> [Float]? = {
      let b = up.hasBias ? weights?[up.biasKey] : [Float](repeating: 0, count: cout)
      guard let b else { return nil }
      var out = [Float](repeating: 0, count: count * cpad)
      for j in 0..<count {
        for o in 0..<cout { out[j * cpad + o] = b[o] }
      }
      return out
    }
    return (
      layer,
      (up.weightKey + "#as1x1[\(group.lowerBound)..<\(group.upperBound)]", [count * cpad, cin, 1, 1, 1], reshapedWeights, replicatedBias)
    )
  }

  /// `layer` restricted to its input channels `channels`: the weights `W[:, channels]`, and the
  /// bias when `withBias` (else zeros), so that the parts over a split input sum to the layer.
  func inputSlice(_ layer: ConvLayer, channels: Range<Int>, withBias: Bool) -> (ConvLayer, WeightOverride) {
    let cout = layer.outputChannels
    let taps = layer.kernel.reduce(1, *)
    let weights = self.weights
    var piece = layer
    piece.inputChannels = channels.count
    let sliced: () -> [Float]? = {
      guard let w = weights?[layer.weightKey] else { return nil }
      var out = [Float]()
      out.reserveCapacity(cout * channels.count * taps)
      for o in 0..<cout {
        let row = (o * layer.inputChannels + channels.lowerBound) * taps
        out.append(contentsOf: w[row..<(row + channels.count * taps)])
      }
      return out
    }
    let bias: () -> [Float]? = {
      guard withBias, layer.hasBias else { return [Float](repeating: 0, count: cout) }
      return weights?[layer.biasKey]
    }
    return (piece, (layer.weightKey + "#in\(channels.lowerBound)..<\(channels.upperBound)", piece.weightShape, sliced, bias))
  }
}
