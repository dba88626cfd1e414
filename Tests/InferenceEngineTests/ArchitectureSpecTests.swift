import Foundation
import InferenceEngine
import Testing

@Suite("ArchitectureSpec and input validation")
struct ArchitectureSpecTests {
  static let valid = ArchitectureSpec(
    network: .plainConvUNet, inputChannels: 1, numClasses: 3, featuresPerStage: [8, 16],
    kernelSizes: [[1, 3, 3], [3, 3, 3]], strides: [[1, 1, 1], [1, 2, 2]], encoderDepthPerStage: [2, 2],
    decoderConvsPerStage: [2])

  @Test("defaults are nnU-Net's")
  func defaults() {
    #expect(Self.valid.convBias)
    #expect(Self.valid.normalization == .init(epsilon: 1e-5, affine: true))
    #expect(Self.valid.nonlinearity.negativeSlope == 0.01)
    #expect(Self.valid.requiredTileDivisor == [1, 2, 2])
  }

  @Test("Codable round trip")
  func codable() throws {
    let data = try JSONEncoder().encode(Self.valid)
    #expect(try JSONDecoder().decode(ArchitectureSpec.self, from: data) == Self.valid)
  }

  static func changed(_ change: (inout ArchitectureSpec) -> Void) -> ArchitectureSpec {
    var spec = valid
    change(&spec)
    return spec
  }

  static let invalidCases: [(String, ArchitectureSpec)] = [
    ("kernel_sizes has 1 entries for 2 stages", changed { $0.kernelSizes = [[3, 3, 3]] }),
    ("kernel_sizes[1] is [3, 2, 3]; sizes must be odd and positive", changed { $0.kernelSizes[1] = [3, 2, 3] }),
    ("strides[0] is [1, 1]; 3-D networks need 3 entries", changed { $0.strides[0] = [1, 1] }),
    (
      "n_conv_per_stage_decoder has 2 entries; expected n_stages - 1 = 1", changed { $0.decoderConvsPerStage = [1, 1] }
    ),
    ("n_stages is 1; a U-Net needs at least 2 stages", changed { $0.featuresPerStage = [8] }),
    (
      "n_blocks_per_stage has 1 entries for 2 stages",
      changed {
        $0.network = .residualEncoderUNet
        $0.encoderDepthPerStage = [1]
      }
    ),
  ]

  @Test("inconsistent specs are rejected with the field named", arguments: invalidCases)
  func invalid(expected: String, spec: ArchitectureSpec) {
    #expect(throws: EngineError.self) { try spec.validate() }
    do { try spec.validate() } catch let e as EngineError {
      #expect(e.code == .invalidArchitecture)
      #expect(e.message.hasSuffix(expected), "\(e.message)")
    } catch {}
  }

  @Test("input shapes must match channels and be divisible by the strides")
  func inputShapes() throws {
    let golden = try EngineGolden("plain_5stage_c2_aniso")
    let net = try UNet(spec: golden.spec, weights: golden.weights)
    #expect(golden.spec.requiredTileDivisor == [4, 16, 4])
    try net.validateInputShape([2, 4, 16, 4])
    for (shape, message) in [
      ([1, 12, 16, 20], "input shape [1, 12, 16, 20] has 1 channels; the network takes 2"),
      (
        [2, 12, 24, 20],
        "input shape [2, 12, 24, 20]: spatial extent 24 on axis 1 is not a positive multiple of 16, the product of the network's strides on that axis; pad the tile"
      ),
      ([2, 12, 16], "input shape [2, 12, 16] must be [C, D, H, W]"),
    ] {
      #expect(throws: EngineError.self) { try net.validateInputShape(shape) }
      do { try net.validateInputShape(shape) } catch let e as EngineError { #expect(e.message == message) } catch {}
    }
    #expect(throws: EngineError.self) { try net.forward(input: [0, 1], shape: [2, 4, 16, 4]) }
  }
}

@Suite("Tensor channel reductions")
struct TensorTests {
  @Test("argmax picks the first maximum; softmax sums to one")
  func reductions() {
    // 3 channels x 4 voxels.
    let t = Tensor(shape: [3, 1, 1, 4], values: [1, 5, 2, 0, 3, 5, 2, -1, 2, 1, 2, -2])
    #expect(t.argmaxOverChannels() == [1, 0, 0, 0])
    let p = t.softmaxOverChannels()
    for i in 0..<4 {
      let sum = (0..<3).reduce(Float(0)) { $0 + p.values[$1 * 4 + i] }
      #expect(abs(sum - 1) < 1e-6)
    }
    #expect(abs(p.values[0] - Float(exp(1.0) / (exp(1.0) + exp(3.0) + exp(2.0)))) < 1e-6)
  }
}
