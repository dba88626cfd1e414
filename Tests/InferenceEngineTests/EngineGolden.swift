import Foundation
import InferenceEngine
import _TestSupport

/// One configuration of `Tests/Fixtures/engine/` (scripts/fixtures/make_engine_goldens.py): the
/// architecture, the complete PyTorch state_dict, an input and the float64 PyTorch logits.
struct EngineGolden {
  static let names = [
    "plain_2stage_c1", "plain_5stage_c2_aniso", "plain_3stage_c2_oddchannels", "resenc_2stage_c1",
    "resenc_5stage_c2_aniso", "resenc_3stage_c1_nobias_oddchannels",
  ]

  let name: String
  let spec: ArchitectureSpec
  let weights: InMemoryWeights
  let input: Tensor
  let logits: Tensor

  init(_ name: String) throws {
    self.name = name
    let dir = Fixtures.committed("engine")
    let meta =
      try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("\(name).json")))
      as! [String: Any]
    spec = try Self.spec(meta)
    let blob = try Self.floats(dir.appendingPathComponent("\(name).weights.f32"))
    var entries: [(key: String, shape: [Int], values: [Float])] = []
    for p in meta["parameters"] as! [[String: Any]] {
      let shape = p["shape"] as! [Int]
      let offset = p["offset"] as! Int
      let count = shape.reduce(1, *)
      entries.append((p["name"] as! String, shape, Array(blob[offset..<(offset + count)])))
    }
    weights = InMemoryWeights(entries)
    input = Tensor(
      shape: meta["input_shape"] as! [Int], values: try Self.floats(dir.appendingPathComponent("\(name).input.f32")))
    logits = Tensor(
      shape: meta["logits_shape"] as! [Int], values: try Self.floats(dir.appendingPathComponent("\(name).logits.f32")))
  }

  /// The spec the plans-decoding code would build from `arch_kwargs`.
  static func spec(_ meta: [String: Any]) throws -> ArchitectureSpec {
    let kw = meta["arch_kwargs"] as! [String: Any]
    let className = (meta["network_class_name"] as! String).split(separator: ".").last.map(String.init)!
    let network = ArchitectureSpec.Network(rawValue: className)!
    let norm = kw["norm_op_kwargs"] as! [String: Any]
    let nonlin = kw["nonlin_kwargs"] as? [String: Any] ?? [:]
    return ArchitectureSpec(
      network: network, inputChannels: meta["input_channels"] as! Int, numClasses: meta["num_classes"] as! Int,
      featuresPerStage: kw["features_per_stage"] as! [Int], kernelSizes: kw["kernel_sizes"] as! [[Int]],
      strides: kw["strides"] as! [[Int]],
      encoderDepthPerStage: (kw["n_conv_per_stage"] ?? kw["n_blocks_per_stage"]) as! [Int],
      decoderConvsPerStage: kw["n_conv_per_stage_decoder"] as! [Int], convBias: kw["conv_bias"] as! Bool,
      normalization: .init(epsilon: norm["eps"] as! Double, affine: norm["affine"] as! Bool),
      nonlinearity: .init(negativeSlope: nonlin["negative_slope"] as? Double ?? 0.01))
  }

  static func floats(_ url: URL) throws -> [Float] {
    let data = try Data(contentsOf: url)
    return data.withUnsafeBytes { raw in
      (0..<(data.count / 4)).map {
        Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
      }
    }
  }
}

/// Error measures of a result against a reference.
struct Discrepancy: CustomStringConvertible {
  /// ‖a − b‖₂ / ‖b‖₂.
  var relativeL2: Double
  var maxAbsolute: Double
  /// Voxels whose argmax differs, and how many of them are near-ties in the reference (top-2
  /// margin below `nearTie`).
  var argmaxMismatches: Int
  var argmaxMismatchesAtNearTies: Int

  init(_ a: Tensor, _ b: Tensor, nearTie: Float) {
    var diff2 = 0.0
    var ref2 = 0.0
    var maxAbs = 0.0
    for (x, y) in zip(a.values, b.values) {
      let d = Double(x) - Double(y)
      diff2 += d * d
      ref2 += Double(y) * Double(y)
      maxAbs = max(maxAbs, abs(d))
    }
    relativeL2 = (diff2 / ref2).squareRoot()
    maxAbsolute = maxAbs
    let la = a.argmaxOverChannels()
    let lb = b.argmaxOverChannels()
    let v = b.voxelCount
    var mismatches = 0
    var nearTies = 0
    for i in 0..<v where la[i] != lb[i] {
      mismatches += 1
      var top = -Float.infinity
      var second = -Float.infinity
      for c in 0..<b.channels {
        let value = b.values[c * v + i]
        if value > top { (second, top) = (top, value) } else if value > second { second = value }
      }
      if top - second < nearTie { nearTies += 1 }
    }
    argmaxMismatches = mismatches
    argmaxMismatchesAtNearTies = nearTies
  }

  var description: String {
    "relative L2 \(relativeL2), max |diff| \(maxAbsolute), argmax mismatches \(argmaxMismatches) (\(argmaxMismatchesAtNearTies) at near-ties)"
  }
}
