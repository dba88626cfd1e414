import Testing
import _TestSupport
@_spi(Benchmarks) import InferenceEngine

/// Activation memory of model 100's tile (issue 20): nnU-Net's ResEnc-L preset
/// (`nnUNetResEncUNetLPlans`: ResidualEncoderUNet, features 32-320, blocks [1, 3, 4, 6, 6, 6], one
/// decoder convolution per stage, 73 classes) on its 160 x 128 x 192 patch, worked out from the
/// plan alone (no weights). A full-resolution 32-channel tensor of this tile is
/// 32 · 160 · 128 · 192 · 4 B = 503 MB.
@Suite("Activation memory")
struct ActivationMemoryTests {
  static let resEncL = ArchitectureSpec(
    network: .residualEncoderUNet, inputChannels: 1, numClasses: 73, featuresPerStage: [32, 64, 128, 256, 320, 320],
    kernelSizes: Array(repeating: [3, 3, 3], count: 6), strides: [[1, 1, 1]] + Array(repeating: [2, 2, 2], count: 5),
    encoderDepthPerStage: [1, 3, 4, 6, 6, 6], decoderConvsPerStage: [1, 1, 1, 1, 1])
  static let tile = [1, 160, 128, 192]
  static let level0 = 32 * 160 * 128 * 192 * 4

  /// Stage 0 is the peak: the stem's output (the first block's shortcut) and conv1's output,
  /// which conv2 overwrites in depth chunks and which becomes the skip, plus 16-slice windows.
  /// Before the residual blocks ran in place (2026-12-07) the plan held four such tensors
  /// (1920 MiB): the stem's output, a skip buffer opened at the stage's start, conv1's and
  /// conv2's outputs.
  @Test("model 100's tile holds two full-resolution tensors and a few windows")
  func resEncL() throws {
    let (packed, peak) = try UNet.plannedActivationBytes(spec: Self.resEncL, shape: Self.tile)
    print("ResEnc-L 160x128x192: packed \(packed >> 20) MiB, peak live \(peak >> 20) MiB, level-0 tensor \(Self.level0 >> 20) MiB")
    #expect(peak <= packed)
    #expect(packed >= 2 * Self.level0, "two level-0 tensors are alive at once in stage 0's block")
    #expect(packed <= 2 * Self.level0 + Self.level0 / 4, "packed \(packed >> 20) MiB")
    // Without depth chunking, conv2 needs its own output buffer: three tensors at least.
    let whole = try UNet.plannedActivationBytes(spec: Self.resEncL, shape: Self.tile, options: .init(chunkingThreshold: .max))
    #expect(whole.packedBytes >= 3 * Self.level0, "whole \(whole.packedBytes >> 20) MiB")
  }
}
