import Foundation
import Testing
import TorchCheckpoint
import _TestSupport

@Suite("Checkpoints written by torch.save (goldens)")
struct GoldenCheckpointTests {
  @Test("every tensor equals PyTorch's bit for bit", arguments: CheckpointFixtures.expectedNames)
  func tensorsBitExact(name: String) throws {
    let expected = try #require(CheckpointFixtures.expected[name])
    let checkpoint = try TorchCheckpoint(contentsOf: CheckpointFixtures.url(expected.file))
    let weights = try checkpoint.networkWeights
    #expect(weights.keys == expected.tensors.map(\.key), "key order")
    for record in expected.tensors {
      let tensor = try #require(weights[record.key])
      #expect(tensor.dtype.rawValue == record.dtype, "\(record.key)")
      #expect(tensor.shape == record.shape, "\(record.key)")
      #expect(tensor.strides == record.strides, "\(record.key)")
      #expect(tensor.storageOffset == record.offset, "\(record.key)")
      #expect(tensor.reference.storage.elementCount * tensor.dtype.byteCount == record.storageBytes, "\(record.key)")
      #expect(fnv1a64(try tensor.contiguousBytes()) == record.fnv1a64, "\(record.key) bytes")
      // float64 -> Float rounds, so sums say little there; `float64RoundsToNearest` covers it.
      if let sum = record.sum, let weighted = record.weightedSum, tensor.dtype != .float64 {
        let values = try tensor.floats().map(Double.init)
        #expect(values.count == tensor.elementCount)
        // float16/bfloat16/float32 widen exactly; the sums differ only by summation order
        // (torch sums pairwise in float64): 1e-12 relative.
        let rtol = 1e-12
        let ours = values.reduce(0, +)
        let oursWeighted = values.enumerated().reduce(0) { $0 + $1.element * Double($1.offset + 1) }
        #expect(abs(ours - sum) <= 1e-9 + rtol * abs(sum), "\(record.key) sum \(ours) vs \(sum)")
        #expect(abs(oursWeighted - weighted) <= 1e-9 + rtol * abs(weighted), "\(record.key) weighted sum")
      }
    }
  }

  @Test(
    "nnU-Net accessors: trainer, mirroring axes, init args, parameter count",
    arguments: CheckpointFixtures.expectedNames)
  func nnunetAccessors(name: String) throws {
    let expected = try #require(CheckpointFixtures.expected[name])
    let checkpoint = try TorchCheckpoint(contentsOf: CheckpointFixtures.url(expected.file))
    #expect(checkpoint.trainerName == expected.trainerName)
    #expect(checkpoint.inferenceAllowedMirroringAxes == expected.mirroringAxes)
    #expect(checkpoint.initArgs?.configuration == expected.configuration)
    if let fold = expected.fold { #expect(checkpoint.initArgs?.fold == .index(fold)) }
    if let count = expected.parameterCount {
      #expect(try checkpoint.networkWeights.distinctElementCount == count)
      #expect(checkpoint.initArgs?.device == "cpu")
      #expect(
        checkpoint.initArgs?.plans?["configurations"]?["3d_fullres"]?["patch_size"]
          == .list([.int(16), .int(16), .int(16)]))
    }
  }

  @Test("aliases: all_modules.* and decoder.encoder.* share the canonical storages")
  func aliases() throws {
    let weights = try TorchCheckpoint(contentsOf: CheckpointFixtures.url("valid/plainconv_fp32_fold0.pth"))
      .networkWeights
    let canonical = "encoder.stages.0.0.convs.0.conv.weight"
    #expect(weights.aliasOf(canonical) == nil)
    #expect(weights.aliasOf("encoder.stages.0.0.convs.0.all_modules.0.weight") == canonical)
    #expect(weights.aliasOf("decoder.encoder.stages.0.0.convs.0.conv.weight") == canonical)
    #expect(weights["decoder.encoder.stages.0.0.convs.0.conv.weight"]?.storageKey == weights[canonical]?.storageKey)
    #expect(weights.distinctTensors.count < weights.count)
  }

