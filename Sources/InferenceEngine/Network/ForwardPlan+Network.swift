/// The U-Net walk (nnunet-inference.md 3.3 / 3.4): encoder stages keep their outputs as skips, the
/// decoder upsamples, concatenates `[upsampled, skip]` and convolves, and the last seg layer
/// produces the logits.
extension PlanBuilder {
  func build() throws {
    let n = graph.encoder.count
    plan.input = plan.scratch.make(byteCount: plan.inputChannels * plan.tile.reduce(1, *) * 4)
    plan.ownedBuffers.append(plan.input)

    // Spatial shape per encoder level.
    var spatial: [[Int]] = []
    var s = plan.tile
    for stage in 0..<n {
      s = (0..<3).map { (s[$0] + graph.spec.strides[stage][$0] - 1) / graph.spec.strides[stage][$0] }
      spatial.append(s)
    }

    // Skips: each encoder level's output, kept until the decoder's first convolution there has
    // read it (no concatenation buffer: that convolution reads the upsampled tensor and the skip
    // as two parts). A stage's last output (plain or residual) becomes the skip in its own buffer.
    var skips: [Activation?] = Array(repeating: nil, count: n - 1)

    // Encoder.
    var current: Activation? = nil
    var currentSpatial = plan.tile
    if let stem = graph.stem {
      current = try convNormStep(stem, on: nil, inputSpatial: currentSpatial)
    }
    for (level, stage) in graph.encoder.enumerated() {
      let keepsSkip = level < n - 1
      switch stage {
      case .plain(let convs):
        for block in convs {
          current = try convNormStep(block, on: current, inputSpatial: currentSpatial)
          currentSpatial = block.conv.outputSpatial(currentSpatial)
        }
      case .residual(let blocks):
        for block in blocks {
          current = try residualBlock(block, input: current!, inputSpatial: currentSpatial)
          currentSpatial = block.conv1.conv.outputSpatial(currentSpatial)
        }
      }
      // The stage's output stays as the skip until the decoder's first convolution there.
      if keepsSkip {
        current!.retained = true
        skips[level] = current
      }
    }

    // Decoder.
    var h = current!
    for (d, stage) in graph.decoder.enumerated() {
      let level = n - 2 - d
      var skip = skips[level]!
      skip.retained = false
      var x: Activation
      if let merged = try chunkedDecoderBlock(stage, coarse: h, skip: skip) {
        // Upsampled per depth window, written over the skip (which it no longer needs).
        release(h)
        x = merged
      } else {
        let up = acquire(channels: stage.upsample.outputChannels, spatial: spatial[level])
        try upsample(stage.upsample, from: h.tensor, to: up.tensor)
        release(h)
        x = acquire(channels: stage.convs[0].conv.outputChannels, spatial: spatial[level])
        try splitConvNormBlock(stage.convs[0], up: up.tensor, skip: skip.tensor, inputSpatial: spatial[level], to: x.tensor)
        release(up)
        release(skip)
      }
      for block in stage.convs.dropFirst() {
        x = try convNormStep(block, on: x, inputSpatial: spatial[level])
      }
      h = x
    }

    // Segmentation head.
    try head(graph.head, from: h)
    release(h)
  }

  /// One conv-norm block after `input` (nil: the plan's plain input): in depth chunks in place
  /// when it can (`chunkedInPlace`), else into a new buffer, `input` released.
  func convNormStep(_ block: ConvNormBlock, on input: Activation?, inputSpatial: [Int]) throws -> Activation {
    if let input, let inPlace = try chunkedInPlace(block, on: input) { return inPlace }
    let out = acquire(channels: block.conv.outputChannels, spatial: block.conv.outputSpatial(inputSpatial))
    try convNormBlock(block, from: input.map { .blocked($0.tensor) } ?? .plainInput, inputSpatial: inputSpatial, to: out.tensor)
    if let input { release(input) }
    return out
  }

  /// `block` (stride 1, same channel blocks in and out) run in depth chunks over `input`'s own
  /// buffer, which then holds the block's output; nil when the block should run whole
  /// (`chunkDepth`) or cannot run in place.
  func chunkedInPlace(_ block: ConvNormBlock, on input: Activation) throws -> Activation? {
    let layer = block.conv
    guard input.slot != nil, !input.retained, (layer.outputChannels + 7) / 8 == input.tensor.blocks,
      layer.outputSpatial(input.tensor.spatial) == input.tensor.spatial,
      let c = chunkDepth(layer, target: input.tensor, slices: Self.chunkSlices.single)
    else { return nil }
    let target = BlockedTensor(base: input.tensor.base, channels: layer.outputChannels, spatial: input.tensor.spatial)
    try chunkedConv([ChunkPart(layer: layer, override: nil, source: .tensor(input.tensor))], to: target, chunk: c)
    normalizeInPlace(target, block)
    return Activation(tensor: target, slot: input.slot)
  }

