/// The shape of an nnU-Net 3-D network: what a plans file's `architecture` entry
/// (`network_class_name` + `arch_kwargs`) says, in typed form.
///
/// Supported: dynamic_network_architectures' `PlainConvUNet` and `ResidualEncoderUNet` (BasicBlockD
/// blocks), built with `conv_op = Conv3d`, `norm_op = InstanceNorm3d`, `dropout_op = None`,
/// `nonlin = LeakyReLU` (ReLU is LeakyReLU with slope 0), `nonlin_first = False`,
/// `deep_supervision = False`; the forward pass is nnunet-inference.md section 3. 2-D
/// configurations, other norms and BottleneckD blocks are not supported.
///
/// Field by field, the `arch_kwargs` it mirrors:
///
/// | field | arch_kwargs |
/// |---|---|
/// | `network` | `network_class_name` (last component) |
/// | `inputChannels` | constructor `input_channels` (number of image channels) |
/// | `numClasses` | constructor `num_classes` (segmentation heads) |
/// | `featuresPerStage` | `features_per_stage`; its count is `n_stages` |
/// | `kernelSizes` | `kernel_sizes`, one `[kd, kh, kw]` per stage, odd sizes |
/// | `strides` | `strides`, one `[sd, sh, sw]` per stage (the first is normally `[1, 1, 1]`) |
/// | `encoderDepthPerStage` | `n_conv_per_stage` (PlainConvUNet: convolutions per stage) or `n_blocks_per_stage` (ResidualEncoderUNet: residual blocks per stage) |
/// | `decoderConvsPerStage` | `n_conv_per_stage_decoder`, `n_stages - 1` entries, lowest resolution first |
/// | `convBias` | `conv_bias` (True in every nnU-Net plan) |
/// | `normalization` | `norm_op_kwargs` `{eps, affine}` of InstanceNorm3d |
/// | `nonlinearity` | `nonlin_kwargs` `{negative_slope}` of LeakyReLU (`inplace` has no numerical effect) |
/// | `stemChannels` | ResidualEncoderUNet's `stem_channels` (nil: `features_per_stage[0]`) |
///
/// The synthesised `Codable` conformance uses these Swift property names.
public struct ArchitectureSpec: Codable, Hashable, Sendable {
  /// The network class.
  public enum Network: String, Codable, Hashable, Sendable, CaseIterable {
    case plainConvUNet = "PlainConvUNet"
    case residualEncoderUNet = "ResidualEncoderUNet"
  }

  /// `InstanceNorm3d(eps:affine:)`; nnU-Net's defaults are `eps = 1e-5`, `affine = true`.
  public struct InstanceNormalization: Codable, Hashable, Sendable {
    public var epsilon: Double
    /// With `affine == false` the norms have no `weight`/`bias` parameters (gamma 1, beta 0).
    public var affine: Bool
    public init(epsilon: Double = 1e-5, affine: Bool = true) {
      self.epsilon = epsilon
      self.affine = affine
    }
  }

  /// `LeakyReLU(negative_slope:)`: `y = x` for `x >= 0`, else `negativeSlope · x`. Default 0.01
  /// (PyTorch's, which nnU-Net keeps by passing only `inplace=True`).
  public struct LeakyReLU: Codable, Hashable, Sendable {
    public var negativeSlope: Double
    public init(negativeSlope: Double = 0.01) { self.negativeSlope = negativeSlope }
  }

  public var network: Network
  public var inputChannels: Int
  public var numClasses: Int
  public var featuresPerStage: [Int]
  public var kernelSizes: [[Int]]
  public var strides: [[Int]]
  public var encoderDepthPerStage: [Int]
  public var decoderConvsPerStage: [Int]
  public var convBias: Bool
  public var normalization: InstanceNormalization
  public var nonlinearity: LeakyReLU
  public var stemChannels: Int?

