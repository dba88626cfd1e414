import CDNNL

/// Building a plan: walks the `NetworkGraph` once for a tile shape (nnunet-inference.md 3.3 and
/// 3.4), creating a primitive or kernel step per op and assigning buffers.
///
/// Layout: activations are `nCdhw8c` everywhere; the first convolution reads the plain input
/// directly when oneDNN accepts it (single- and few-channel inputs), else after one reorder; every
/// other convolution reads its blocked input as whole 8-channel blocks (zero-padded weights), so
/// that any channel count runs on oneDNN's JIT kernels; the
/// head writes plain logits into the caller's array slice by slice, or hands each slice to the
/// run's consumer (`head`). Skips and upsampled tensors keep buffers of their own; the decoder's
/// first convolution reads both without concatenating them (`splitConvNormBlock`).
struct PlanBuilder {
  let graph: NetworkGraph
  let plan: ForwardPlan
  let prepared: PreparedWeights
  /// Plain weights by key; nil once released (then prepared layouts are the source).
  let weights: [String: [Float]]?
  var slope: Float { Float(graph.spec.nonlinearity.negativeSlope) }
  var threads: Int { plan.threads }
  var runtime: DNNLRuntime { plan.runtime }

  enum Source {
    case plainInput
    case blocked(BlockedTensor)
  }

  // MARK: activations

  func acquire(channels: Int, spatial: [Int]) -> Activation {
    let blocks = (channels + 7) / 8
    let slot = plan.pool.acquire(floats: blocks * 8 * spatial.reduce(1, *))
    return Activation(
      tensor: BlockedTensor(base: plan.pool.floats(slot), channels: channels, spatial: spatial), slot: slot)
  }

  func release(_ a: Activation) {
    if let slot = a.slot, !a.retained { plan.pool.release(slot) }
  }

  // MARK: ops

  /// A convolution `src -> dst` of `layer`, or of an explicit weight set (`override`: the 1x1x1
  /// form of a transposed convolution).
  func conv(
    _ layer: ConvLayer, from src: Source, to dst: BlockedTensor, inputSpatial: [Int],
    override: WeightOverride? = nil, kind: PlanStep.Kind? = nil, accumulate: Bool = false
  ) throws {
    guard
      let primitive = try convPrimitive(
        layer, from: src, to: dst, inputSpatial: inputSpatial, override: override, accumulate: accumulate)
    else { return }
    let weightDims = override?.dims ?? layer.weightShape
    let flops = 2.0 * Double(weightDims.reduce(1, *)) * Double(dst.voxels)
    plan.steps.append(
      .init(
        kind: kind ?? (override == nil ? .convolution : .transposedConvolutionGEMM), label: layer.module, flops: flops,
        geometry: [weightDims[1], weightDims[0]] + layer.kernel + layer.stride + inputSpatial
      ) { [runtime] in try primitive.execute(runtime) })
  }

  /// A weight set used instead of `layer`'s own: a slice of its channels, or the 1x1x1 form of a
  /// transposed convolution. `key` names it among the prepared weights.
  typealias WeightOverride = (key: String, dims: [Int], weights: () -> [Float]?, bias: () -> [Float]?)

