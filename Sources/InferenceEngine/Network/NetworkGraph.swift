/// A 3-D convolution of the network: `Conv3d(Cin, Cout, kernel, stride, padding = k // 2)`.
///
/// `module` is the PyTorch module path; its parameters are `<module>.weight`
/// `[Cout, Cin, kd, kh, kw]` and, when `hasBias`, `<module>.bias` `[Cout]`.
struct ConvLayer: Hashable {
  var module: String
  var inputChannels: Int
  var outputChannels: Int
  var kernel: [Int]
  var stride: [Int]
  var hasBias: Bool

  var weightKey: String { module + ".weight" }
  var biasKey: String { module + ".bias" }
  var weightShape: [Int] { [outputChannels, inputChannels] + kernel }
  /// `floor((n + 2·(k//2) - k) / s) + 1` per axis (PyTorch's Conv3d output size).
  func outputSpatial(_ input: [Int]) -> [Int] {
    (0..<3).map { (input[$0] + 2 * (kernel[$0] / 2) - kernel[$0]) / stride[$0] + 1 }
  }
}

/// `InstanceNorm3d(C, eps, affine)`: `<module>.weight` / `<module>.bias` `[C]` when affine.
struct NormLayer: Hashable {
  var module: String
  var channels: Int
  var affine: Bool
}

/// DNA's `ConvDropoutNormReLU`: conv, instance norm, then LeakyReLU when `activates`.
struct ConvNormBlock: Hashable {
  var conv: ConvLayer
  var norm: NormLayer
  var activates: Bool
}

/// DNA's `BasicBlockD`: `lrelu(norm(conv2(cdnr(conv1(x)))) + shortcut(x))`, where the shortcut is
/// `AvgPool3d(stride, stride)` when strided (non-overlapping means; nnU-Net tiles are divisible)
/// followed by a bias-free 1x1x1 conv + norm when the channel count changes.
struct ResidualBlock: Hashable {
  var conv1: ConvNormBlock
  var conv2: ConvNormBlock
  /// The pooling window (= stride) of the shortcut, nil when the block is not strided.
  var poolStride: [Int]?
  /// `skip.0` or `skip.1` (after the pool): conv 1x1x1 without bias, norm, no activation.
  var projection: ConvNormBlock?
}

enum EncoderStage: Hashable {
  case plain([ConvNormBlock])
  case residual([ResidualBlock])

  var outputChannels: Int {
    switch self {
    case .plain(let convs): convs.last!.conv.outputChannels
    case .residual(let blocks): blocks.last!.conv2.conv.outputChannels
    }
  }
}

/// `ConvTranspose3d(Cin, Cout, kernel = stride, stride)`: weight `[Cin, Cout, sd, sh, sw]`,
/// bias `[Cout]` when `hasBias`.
struct TransposedConvLayer: Hashable {
  var module: String
  var inputChannels: Int
  var outputChannels: Int
  var stride: [Int]
  var hasBias: Bool
  var weightKey: String { module + ".weight" }
  var biasKey: String { module + ".bias" }
  var weightShape: [Int] { [inputChannels, outputChannels] + stride }
  var positions: Int { stride.reduce(1, *) }
}

/// One decoder stage: upsample the level below, concatenate `[upsampled, skip]` on channels, then
/// `convs` (stride 1).
struct DecoderStage: Hashable {
  var upsample: TransposedConvLayer
  var convs: [ConvNormBlock]
}

/// The layers of a PlainConvUNet or ResidualEncoderUNet, named as PyTorch's `state_dict` names
/// them (nnunet-inference.md section 2.2), in registration order.
struct NetworkGraph: Hashable {
  var spec: ArchitectureSpec
  /// ResidualEncoderUNet's `encoder.stem` (one conv block, stride 1); nil for PlainConvUNet.
  var stem: ConvNormBlock?
  var encoder: [EncoderStage]
  /// Lowest resolution first: `decoder[d]` works at encoder level `n_stages - 2 - d`.
  var decoder: [DecoderStage]
  /// `decoder.seg_layers.{n_stages-2}`: the only head used without deep supervision.
  var head: ConvLayer
  /// `decoder.seg_layers.{0..<n_stages-2}`: stored in checkpoints, unused at inference.
  var unusedHeads: [ConvLayer]

  /// Builds the layer list. `spec` must have passed `validate()`.
  init(spec: ArchitectureSpec) {
    self.spec = spec
    let n = spec.stageCount
    let features = spec.featuresPerStage
    let affine = spec.normalization.affine
    let one = [1, 1, 1]
    func block(_ module: String, _ cin: Int, _ cout: Int, _ k: [Int], _ s: [Int], bias: Bool, activates: Bool)
      -> ConvNormBlock
    {
      ConvNormBlock(
        conv: ConvLayer(
          module: module + ".conv", inputChannels: cin, outputChannels: cout, kernel: k, stride: s, hasBias: bias),
        norm: NormLayer(module: module + ".norm", channels: cout, affine: affine), activates: activates)
    }
    var channels = spec.inputChannels
    switch spec.network {
    case .plainConvUNet:
      stem = nil
      encoder = (0..<n).map { s in
        .plain(
          (0..<spec.encoderDepthPerStage[s]).map { j in
            defer { channels = features[s] }
            return block(
              "encoder.stages.\(s).0.convs.\(j)", channels, features[s], spec.kernelSizes[s],
              j == 0 ? spec.strides[s] : one, bias: spec.convBias, activates: true)
          })
      }
    case .residualEncoderUNet:
      let stemChannels = spec.stemChannels ?? features[0]
      stem = block(
        "encoder.stem.convs.0", channels, stemChannels, spec.kernelSizes[0], one, bias: spec.convBias,
        activates: true)
      channels = stemChannels
      encoder = (0..<n).map { s in
        .residual(
          (0..<spec.encoderDepthPerStage[s]).map { b in
            defer { channels = features[s] }
            let prefix = "encoder.stages.\(s).blocks.\(b)"
            let stride = b == 0 ? spec.strides[s] : one
            let pooled = stride != one
            let projects = channels != features[s]
            return ResidualBlock(
              conv1: block(
                prefix + ".conv1", channels, features[s], spec.kernelSizes[s], stride, bias: spec.convBias,
                activates: true),
              conv2: block(
                prefix + ".conv2", features[s], features[s], spec.kernelSizes[s], one, bias: spec.convBias,
                activates: false),
              poolStride: pooled ? stride : nil,
              projection: projects
                ? block(
                  prefix + ".skip.\(pooled ? 1 : 0)", channels, features[s], one, one, bias: false, activates: false)
                : nil)
          })
      }
    }
    decoder = (0..<(n - 1)).map { d in
      let below = features[n - 1 - d]
      let skip = features[n - 2 - d]
      return DecoderStage(
        upsample: TransposedConvLayer(
          module: "decoder.transpconvs.\(d)", inputChannels: below, outputChannels: skip,
          stride: spec.strides[n - 1 - d],
          hasBias: spec.convBias),
        convs: (0..<spec.decoderConvsPerStage[d]).map { j in
          block(
            "decoder.stages.\(d).convs.\(j)", j == 0 ? 2 * skip : skip, skip, spec.kernelSizes[n - 2 - d], one,
            bias: spec.convBias, activates: true)
        })
    }
    let heads = (0..<(n - 1)).map { d in
      ConvLayer(
        module: "decoder.seg_layers.\(d)", inputChannels: features[n - 2 - d], outputChannels: spec.numClasses,
        kernel: one, stride: one, hasBias: true)
    }
    head = heads.last!
    unusedHeads = Array(heads.dropLast())
  }
}
