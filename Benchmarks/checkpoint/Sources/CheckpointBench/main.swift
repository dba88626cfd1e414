// Opens an nnU-Net checkpoint and loads every distinct network_weights tensor as [Float] — what
// the engine does before binding weights — keeping them all alive until the end, like torch.load.
// Prints tensors, parameters, bytes and the in-process load time.
//   CheckpointBench CHECKPOINT.pth [THREADS]   (THREADS > 1: tensors read concurrently; the
//   reader is thread-safe, pread-based)
import Foundation
import TorchCheckpoint

let arguments = CommandLine.arguments
guard arguments.count == 2 || arguments.count == 3, let threads = Int(arguments.count == 3 ? arguments[2] : "1"),
  threads >= 1
else {
  FileHandle.standardError.write("usage: CheckpointBench CHECKPOINT.pth [THREADS]\n".data(using: .utf8)!)
  exit(2)
}
let start = Date()
do {
  let checkpoint = try TorchCheckpoint(path: arguments[1])
  let weights = try checkpoint.networkWeights
  let tensors = weights.distinctTensors
  var loaded = [[Float]](repeating: [], count: tensors.count)
  nonisolated(unsafe) var failure: CheckpointError? = nil  // written under `lock`
  if threads == 1 {
    for (index, tensor) in tensors.enumerated() { loaded[index] = try tensor.floats() }
  } else {
    let lock = NSLock()
    loaded.withUnsafeMutableBufferPointer { buffer in
      // Each index is written by exactly one worker.
      nonisolated(unsafe) let slots = buffer
      DispatchQueue.concurrentPerform(iterations: threads) { worker in
        for index in stride(from: worker, to: tensors.count, by: threads) {
          do throws(CheckpointError) {
            slots[index] = try tensors[index].floats()
          } catch {
            lock.withLock { failure = error }
          }
        }
      }
    }
  }
  if let failure { throw failure }
  let parameters = loaded.reduce(0) { $0 + $1.count }
  let seconds = Date().timeIntervalSince(start)
  print(
    "keys=\(weights.count) distinct=\(loaded.count) parameters=\(parameters) bytes=\(parameters * 4) threads=\(threads) load_s=\(String(format: "%.3f", seconds))"
  )
} catch {
  FileHandle.standardError.write("\(error)\n".data(using: .utf8)!)
  exit(1)
}