  /// The primitive of `conv` without a step (nil in a recording build, which only notes buffer
  /// lifetimes: no primitive, no weights). `padding`: leading zero padding per axis when not
  /// `kernel / 2` (depth chunks read their halo from the window instead).
  func convPrimitive(
    _ layer: ConvLayer, from src: Source, to dst: BlockedTensor, inputSpatial: [Int],
    override: WeightOverride? = nil, accumulate: Bool = false, padding: [Int]? = nil
  ) throws -> (any ConvolutionOperator)? {
    guard !plan.isRecording else { return nil }
    var weightDims = override?.dims ?? layer.weightShape
    var key = override?.key ?? layer.weightKey
    var plainWeights = override?.weights ?? { weights?[layer.weightKey] }
    if case .blocked(let t) = src,
      WinogradConvolution.chosen(
        plan.convolutionAlgorithm, kernel: layer.kernel, stride: layer.stride, inputChannels: t.paddedChannels,
        outputChannels: dst.paddedChannels, outputSpatial: dst.spatial)
    {
      return try winogradOperator(
        layer, from: t, to: dst, key: key, dims: weightDims, values: plainWeights, override: override,
        accumulate: accumulate, padding: padding ?? [1, 1, 1])
    }
    let srcMD: dnnl_memory_desc_t
    switch src {
    case .plainInput:
      srcMD = try MemoryLayout5D.descriptor([1, plan.inputChannels] + inputSpatial, dnnl_format_tag_any)
    case .blocked(let t):
      precondition(t.channels == weightDims[1], "\(layer.module): input has \(t.channels) channels, weights take \(weightDims[1])")
      if plan.padsInputChannels && t.channels != t.paddedChannels {
        // The padding lanes of `t` hold zeros, so `t` read as `paddedChannels` channels with
        // zero weights on the extra ones gives the same outputs (see `paddingInputChannels`).
        srcMD = try MemoryLayout5D.descriptor([1, t.paddedChannels] + t.spatial, dnnl_aBcde8b)
        let (source, dims, padded) = (plainWeights, weightDims, t.paddedChannels)
        plainWeights = { source().map { Self.paddingInputChannels($0, dims: dims, to: padded) } }
        weightDims[1] = padded
        key += "#cin\(padded)"
      } else {
        srcMD = try t.descriptor()
      }
    }
    let dstMD = try dst.descriptor()
    let descriptor = try ConvolutionDescriptor(
      runtime, src: srcMD, dst: dstMD, weightDims: weightDims, hasBias: override != nil || layer.hasBias,
      inputSpatial: inputSpatial, outputSpatial: dst.spatial, kernel: layer.kernel, stride: layer.stride,
      accumulate: accumulate, padding: padding, name: layer.module)
    let chosenSrc = descriptor.md(dnnl_query_src_md)
    let srcPointer: UnsafeMutableRawPointer
    switch src {
    case .blocked(let t): srcPointer = t.raw
    case .plainInput:
      let plainMD = try MemoryLayout5D.descriptor([1, plan.inputChannels] + inputSpatial, dnnl_abcde)
      if MemoryLayout5D.equal(plainMD, chosenSrc) {
        srcPointer = plan.input.pointer
      } else {
        let staged = plan.scratch.make(byteCount: MemoryLayout5D.byteCount(chosenSrc))
        plan.ownedBuffers.append(staged)
        let reorder = try makeReorder(
          runtime, from: plainMD, plan.input.pointer, to: chosenSrc, staged.pointer, name: "input reorder")
        plan.primitives.append(reorder)
        plan.steps.append(.init(kind: .reorder, label: "input reorder") { [runtime] in try reorder.execute(runtime) })
        srcPointer = staged.pointer
      }
    }
    let weightsMD = descriptor.md(dnnl_query_weights_md)
    let weightPointer = try prepared.weights(key, dims: weightDims, values: plainWeights, layout: weightsMD)
    if !plan.weightStores.contains(where: { $0 === prepared }) { plan.weightStores.append(prepared) }
    var arguments: [(Int32, DNNLMemory)] = [
      (DNNL_ARG_SRC, try DNNLMemory(chosenSrc, runtime, srcPointer)),
      (DNNL_ARG_WEIGHTS, try DNNLMemory(weightsMD, runtime, weightPointer)),
      (DNNL_ARG_DST, try DNNLMemory(dstMD, runtime, dst.raw)),
    ]
    if override != nil || layer.hasBias {
      let biasKey = override.map { $0.key + ".bias" } ?? layer.biasKey
      let biasValues = override?.bias ?? { weights?[layer.biasKey] }
      let biasPointer = try prepared.bias(biasKey, values: biasValues)
      let biasMD = try MemoryLayout5D.descriptor([weightDims[0]], dnnl_a)
      arguments.append((DNNL_ARG_BIAS, try DNNLMemory(biasMD, runtime, biasPointer)))
    }
    let primitive = try BoundPrimitive(descriptor: descriptor.release(), name: layer.module, arguments: arguments)
    plan.primitives.append(primitive)
    return primitive
  }

