import InferenceEngine

/// The networks of the benchmark (b), as nnU-Net plans would describe them.
enum BenchmarkNetwork: String, CaseIterable {
  /// TotalVibeSegmentator-sized PlainConvUNet: 6 stages, 32..320 features, 3x3x3 kernels,
  /// strides [1,1,1] then [2,2,2] x5, 2 convs per stage, patch 128 x 96 x 128, 51 classes (the
  /// seg-head width conv-backend.md measured); about 31 M parameters.
  case totalvibe
  /// nnU-Net ResEnc-L preset (nnUNetResEncUNetLPlans): blocks [1,3,4,6,6,6], 1 decoder conv per
  /// stage, patch 160 x 128 x 192, 51 classes; about 100 M parameters.
  case resencl
  /// Widths that are not multiples of 8 (issue 20): PlainConvUNet, features 6, 12, 16, 20,
  /// 3x3x3 kernels, strides [1,1,1] then [2,2,2] x3, 2 convs per stage, 1 input channel,
  /// 8 classes, patch 64 x 128 x 128.
  case oddwidth

  var spec: ArchitectureSpec {
    let k = [[Int]](repeating: [3, 3, 3], count: 6)
    let s = [[1, 1, 1]] + [[Int]](repeating: [2, 2, 2], count: 5)
    let f = [32, 64, 128, 256, 320, 320]
    switch self {
    case .totalvibe:
      return ArchitectureSpec(
        network: .plainConvUNet, inputChannels: 1, numClasses: 51, featuresPerStage: f, kernelSizes: k, strides: s,
        encoderDepthPerStage: [2, 2, 2, 2, 2, 2], decoderConvsPerStage: [2, 2, 2, 2, 2])
    case .oddwidth:
      return ArchitectureSpec(
        network: .plainConvUNet, inputChannels: 1, numClasses: 8, featuresPerStage: [6, 12, 16, 20],
        kernelSizes: Array(k.prefix(4)), strides: Array(s.prefix(4)), encoderDepthPerStage: [2, 2, 2, 2],
        decoderConvsPerStage: [2, 2, 2])
    case .resencl:
      return ArchitectureSpec(
        network: .residualEncoderUNet, inputChannels: 1, numClasses: 51, featuresPerStage: f, kernelSizes: k,
        strides: s, encoderDepthPerStage: [1, 3, 4, 6, 6, 6], decoderConvsPerStage: [1, 1, 1, 1, 1])
    }
  }

  var patch: [Int] {
    switch self {
    case .totalvibe: [128, 96, 128]
    case .resencl: [160, 128, 192]
    case .oddwidth: [64, 128, 128]
    }
  }
}