  /// Creates a spec; nothing is checked here (see `validate()`, which `UNet.init` calls).
  ///
  /// Example, a 2-stage PlainConvUNet for one CT channel and 3 labels:
  /// ```swift
  /// let spec = ArchitectureSpec(
  ///   network: .plainConvUNet, inputChannels: 1, numClasses: 3, featuresPerStage: [32, 64],
  ///   kernelSizes: [[3, 3, 3], [3, 3, 3]], strides: [[1, 1, 1], [2, 2, 2]],
  ///   encoderDepthPerStage: [2, 2], decoderConvsPerStage: [2])
  /// ```
  public init(
    network: Network, inputChannels: Int, numClasses: Int, featuresPerStage: [Int], kernelSizes: [[Int]],
    strides: [[Int]], encoderDepthPerStage: [Int], decoderConvsPerStage: [Int], convBias: Bool = true,
    normalization: InstanceNormalization = .init(), nonlinearity: LeakyReLU = .init(), stemChannels: Int? = nil
  ) {
    self.network = network
    self.inputChannels = inputChannels
    self.numClasses = numClasses
    self.featuresPerStage = featuresPerStage
    self.kernelSizes = kernelSizes
    self.strides = strides
    self.encoderDepthPerStage = encoderDepthPerStage
    self.decoderConvsPerStage = decoderConvsPerStage
    self.convBias = convBias
    self.normalization = normalization
    self.nonlinearity = nonlinearity
    self.stemChannels = stemChannels
  }

  /// `n_stages`: resolution levels of the encoder (the last one is the bottleneck).
  public var stageCount: Int { featuresPerStage.count }

  /// Per spatial axis, the product of all stage strides: every tile extent must be a multiple of
  /// it (the decoder's transposed convolutions must reproduce the skip sizes exactly, as in
  /// PyTorch, where a mismatch fails in `torch.cat`).
  public var requiredTileDivisor: [Int] {
    (0..<3).map { axis in strides.reduce(1) { $0 * $1[axis] } }
  }

  /// Checks the internal consistency of the spec.
  ///
  /// - Throws: `EngineError(.invalidArchitecture)` naming the field, when `n_stages < 2`, a list
  ///   has the wrong count, a kernel size is even or not positive, a stride is not positive, a
  ///   channel count is not positive, or an epsilon is negative.
  public func validate() throws {
    func fail(_ text: String) -> EngineError {
      EngineError(.invalidArchitecture, "invalid \(network.rawValue) architecture: \(text)")
    }
    let n = stageCount
    guard n >= 2 else { throw fail("n_stages is \(n); a U-Net needs at least 2 stages") }
    guard inputChannels > 0 else { throw fail("input_channels is \(inputChannels); it must be positive") }
    guard numClasses > 0 else { throw fail("num_classes is \(numClasses); it must be positive") }
    if let bad = featuresPerStage.first(where: { $0 <= 0 }) {
      throw fail("features_per_stage \(describeShape(featuresPerStage)) holds \(bad); all must be positive")
    }
    if let stem = stemChannels, stem <= 0 { throw fail("stem_channels is \(stem); it must be positive") }
    for (name, list) in [("kernel_sizes", kernelSizes), ("strides", strides)] {
      guard list.count == n else { throw fail("\(name) has \(list.count) entries for \(n) stages") }
      for (s, entry) in list.enumerated() where entry.count != 3 {
        throw fail("\(name)[\(s)] is \(describeShape(entry)); 3-D networks need 3 entries")
      }
    }
    for (s, k) in kernelSizes.enumerated() where k.contains(where: { $0 <= 0 || $0 % 2 == 0 }) {
      throw fail("kernel_sizes[\(s)] is \(describeShape(k)); sizes must be odd and positive")
    }
    for (s, st) in strides.enumerated() where st.contains(where: { $0 <= 0 }) {
      throw fail("strides[\(s)] is \(describeShape(st)); strides must be positive")
    }
    let depthName = network == .plainConvUNet ? "n_conv_per_stage" : "n_blocks_per_stage"
    guard encoderDepthPerStage.count == n else {
      throw fail("\(depthName) has \(encoderDepthPerStage.count) entries for \(n) stages")
    }
    if encoderDepthPerStage.contains(where: { $0 < 1 }) {
      throw fail("\(depthName) \(describeShape(encoderDepthPerStage)) must be at least 1 per stage")
    }
    guard decoderConvsPerStage.count == n - 1 else {
      throw fail("n_conv_per_stage_decoder has \(decoderConvsPerStage.count) entries; expected n_stages - 1 = \(n - 1)")
    }
    if decoderConvsPerStage.contains(where: { $0 < 1 }) {
      throw fail("n_conv_per_stage_decoder \(describeShape(decoderConvsPerStage)) must be at least 1 per stage")
    }
    guard normalization.epsilon >= 0, normalization.epsilon.isFinite else {
      throw fail("norm eps is \(normalization.epsilon); it must be finite and non-negative")
    }
    guard nonlinearity.negativeSlope.isFinite else { throw fail("negative_slope must be finite") }
  }
}