  /// The Winograd form of `convPrimitive` (same bias and accumulation; the input read as its
  /// padded channel count, like the direct path).
  private func winogradOperator(
    _ layer: ConvLayer, from src: BlockedTensor, to dst: BlockedTensor, key: String, dims: [Int],
    values: @escaping () -> [Float]?, override: WeightOverride?, accumulate: Bool, padding: [Int]
  ) throws -> any ConvolutionOperator {
    precondition(src.channels == dims[1], "\(layer.module): input has \(src.channels) channels, weights take \(dims[1])")
    let u = try prepared.winogradWeights(
      key, dims: dims, values: values, inputChannels: src.paddedChannels, outputChannels: dst.paddedChannels)
    if !plan.weightStores.contains(where: { $0 === prepared }) { plan.weightStores.append(prepared) }
    var bias: [Float]? = nil
    if override != nil || layer.hasBias {
      let biasKey = override.map { $0.key + ".bias" } ?? layer.biasKey
      let biasValues = override?.bias ?? { weights?[layer.biasKey] }
      let pointer = try prepared.bias(biasKey, values: biasValues).assumingMemoryBound(to: Float.self)
      bias = Array(UnsafeBufferPointer(start: pointer, count: dims[0]))
    }
    let op = WinogradConvolution(
      name: layer.module, src: src, dst: dst, padding: padding, transformedWeights: u, bias: bias,
      accumulate: accumulate, threads: threads, workspace: plan.winogradWorkspace)
    plan.primitives.append(op)
    return op
  }

  /// Plain OIDHW weights `w` of `dims = [Cout, Cin, kd, kh, kw]` widened to `[Cout, padded, kd,
  /// kh, kw]` with zeros: `out[o, i, t] = w[o, i, t]` for `i < Cin`, `0` for `Cin <= i < padded`.
  ///
  /// Why: oneDNN 2.6's `jit:avx2` direct convolution takes a blocked (`nCdhw8c`) source only when
  /// its channel count is at least one block (8); a 3x3x3 or strided convolution over 1-7 blocked
  /// channels falls back to `ref:any`, 5-10x slower. Declaring the source with its padded
  /// channel count (the same bytes: `nCdhw8c` stores whole blocks, padding lanes zero) and these
  /// weights makes every such layer a `jit` one. Each output is the same sum over the real
  /// channels plus `0 · 0` terms for the padding lanes, which leave a float32 sum unchanged.
  static func paddingInputChannels(_ w: [Float], dims: [Int], to padded: Int) -> [Float] {
    let (cout, cin) = (dims[0], dims[1])
    let taps = dims[2...].reduce(1, *)
    precondition(w.count == cout * cin * taps && padded >= cin)
    var out = [Float](repeating: 0, count: cout * padded * taps)
    for o in 0..<cout {
      out.replaceSubrange(
        (o * padded * taps)..<((o * padded + cin) * taps), with: w[(o * cin * taps)..<((o + 1) * cin * taps)])
    }
    return out
  }

  /// The statistics of `t` for `norm`, measured by a step appended now.
  func measure(_ t: BlockedTensor, _ norm: NormLayer) -> NormalizationSite {
    let site = NormalizationSite(
      channels: norm.channels, voxels: t.voxels, gamma: norm.affine ? weights?[norm.module + ".weight"] : nil,
      beta: norm.affine ? weights?[norm.module + ".bias"] : nil, epsilon: graph.spec.normalization.epsilon)
    plan.sites.append(site)
    let threads = self.threads
    plan.steps.append(.init(kind: .normStatistics, label: norm.module) { site.measure(t, threads: threads) })
    return site
  }

  /// conv -> instance norm -> LeakyReLU (when the block activates), normalised in place in `dst`.
  func convNormBlock(_ block: ConvNormBlock, from src: Source, inputSpatial: [Int], to dst: BlockedTensor) throws {
    try conv(block.conv, from: src, to: dst, inputSpatial: inputSpatial)
    normalizeInPlace(dst, block)
  }

