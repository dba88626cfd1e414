/// The network a configuration builds (plans `architecture`, nnunet-inference.md 1.4/1.5): the
/// constructor arguments of dynamic_network_architectures' `PlainConvUNet` or
/// `ResidualEncoderUNet`, decoded from new-style `arch_kwargs` or converted from old-style
/// (v2.0–v2.2) plans exactly as nnU-Net's `ConfigurationManager` does.
public struct NetworkArchitecture: Sendable, Equatable {
  public enum Kind: String, Sendable {
    case plainConvUNet = "PlainConvUNet"
    case residualEncoderUNet = "ResidualEncoderUNet"
  }

  public var kind: Kind
  /// The dotted class name as written in the plans.
  public var className: String
  /// 3 for Conv3d networks, 2 for Conv2d.
  public var dimension: Int
  public var stageCount: Int
  public var featuresPerStage: [Int]
  public var kernelSizes: [[Int]]
  public var strides: [[Int]]
  /// Convolutions (PlainConvUNet) or residual blocks (ResidualEncoderUNet) per encoder stage.
  public var encoderDepthPerStage: [Int]
  /// Convolutions per decoder stage (`stageCount - 1` entries).
  public var convsPerDecoderStage: [Int]
  public var convBias: Bool
  /// InstanceNorm eps and affine.
  public var normEpsilon: Double
  public var normAffine: Bool
  /// LeakyReLU negative slope (PyTorch default 0.01).
  public var negativeSlope: Double

  init(json: JSONValue) throws {
    let className = try json.member("network_class_name").string()
    self.className = className
    let short = className.split(separator: ".").last.map(String.init) ?? className
    guard let kind = Kind(rawValue: short) else {
      throw json.child("network_class_name", .null).fail("network class \(className) is not supported (PlainConvUNet, ResidualEncoderUNet)", .unsupported)
    }
    self.kind = kind
    let kw = try json.member("arch_kwargs")
    stageCount = try kw.member("n_stages").int()
    featuresPerStage = try kw.member("features_per_stage").ints()
    let convOp = try kw.member("conv_op").string()
    dimension = convOp.hasSuffix("Conv3d") ? 3 : (convOp.hasSuffix("Conv2d") ? 2 : 0)
    guard dimension != 0 else { throw kw.child("conv_op", .null).fail("conv_op \(convOp) is not supported", .unsupported) }
    kernelSizes = try kw.member("kernel_sizes").intLists()
    strides = try kw.member("strides").intLists()
    let depthKey = kind == .plainConvUNet ? "n_conv_per_stage" : "n_blocks_per_stage"
    encoderDepthPerStage = try kw.member(depthKey).ints()
    convsPerDecoderStage = try kw.member("n_conv_per_stage_decoder").ints()
    convBias = try kw.optionalMember("conv_bias")?.bool() ?? false
    let normOp = try kw.optionalMember("norm_op")?.string() ?? ""
    guard normOp.hasSuffix("InstanceNorm3d") || normOp.hasSuffix("InstanceNorm2d") else {
      throw kw.child("norm_op", .null).fail("norm_op '\(normOp)' is not supported (InstanceNorm)", .unsupported)
    }
    let normKwargs = try kw.optionalMember("norm_op_kwargs")
    normEpsilon = try normKwargs?.optionalMember("eps")?.double() ?? 1e-5
    normAffine = try normKwargs?.optionalMember("affine")?.bool() ?? true
    let nonlin = try kw.optionalMember("nonlin")?.string() ?? ""
    guard nonlin.hasSuffix("LeakyReLU") else {
      throw kw.child("nonlin", .null).fail("nonlin '\(nonlin)' is not supported (LeakyReLU)", .unsupported)
    }
    negativeSlope = try kw.optionalMember("nonlin_kwargs")?.optionalMember("negative_slope")?.double() ?? 0.01
    try validate(json)
  }

  /// Old-style plans (no `architecture` key): `features[i] = min(base · 2^i, max)`, kernels and
  /// strides from `conv_kernel_sizes` / `pool_op_kernel_sizes`, conv bias, InstanceNorm(eps 1e-5,
  /// affine), LeakyReLU(0.01).
  init(oldStyle c: JSONValue, patchDimension: Int) throws {
    let name = try c.member("UNet_class_name").string()
    guard let kind = Kind(rawValue: name) else {
      throw c.child("UNet_class_name", .null).fail("network class \(name) is not supported", .unsupported)
    }
    self.kind = kind
    className = "dynamic_network_architectures.architectures.unet.\(name)"
    dimension = patchDimension
    encoderDepthPerStage = try c.member("n_conv_per_stage_encoder").ints()
    convsPerDecoderStage = try c.member("n_conv_per_stage_decoder").ints()
    stageCount = encoderDepthPerStage.count
    let base = try c.member("UNet_base_num_features").int()
    let maximum = try c.member("unet_max_num_features").int()
    featuresPerStage = (0..<stageCount).map { min(base << $0, maximum) }
    kernelSizes = try c.member("conv_kernel_sizes").intLists()
    strides = try c.member("pool_op_kernel_sizes").intLists()
    convBias = true
    normEpsilon = 1e-5
    normAffine = true
    negativeSlope = 0.01
    try validate(c)
  }

  /// Sanity caps on a plans file's network (nnU-Net plans use 5-7 stages, at most 320 features in
  /// 3-D and 512 in 2-D, 1-4 blocks per stage, kernels of 1 or 3, strides 1 or 2): far above
  /// every real model, low enough that no value allocates absurd buffers.
  static let maxStages = 16, maxFeatures = 4096, maxDepth = 64, maxKernel = 15

  private func validate(_ json: JSONValue) throws {
    func check(_ ok: Bool, _ message: String) throws { if !ok { throw json.fail(message) } }
    try check((1...Self.maxStages).contains(stageCount), "n_stages must be 1...\(Self.maxStages), found \(stageCount)")
    try check(featuresPerStage.count == stageCount, "features_per_stage has \(featuresPerStage.count) entries for \(stageCount) stages")
    try check(featuresPerStage.allSatisfy { (1...Self.maxFeatures).contains($0) },
      "features_per_stage \(featuresPerStage) must be 1...\(Self.maxFeatures) per stage")
    try check(encoderDepthPerStage.allSatisfy { (1...Self.maxDepth).contains($0) },
      "convolutions/blocks per encoder stage \(encoderDepthPerStage) must be 1...\(Self.maxDepth)")
    try check(convsPerDecoderStage.allSatisfy { (1...Self.maxDepth).contains($0) },
      "n_conv_per_stage_decoder \(convsPerDecoderStage) must be 1...\(Self.maxDepth)")
    try check(kernelSizes.joined().allSatisfy { $0 <= Self.maxKernel } && strides.joined().allSatisfy { $0 <= Self.maxKernel },
      "kernel sizes and strides must be at most \(Self.maxKernel)")
    try check(kernelSizes.count == stageCount && kernelSizes.allSatisfy { $0.count == dimension && $0.allSatisfy { $0 >= 1 && $0 % 2 == 1 } },
      "kernel_sizes must have \(stageCount) entries of \(dimension) odd sizes")
    try check(strides.count == stageCount && strides.allSatisfy { $0.count == dimension && $0.allSatisfy { $0 >= 1 } },
      "strides must have \(stageCount) entries of \(dimension) positive sizes")
    try check(encoderDepthPerStage.count == stageCount, "encoder depth has \(encoderDepthPerStage.count) entries for \(stageCount) stages")
    try check(convsPerDecoderStage.count == stageCount - 1, "n_conv_per_stage_decoder needs \(stageCount - 1) entries")
  }
}