  /// The decoder stage's first block over `[upsample(coarse), skip]` in depth chunks, written
  /// over `skip`'s buffer: nil when it should run whole or the shapes do not allow it.
  func chunkedDecoderBlock(_ stage: DecoderStage, coarse: Activation, skip: Activation) throws -> Activation? {
    let block = stage.convs[0]
    let layer = block.conv
    let up = stage.upsample
    let f = up.outputChannels
    let upSpatial = (0..<3).map { coarse.tensor.spatial[$0] * up.stride[$0] }
    guard skip.slot != nil, (layer.outputChannels + 7) / 8 == skip.tensor.blocks,
      layer.inputChannels == f + skip.tensor.channels, upSpatial == skip.tensor.spatial,
      let c = chunkDepth(layer, target: skip.tensor, slices: Self.chunkSlices.merged)
    else { return nil }
    let target = BlockedTensor(base: skip.tensor.base, channels: layer.outputChannels, spatial: skip.tensor.spatial)
    let (upPart, upWeights) = inputSlice(layer, channels: 0..<f, withBias: true)
    let (skipPart, skipWeights) = inputSlice(layer, channels: f..<layer.inputChannels, withBias: false)
    try chunkedConv(
      [
        ChunkPart(layer: upPart, override: upWeights, source: .upsampled(up, from: coarse.tensor)),
        ChunkPart(layer: skipPart, override: skipWeights, source: .tensor(skip.tensor)),
      ], to: target, chunk: c)
    normalizeInPlace(target, block)
    return Activation(tensor: target, slot: skip.slot)
  }

  /// One BasicBlockD: `lrelu(norm2(conv2(lrelu(norm1(conv1(x))))) + shortcut(x))`, with the
  /// shortcut `x`, `pool(x)`, `norm(conv1x1(x))` or `norm(conv1x1(pool(x)))`. The second norm, the
  /// shortcut's norm, the addition and the activation are one pass, in place in conv2's buffer,
  /// which is the block's output.
  ///
  /// Memory: the shortcut's pooled and projected tensors are made first (the pooled one is gone
  /// before conv1 runs); conv2 runs in depth chunks in place over conv1's output when large
  /// (`chunkDepth`), so a full-resolution block holds its input and one tensor of its own
  /// (whole: three).
  func residualBlock(_ block: ResidualBlock, input: Activation, inputSpatial: [Int]) throws -> Activation {
    let outSpatial = block.conv1.conv.outputSpatial(inputSpatial)
    let channels = block.conv1.conv.outputChannels

    var residual = InstanceNormKernel.Residual.identity(input.tensor.base)
    var projected: Activation? = nil
    var projectionSite: NormalizationSite? = nil
    var pooled: Activation? = nil
    if let stride = block.poolStride {
      let target = acquire(channels: input.tensor.channels, spatial: outSpatial)
      let (src, dst, threads) = (input.tensor, target.tensor, self.threads)
      plan.steps.append(
        .init(kind: .averagePool, label: block.conv1.conv.module) {
          DataMovementKernel.averagePool(src: src, stride: stride, dst: dst, threads: threads)
        })
      residual = .identity(dst.base)
      pooled = target
    }
    if let projection = block.projection {
      let shortcut = pooled?.tensor ?? input.tensor
      let target = acquire(channels: channels, spatial: outSpatial)
      try conv(projection.conv, from: .blocked(shortcut), to: target.tensor, inputSpatial: outSpatial)
      let site = measure(target.tensor, projection.norm)
      projectionSite = site
      residual = .normalized(target.tensor.base, site.affine)
      projected = target
      if let p = pooled {
        release(p)
        pooled = nil
      }
    }

    let first = acquire(channels: channels, spatial: outSpatial)
    try convNormBlock(block.conv1, from: .blocked(input.tensor), inputSpatial: inputSpatial, to: first.tensor)
    // The input is the shortcut itself only when neither pooled nor projected.
    let inputIsShortcut = pooled == nil && projected == nil
    if !inputIsShortcut { release(input) }
    let conv2 = block.conv2.conv
    let second: Activation
    if first.tensor.blocks == (conv2.outputChannels + 7) / 8, conv2.outputSpatial(outSpatial) == outSpatial,
      let c = chunkDepth(conv2, target: first.tensor, slices: Self.chunkSlices.single)
    {
      let target = BlockedTensor(base: first.tensor.base, channels: conv2.outputChannels, spatial: outSpatial)
      try chunkedConv([ChunkPart(layer: conv2, override: nil, source: .tensor(first.tensor))], to: target, chunk: c)
      second = Activation(tensor: target, slot: first.slot)
    } else {
      second = acquire(channels: channels, spatial: outSpatial)
      try conv(conv2, from: .blocked(first.tensor), to: second.tensor, inputSpatial: outSpatial)
      release(first)
    }
    let secondSite = measure(second.tensor, block.conv2.norm)

    let (x, threads, slope) = (second.tensor, self.threads, self.slope)
    let (site, res) = (secondSite, residual)
    withExtendedLifetime(projectionSite) {}
    plan.steps.append(
      .init(kind: .normApply, label: block.conv2.norm.module) {
        InstanceNormKernel.apply(
          x: x.base, y: x.base, blocks: x.blocks, voxels: x.voxels, affine: site.affine, residual: res, slope: slope,
          threads: threads)
      })
    if let pooled { release(pooled) }
    if let projected { release(projected) }
    if inputIsShortcut { release(input) }
    return second
  }
}