  /// The block's instance norm (statistics measured by a step appended now) and LeakyReLU (when
  /// the block activates), applied in place to its convolution's output `dst`.
  func normalizeInPlace(_ dst: BlockedTensor, _ block: ConvNormBlock) {
    let site = measure(dst, block.norm)
    let (threads, slope) = (self.threads, block.activates ? self.slope : nil)
    plan.steps.append(
      .init(kind: .normApply, label: block.norm.module) {
        InstanceNormKernel.apply(
          x: dst.base, y: dst.base, blocks: dst.blocks, voxels: dst.voxels, affine: site.affine, residual: .none,
          slope: slope, threads: threads)
      })
  }

  /// The decoder's first block over `[upsampled, skip]` without a concatenation buffer: the
  /// convolution's weights split along their input channels, `dst = conv(up, W[:, ..<F]) + bias`
  /// then `dst += conv(skip, W[:, F...])` (oneDNN's sum post-op), then instance norm and
  /// LeakyReLU in place. The same products as one convolution over the concatenated channels,
  /// summed in two parts (float32 rounding differs by ~1e-7 relative).
  func splitConvNormBlock(_ block: ConvNormBlock, up: BlockedTensor, skip: BlockedTensor, inputSpatial: [Int], to dst: BlockedTensor) throws {
    let layer = block.conv
    let f = up.channels
    if layer.inputChannels != f + skip.channels {
      fatalError("decoder block \(layer.module): input is [upsampled \(f), skip \(skip.channels)], weights take \(layer.inputChannels)")
    }
    for (part, channels) in [(0, 0..<f), (1, f..<layer.inputChannels)] {
      let (piece, override) = inputSlice(layer, channels: channels, withBias: part == 0)
      try conv(
        piece, from: .blocked(part == 0 ? up : skip), to: dst, inputSpatial: inputSpatial, override: override,
        kind: .convolution, accumulate: part == 1)
    }
    normalizeInPlace(dst, block)
  }

  /// Output channels per slice of the segmentation head.
  static let headSliceChannels = 16
  /// Depth slices per chunk of the segmentation head when its output slice would reach the
  /// chunking threshold (ResEnc-L's 160 x 128 x 192 tile: 6 MB per slice buffer instead of 250 MB).
  static let headChunkSlices = 4

