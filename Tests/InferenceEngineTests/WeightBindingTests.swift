import InferenceEngine
import Testing
import _TestSupport

/// Strict binding of a state_dict to an architecture: every problem names its key.
@Suite("Strict weight binding")
struct WeightBindingTests {
  func golden(_ name: String = "plain_2stage_c1") throws -> EngineGolden { try EngineGolden(name) }

  func bindingError(_ spec: ArchitectureSpec, _ weights: InMemoryWeights) -> EngineError? {
    do {
      _ = try UNet(spec: spec, weights: weights)
      return nil
    } catch let error as EngineError {
      return error
    } catch {
      Issue.record("unexpected error \(error)")
      return nil
    }
  }

  @Test("the complete PyTorch state_dict, aliases included, binds")
  func completeStateDict() throws {
    for name in EngineGolden.names {
      let g = try golden(name)
      #expect(g.weights.keys.contains { $0.contains(".all_modules.") })
      #expect(g.weights.keys.contains { $0.hasPrefix("decoder.encoder.") })
      _ = try UNet(spec: g.spec, weights: g.weights)
    }
  }

  @Test("a missing parameter is named with its expected shape")
  func missing() throws {
    let g = try golden()
    var w = g.weights
    w.remove("decoder.stages.0.convs.1.conv.weight")
    let e = try #require(bindingError(g.spec, w))
    #expect(e.code == .missingParameter)
    #expect(e.key == "decoder.stages.0.convs.1.conv.weight")
    #expect(
      e.message
        == "decoder.stages.0.convs.1.conv.weight: missing from the weights (expected [8, 8, 3, 3, 3]); the checkpoint does not match this PlainConvUNet architecture"
    )
  }

  @Test("a wrong shape is named with expected and found shapes")
  func wrongShape() throws {
    let g = try golden()
    var w = g.weights
    w.set(
      "decoder.stages.0.convs.0.conv.weight", shape: [8, 12, 3, 3, 3], values: .init(repeating: 0, count: 8 * 12 * 27))
    let e = try #require(bindingError(g.spec, w))
    #expect(e.code == .shapeMismatch)
    #expect(e.message == "decoder.stages.0.convs.0.conv.weight: expected [8, 16, 3, 3, 3], found [8, 12, 3, 3, 3]")
  }

  @Test("a spec that disagrees with the checkpoint fails on the first differing key")
  func specMismatch() throws {
    let g = try golden()
    var spec = g.spec
    spec.featuresPerStage = [8, 24]
    let e = try #require(bindingError(spec, g.weights))
    #expect(e.message == "encoder.stages.1.0.convs.0.conv.weight: expected [24, 8, 3, 3, 3], found [16, 8, 3, 3, 3]")
  }

  @Test("unexpected keys are all listed; aliases are not")
  func unexpected() throws {
    let g = try golden()
    var w = g.weights
    w.set(
      "decoder.stages.0.convs.2.conv.weight", shape: [8, 8, 3, 3, 3], values: .init(repeating: 0, count: 8 * 8 * 27))
    w.set("encoder.extra.bias", shape: [4], values: [0, 0, 0, 0])
    w.set("decoder.encoder.anything", shape: [1], values: [0])
    let e = try #require(bindingError(g.spec, w))
    #expect(e.code == .unexpectedParameters)
    #expect(e.key == "decoder.stages.0.convs.2.conv.weight")
    #expect(
      e.message
        == "unexpected parameters that PlainConvUNet does not have: decoder.stages.0.convs.2.conv.weight [8, 8, 3, 3, 3], encoder.extra.bias [4]; the checkpoint was trained with a different architecture"
    )
  }

  @Test("unused deep-supervision heads are optional but shape-checked")
  func deepSupervisionHeads() throws {
    let g = try golden("resenc_3stage_c1_nobias_oddchannels")
    var w = g.weights
    w.remove("decoder.seg_layers.0.weight")
    w.remove("decoder.seg_layers.0.bias")
    _ = try UNet(spec: g.spec, weights: w)
    w.set("decoder.seg_layers.0.weight", shape: [3, 5, 1, 1, 1], values: .init(repeating: 0, count: 15))
    let e = try #require(bindingError(g.spec, w))
    #expect(e.message == "decoder.seg_layers.0.weight: expected [3, 6, 1, 1, 1], found [3, 5, 1, 1, 1]")
  }

  @Test("ResEnc projection keys: skip.1 after pooling, skip.0 without")
  func residualSkipKeys() throws {
    let g = try golden("resenc_3stage_c1_nobias_oddchannels")
    #expect(g.weights.keys.contains("encoder.stages.1.blocks.0.skip.0.conv.weight"))
    #expect(g.weights.keys.contains("encoder.stages.2.blocks.0.skip.1.conv.weight"))
    var w = g.weights
    w.remove("encoder.stages.1.blocks.0.skip.0.norm.bias")
    let e = try #require(bindingError(g.spec, w))
    #expect(e.key == "encoder.stages.1.blocks.0.skip.0.norm.bias")
  }

  @Test("value count and non-finite values are rejected")
  func invalidData() throws {
    let g = try golden()
    var w = g.weights
    w.set("decoder.seg_layers.0.bias", shape: [3], values: [0, 0])
    #expect(bindingError(g.spec, w)?.code == .invalidWeightData)
    w.set("decoder.seg_layers.0.bias", shape: [3], values: [0, .nan, 0])
    let e = try #require(bindingError(g.spec, w))
    #expect(e.message == "decoder.seg_layers.0.bias: value nan at flat index 1 is not finite")
  }
}
