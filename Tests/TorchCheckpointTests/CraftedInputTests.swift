import Foundation
import Testing
import TorchCheckpoint
import _TestSupport

/// reliability.md R5/R7: malicious and malformed checkpoints are rejected with a
/// `CheckpointError` that names what was wrong — no trap, nothing executed, nothing written.
@Suite("Crafted pickles and zips (goldens from make_checkpoint_goldens.py)")
struct CraftedInputTests {
  static let cases = CheckpointFixtures.crafted.cases

  @Test("each crafted file is rejected with the expected code and message", arguments: cases)
  func rejected(_ crafted: CheckpointFixtures.CraftedCase) throws {
    let url = CheckpointFixtures.url(crafted.file)
    var caught: CheckpointError? = nil
    do {
      switch crafted.kind {
      case "pickle":
        _ = try Unpickler.value(from: CheckpointFixtures.bytes(crafted.file))
      case "zip":
        _ = try TorchCheckpoint(contentsOf: url)
      default:  // "zipread": the directory may be fine; reading the data must fail
        let checkpoint = try TorchCheckpoint(contentsOf: url)
        try Self.readEverything(checkpoint)
      }
    } catch let error as CheckpointError {
      caught = error
    }
    let error = try #require(caught, "\(crafted.file) was accepted")
    #expect(error.code.rawValue == crafted.code, "\(error)")
    #expect(error.description.contains(crafted.contains), "\(error)")
  }

  /// Reads every storage of every entry the checkpoint has (bookkeeping included).
  static func readEverything(_ checkpoint: TorchCheckpoint) throws {
    for tensor in try checkpoint.networkWeights.tensors { _ = try tensor.contiguousBytes() }
    for storage in checkpoint.storages.values {
      let reference = TensorReference(
        storage: storage, storageOffset: 0, shape: [storage.elementCount], strides: [1], requiresGrad: false)
      _ = try checkpoint.tensor(reference, key: "storage \(storage.key)").contiguousBytes()
    }
    _ = try checkpoint.readUnreferencedEntries()
  }

  @Test("no payload ran: the marker file the payloads would create does not exist")
  func nothingWritten() throws {
    for crafted in Self.cases {
      _ = try? Unpickler.value(from: CheckpointFixtures.bytes(crafted.file))
      _ = try? TorchCheckpoint(contentsOf: CheckpointFixtures.url(crafted.file)).networkWeights
    }
    #expect(!CheckpointFixtures.crafted.marker.isEmpty)
    #expect(!FileManager.default.fileExists(atPath: CheckpointFixtures.crafted.marker))
  }

  @Test(
    "truncating a valid data.pkl at every byte is rejected cleanly",
    arguments: ["valid/plainconv_fp32_fold0.data.pkl", "valid/dtypes.data.pkl"])
  func truncatedPickle(_ file: String) async throws {
    let bytes = CheckpointFixtures.bytes(file)
    #expect(bytes.count > 1000)
    _ = try Unpickler.value(from: bytes)  // the whole stream is valid
    // Every prefix, spread over the cores (a debug build parses ~2 MB/s).
    let workers = max(2, ProcessInfo.processInfo.activeProcessorCount)
    let outcomes = await withTaskGroup(of: [String].self) { group in
      for worker in 0..<workers {
        group.addTask {
          var problems: [String] = []
          for length in stride(from: worker, to: bytes.count, by: workers) {
            do throws(CheckpointError) {
              _ = try Unpickler.value(from: Array(bytes[0..<length]))
              problems.append("prefix of \(length) bytes accepted")
            } catch {
              if error.code != .malformedPickle { problems.append("prefix of \(length) bytes: \(error)") }
            }
          }
          return problems
        }
      }
      return await group.reduce(into: []) { $0 += $1 }
    }
    #expect(outcomes.isEmpty, "\(outcomes.prefix(5))")
  }

  @Test("truncating a valid checkpoint file at every byte is rejected cleanly")
  func truncatedArchive() throws {
    let bytes = CheckpointFixtures.bytes("valid/dtypes.pth")
    _ = try TorchCheckpoint(bytes: bytes).networkWeights
    for length in 0..<bytes.count {
      #expect(throws: CheckpointError.self, "prefix \(length)") { try TorchCheckpoint(bytes: Array(bytes[0..<length])) }
    }
  }

  @Test("flipping any single byte of a checkpoint never traps and never yields different tensor bytes")
  func bitFlips() throws {
    let bytes = CheckpointFixtures.bytes("valid/dtypes.pth")
    let reference = try TorchCheckpoint(bytes: bytes).networkWeights.tensors.map { try $0.contiguousBytes() }
    for position in 0..<bytes.count {
      var mutated = bytes
      mutated[position] ^= 0x5A
      guard let weights = try? TorchCheckpoint(bytes: mutated).networkWeights else { continue }
      // Accepted only if the flip hit bytes nothing depends on (padding, timestamps, the
      // serialization id): then every tensor must read exactly as before, or fail its CRC.
      for (tensor, expected) in zip(weights.tensors, reference) {
        if let got = try? tensor.contiguousBytes() {
          #expect(got == expected, "flip at \(position) changed \(tensor.key)")
        }
      }
    }
  }

  @Test("crashers found by fuzzing stay fixed")
  func crashers() throws {
    let folder = CheckpointFixtures.url("crashers")
    let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    for name in files.sorted() where !name.hasPrefix(".") && name != "README.md" {
      let bytes = CheckpointFixtures.bytes("crashers/" + name)
      _ = try? Unpickler.value(from: bytes)
      if let checkpoint = try? TorchCheckpoint(bytes: bytes) { _ = try? Self.readEverything(checkpoint) }
    }
  }
}
