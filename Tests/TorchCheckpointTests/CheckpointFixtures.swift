import Foundation
import TorchCheckpoint
import _TestSupport

/// Goldens written by `scripts/fixtures/make_checkpoint_goldens.py` (torch, nnunetv2).
enum CheckpointFixtures {
  static func url(_ relative: String) -> URL { Fixtures.committed("checkpoint/" + relative) }

  static func bytes(_ relative: String) -> [UInt8] {
    (try? [UInt8](Data(contentsOf: url(relative)))) ?? []
  }

  struct TensorRecord: Decodable, Sendable {
    var key: String
    var dtype: String
    var shape: [Int]
    var strides: [Int]
    var offset: Int
    var storageBytes: Int
    var fnv1a64: String
    var sum: Double?
    var weightedSum: Double?
  }

  struct Expected: Decodable, Sendable {
    var file: String
    var trainerName: String?
    var mirroringAxes: [Int]?
    var configuration: String?
    var fold: Int?
    var parameterCount: Int?
    var tensors: [TensorRecord]
  }

  struct CraftedCase: Decodable, Sendable, CustomStringConvertible {
    var file: String
    /// "pickle": a bare pickle stream; "zip": opening must fail; "zipread": reading tensors must fail.
    var kind: String
    var code: String
    var contains: String
    var description: String { file }
  }

  struct Crafted: Decodable {
    var marker: String
    var cases: [CraftedCase]
  }

  static let expected: [String: Expected] = {
    (try? JSONDecoder().decode([String: Expected].self, from: Data(contentsOf: url("expected.json")))) ?? [:]
  }()

  static var expectedNames: [String] { expected.keys.sorted() }

  static let crafted: Crafted = {
    (try? JSONDecoder().decode(Crafted.self, from: Data(contentsOf: url("crafted.json"))))
      ?? Crafted(marker: "", cases: [])
  }()
}

/// FNV-1a, 64 bit, as the generator computes it (independent of zlib's CRC used by the reader).
func fnv1a64(_ bytes: [UInt8]) -> String {
  var hash: UInt64 = 0xCBF2_9CE4_8422_2325
  for byte in bytes {
    hash ^= UInt64(byte)
    hash = hash &* 0x100_0000_01B3
  }
  let digits = String(hash, radix: 16)
  return String(repeating: "0", count: 16 - digits.count) + digits
}