  @Test("bookkeeping is tolerated: optimizer state, NumPy scalars in logging, _best_ema")
  func bookkeeping() throws {
    let checkpoint = try TorchCheckpoint(contentsOf: CheckpointFixtures.url("valid/resenc_fp32_fold0.pth"))
    #expect(checkpoint.root["_best_ema"]?.doubleValue == 0.8125)
    #expect(checkpoint.root["current_epoch"] == .int(3))
    #expect(checkpoint.root["grad_scaler_state"] == PickleValue.none)
    let dice = try #require(checkpoint.root["logging"]?["mean_fg_dice"]?.sequence)
    #expect(dice.count == 3)
    guard case .numpyScalar(let dtype, let bytes) = dice[0] else {
      Issue.record("expected a NumPy scalar, got \(dice[0])")
      return
    }
    #expect(dtype == "<f8" && bytes.count == 8)
    #expect(dice[0].doubleValue.map { (0..<1).contains($0) } == true)
    let optimizer = try #require(checkpoint.root["optimizer_state"]?.dictionary)
    let state = try #require(optimizer["state"]?.dictionary)
    #expect(state.count > 0)
    guard case .tensor(let momentum)? = state.entries.first?.value["momentum_buffer"] else {
      Issue.record("expected a momentum buffer tensor")
      return
    }
    #expect(momentum.storage.dtype == .float32)
    #expect(optimizer["param_groups"]?.sequence?.first?["nesterov"] == .bool(true))
  }

  @Test("fp16 state dicts keep their dtype and aliasing")
  func halfPrecision() throws {
    let weights = try TorchCheckpoint(contentsOf: CheckpointFixtures.url("valid/plainconv_fp16_fold0.pth"))
      .networkWeights
    #expect(weights.tensors.allSatisfy { $0.dtype == .float16 })
    #expect(
      weights.aliasOf("decoder.encoder.stages.0.0.convs.0.conv.weight") == "encoder.stages.0.0.convs.0.conv.weight")
  }

  @Test("re-packed archives read identically: big-endian, DEFLATE, zip64, other folder name")
  func repacked() throws {
    let reference = try TorchCheckpoint(contentsOf: CheckpointFixtures.url("valid/dtypes.pth"))
    #expect(!reference.isBigEndian)
    #expect(reference.archiveName == "dtypes")
    #expect(reference.formatVersion == 3)
    #expect(try TorchCheckpoint(contentsOf: CheckpointFixtures.url("valid/dtypes_bigendian.pth")).isBigEndian)
    #expect(
      try TorchCheckpoint(contentsOf: CheckpointFixtures.url("valid/dtypes_renamed_archive.pth")).archiveName
        == "archive")
  }

  @Test("in-memory and file reads agree")
  func memory() throws {
    let bytes = CheckpointFixtures.bytes("valid/dtypes.pth")
    let a = try TorchCheckpoint(bytes: bytes).networkWeights
    let b = try TorchCheckpoint(contentsOf: CheckpointFixtures.url("valid/dtypes.pth")).networkWeights
    for (x, y) in zip(a.tensors, b.tensors) {
      #expect(try x.contiguousBytes() == y.contiguousBytes())
    }
  }

  @Test("float64 tensors convert to Float by rounding to nearest even")
  func float64RoundsToNearest() throws {
    let tensor = try #require(
      try TorchCheckpoint(contentsOf: CheckpointFixtures.url("valid/dtypes.pth")).networkWeights["f64"])
    let raw = try tensor.contiguousBytes()
    let doubles = stride(from: 0, to: raw.count, by: 8).map { at in
      Double(bitPattern: raw[at..<(at + 8)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }
    #expect(try tensor.floats() == doubles.map { Float($0) })
  }

  @Test("integer and bool tensors read as Int64; Float is refused for them")
  func integers() throws {
    let weights = try TorchCheckpoint(contentsOf: CheckpointFixtures.url("valid/dtypes.pth")).networkWeights
    #expect(try weights["i64"]?.int64s() == Array(-5..<7))
    #expect(try weights["i32"]?.int64s() == [-(1 << 31), 0, (1 << 31) - 1])
    #expect(try weights["bool"]?.int64s() == [1, 0, 1])
    #expect(try weights["u8"]?.int64s() == stride(from: 0, to: 256, by: 17).map(Int64.init))
    #expect(throws: CheckpointError.self) { try weights["i64"]?.floats() }
    #expect(
      try weights["f16_special"]?.floats() == [
        0, -0.0, .infinity, -.infinity, Float(Float16(6.1e-5)), Float(Float16(5.96e-8)), 65504,
      ])
    #expect(try weights["scalar"]?.floats() == [3.25])
    #expect(try weights["empty"]?.floats() == [])
  }
}
