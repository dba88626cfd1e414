// engine-bench: measurements for BENCHMARKS.md (see run.sh).
//
//   engine-bench peak                                  fp32 FMA peak, 1 and 2 threads
//   engine-bench forward <totalvibe|resencl|oddwidth> [runs] [threads]
//       (ENGINE_PADS_INPUT_CHANNELS=0: without the channel padding of issue 20;
//        VIBESEG_CONV=direct|auto|winograd: the convolution algorithm)
//       builds the network with synthetic weights, one untimed warm-up forward (plan creation),
//       then `runs` timed forwards; prints one line per run and the median
//   engine-bench profile <totalvibe|resencl> <out.json> [runs] [threads]
//       per-step timings (median over runs) as JSON, for per-layer GFLOP/s
import Foundation
@_spi(Benchmarks) import InferenceEngine

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }
func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }

let args = CommandLine.arguments
guard args.count >= 2 else {
  print("usage: engine-bench peak | forward <network> [runs] [threads] | profile <network> <out.json> [runs] [threads]")
  exit(2)
}

/// `ENGINE_PADS_INPUT_CHANNELS=0` measures the engine without channel padding (issue 20's "before").
let padsInputChannels = ProcessInfo.processInfo.environment["ENGINE_PADS_INPUT_CHANNELS"] != "0"
/// `VIBESEG_CONV=direct|auto|winograd`: the convolution algorithm (issue 20), as for the CLI.
let convolutionAlgorithm = try ConvolutionAlgorithm.fromEnvironment()

func makeNetwork(_ name: String, threads: Int) throws -> (UNet, [Float], [Int]) {
  guard let network = BenchmarkNetwork(rawValue: name) else {
    print("unknown network \(name); one of \(BenchmarkNetwork.allCases.map(\.rawValue))")
    exit(2)
  }
  let t0 = now()
  let net = try UNet(
    spec: network.spec, weights: try SyntheticWeights.make(for: network.spec),
    options: .init(threads: threads, padsInputChannels: padsInputChannels, convolutionAlgorithm: convolutionAlgorithm))
  print("pads_input_channels=\(padsInputChannels) convolution=\(convolutionAlgorithm.rawValue)")
  let shape = [1] + network.patch
  var state: UInt32 = 12345
  let input = (0..<shape.reduce(1, *)).map { _ -> Float in
    state = state &* 1_664_525 &+ 1_013_904_223
    return Float(state >> 8) / Float(1 << 24) * 2 - 1
  }
  print(String(format: "load_s=%.3f", now() - t0))
  return (net, input, shape)
}

