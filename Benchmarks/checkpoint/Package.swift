// swift-tools-version:6.0
// Load-time / peak-memory benchmark for TorchCheckpoint (issue 3). Nested package so the main
// package needs no benchmark target; run through run.sh.
import PackageDescription

let package = Package(
  name: "CheckpointBenchmark",
  dependencies: [.package(name: "VibeSeg", path: "../..")],
  targets: [
    .executableTarget(
      name: "CheckpointBench",
      dependencies: [.product(name: "TorchCheckpoint", package: "VibeSeg")])
  ]
)