  /// The segmentation head (a 1x1x1 convolution to K classes) in slices of `headSliceChannels`
  /// output channels over `c` depth slices of the tile at a time: each slice a convolution with
  /// that slice of the weights and bias into one small blocked buffer, unblocked at once into its
  /// channel range of the caller's plain `[K, D, H, W]` output (or handed as a `LogitSlice` to the
  /// run's consumer, so that no K-class array exists at all). `c` is the whole depth when a slice
  /// buffer of the whole tile stays below the chunking threshold, else the largest divisor of the
  /// depth up to `headChunkSlices`, the input's depth slices then gathered into a small window
  /// first. Every logit is the same dot product over `Cin` as in a single K-channel convolution,
  /// and the memory does not grow with K.
  func head(_ layer: ConvLayer, from input: Activation) throws {
    let src = input.tensor
    let k = layer.outputChannels
    let width = Self.headSliceChannels
    let (d, h, w) = (plan.tile[0], plan.tile[1], plan.tile[2])
    let plane = h * w
    let sliceBytes = (min(k, width) + 7) / 8 * 8 * src.voxels * 4
    let c = sliceBytes < plan.chunkingThreshold ? d : (1...min(d, Self.headChunkSlices)).last { d % $0 == 0 }!
    let window = c < d ? acquire(channels: src.channels, spatial: [c, h, w]) : nil
    let slice = acquire(channels: min(k, width), spatial: [c, h, w])
    // Only the head's input and its buffers are read from here on: the rest of the block's pages
    // go back to the system while the caller accumulates the slices (the peak of a streamed
    // sliding window, when its accumulators are largest), and come back as zero pages at the
    // next run's first writes.
    if let keepInput = input.slot, let keepSlice = slice.slot, !plan.isRecording {
      let pages = plan.pool.pagesOutside([keepInput, keepSlice] + (window?.slot.map { [$0] } ?? []))
      plan.steps.append(
        .init(kind: .releaseScratch, label: layer.module) { for (start, count) in pages { _ = FreedMemory.discard(start, count) } })
    }
    let weights = self.weights
    let cin = layer.inputChannels
    let headInput = window?.tensor ?? src
    var parts: [(classes: Range<Int>, target: BlockedTensor, primitive: (any ConvolutionOperator)?)] = []
    for start in stride(from: 0, to: k, by: width) {
      let count = min(width, k - start)
      let target = BlockedTensor(base: slice.tensor.base, channels: count, spatial: [c, h, w])
      var part = layer
      var override: WeightOverride? = nil
      if count < k {
        part.outputChannels = count
        part.hasBias = true
        let sliceWeights: () -> [Float]? = {
          guard let w = weights?[layer.weightKey] else { return nil }
          return Array(w[(start * cin)..<((start + count) * cin)])
        }
        let sliceBias: () -> [Float]? = {
          guard layer.hasBias else { return [Float](repeating: 0, count: count) }
          guard let b = weights?[layer.biasKey] else { return nil }
          return Array(b[start..<(start + count)])
        }
        override = (layer.weightKey + "#out\(start)..<\(start + count)", part.weightShape, sliceWeights, sliceBias)
      }
      let primitive = try convPrimitive(part, from: .blocked(headInput), to: target, inputSpatial: [c, h, w], override: override)
      parts.append((start..<(start + count), target, primitive))
    }
    let (output, threads, voxels, windowTensor) = (plan.output, self.threads, src.voxels, window?.tensor)
    plan.steps.append(
      .init(
        kind: .convolution, label: layer.module, flops: 2.0 * Double(layer.weightShape.reduce(1, *)) * Double(voxels),
        geometry: [cin, k] + layer.kernel + layer.stride + plan.tile
      ) { [runtime] in
        for first in stride(from: 0, to: d, by: c) {
          if let windowTensor { DataMovementKernel.gatherDepth(src, first: first, into: windowTensor, threads: threads) }
          let held = (first * plane)..<((first + c) * plane)
          for part in parts {
            try part.primitive?.execute(runtime)
            if let consumer = output.consumer {
              try consumer(LogitSlice(blocked: part.target.base, classes: part.classes, voxels: voxels, held: held))
            } else {
              DataMovementKernel.unblock(
                part.target, into: output.pointer! + part.classes.lowerBound * voxels + held.lowerBound,
                channelStride: voxels, threads: threads)
            }
          }
        }
      })
    if let window { release(window) }
    release(slice)
  }

  /// `ConvTranspose3d` as 1x1x1 convolutions to `Cpad` channels per kernel position, then the voxel
  /// shuffle into `dst` (its own buffer; padding lanes written as zeros). The `P` positions run in two
  /// groups (when `P > 1`), each a convolution into a temporary of half the output's bytes and its
  /// shuffle: the temporary then never outweighs the decoder convolution's output that follows, so
  /// the upsampling is not the plan's memory peak. Each output value is the same dot product over
  /// `Cin` as with one `P · Cpad`-channel convolution.
  func upsample(_ up: TransposedConvLayer, from src: BlockedTensor, to dst: BlockedTensor) throws {
    let cpad = (up.outputChannels + 7) / 8 * 8
    for group in Self.positionGroups(up.positions) {
      let temp = acquire(channels: group.count * cpad, spatial: src.spatial)
      let (layer, override) = transposedAsGEMM(up, positions: group)
      try conv(layer, from: .blocked(src), to: temp.tensor, inputSpatial: src.spatial, override: override)
      let (t, threads, stride) = (temp.tensor, self.threads, up.stride)
      plan.steps.append(
        .init(kind: .voxelShuffle, label: up.module) {
          DataMovementKernel.voxelShuffle(
            src: t.base, srcSpatial: t.spatial, stride: stride, dst: dst, positions: group, threads: threads)
        })
      release(temp)
    }
  }
}