switch args[1] {
case "peak":
  for threads in [1, 2] {
    let runs = (0..<3).map { _ in PeakFLOPS.measure(threads: threads) }
    print(
      String(
        format: "peak threads=%d gflops=%.1f (runs %@)", threads, runs.max()!,
        runs.map { String(format: "%.1f", $0) }.joined(separator: " ")))
  }

case "forward":
  let runs = args.count > 3 ? Int(args[3])! : 3
  let threads = args.count > 4 ? Int(args[4])! : 2
  let (net, input, shape) = try makeNetwork(args[2], threads: threads)
  var output: [Float] = []
  var t0 = now()
  try net.forward(input: input, shape: shape, into: &output)
  print(String(format: "first_forward_s=%.3f (plan + weight reorder + run)", now() - t0))
  print(
    "activation_MB=\((net.activationBytes(shape: shape) ?? 0) >> 20) prepared_weights_MB=\(net.preparedWeightBytes >> 20) onednn=\(UNet.backendVersion)"
  )
  var times: [Double] = []
  for r in 0..<runs {
    t0 = now()
    try net.forward(input: input, shape: shape, into: &output)
    times.append(now() - t0)
    print(String(format: "run %d forward_s=%.3f", r, times.last!))
  }
  var checksum = 0.0
  var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a over the bit patterns: equal iff bit-identical (w.h.p.)
  for v in output {
    checksum += Double(v)
    hash = (hash ^ UInt64(v.bitPattern)) &* 0x100_0000_01b3
  }
  print(String(format: "median_forward_s=%.3f checksum=%.6e bits_fnv=%016llx", median(times), checksum, hash))

case "profile":
  let runs = args.count > 4 ? Int(args[4])! : 3
  let threads = args.count > 5 ? Int(args[5])! : 2
  let (net, input, shape) = try makeNetwork(args[2], threads: threads)
  _ = try net.forward(input: input, shape: shape)
  let profiles = try (0..<runs).map { _ in try net.profile(input: input, shape: shape) }
  var steps: [[String: Any]] = []
  for i in profiles[0].indices {
    let s = profiles[0][i]
    steps.append([
      "kind": s.kind, "label": s.label, "flops": s.flops, "geometry": s.geometry,
      "seconds": median(profiles.map { $0[i].seconds }), "seconds_all": profiles.map { $0[i].seconds },
    ])
  }
  let implementations = try net.implementations(shape: shape).map { ["layer": $0.layer, "impl": $0.implementation] }
  let json: [String: Any] = [
    "network": args[2], "threads": threads, "runs": runs, "onednn": UNet.backendVersion, "steps": steps,
    "implementations": implementations,
  ]
  try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
    .write(to: URL(fileURLWithPath: args[3]))
  var byKind: [String: (Double, Double)] = [:]
  for s in steps {
    let k = s["kind"] as! String
    byKind[k, default: (0, 0)].0 += s["seconds"] as! Double
    byKind[k, default: (0, 0)].1 += s["flops"] as! Double
  }
  for (k, v) in byKind.sorted(by: { $0.value.0 > $1.value.0 }) {
    print(
      String(
        format: "%-32@ %8.3f s  %@", k as NSString, v.0, v.1 > 0 ? String(format: "%.1f GFLOP/s", v.1 / v.0 / 1e9) : "")
    )
  }
  print(String(format: "total %.3f s", steps.reduce(0) { $0 + ($1["seconds"] as! Double) }))

case "conv":
  // engine-bench conv <cin> <cout> <k> <s> <D> <H> <W> [transposed] [threads] [repeats] [auto|direct|winograd]
  //   k and s as "333" / "222" / "133"; prints seconds and GFLOP/s (nominal)
  let n = args.dropFirst(2).prefix(7)
  let cin = Int(n[n.startIndex])!
  let cout = Int(n[n.startIndex + 1])!
  let k = Array(args[4]).map { Int(String($0))! }
  let s = Array(args[5]).map { Int(String($0))! }
  let spatial = [Int(args[6])!, Int(args[7])!, Int(args[8])!]
  let transposed = args.count > 9 && args[9] == "T"
  let threads = args.count > 10 ? Int(args[10])! : 2
  let repeats = args.count > 11 ? Int(args[11])! : 5
  let algorithm = args.count > 12 ? ConvolutionAlgorithm(rawValue: args[12])! : .auto
  let seconds = try LayerBenchmark.convolution(
    inputChannels: cin, outputChannels: cout, kernel: k, stride: s, spatial: spatial, transposed: transposed,
    threads: threads, repeats: repeats, algorithm: algorithm)
  var outVoxels = 1
  for axis in 0..<3 { outVoxels *= transposed ? spatial[axis] * s[axis] : (spatial[axis] - 1) / s[axis] + 1 }
  let taps: Int = transposed ? 1 : k.reduce(1, *)
  let flops = 2.0 * Double(cin * cout * taps) * Double(outVoxels)
  print(String(format: "ours seconds=%.5f gflops=%.1f", seconds, flops / seconds / 1e9))

case "peakshort":
  print(String(format: "peak2=%.1f", PeakFLOPS.measure(threads: 2, iterations: 40_000_000)))

default:
  print("unknown command \(args[1])")
  exit(2)
}
