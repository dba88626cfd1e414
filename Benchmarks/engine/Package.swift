// swift-tools-version:6.0
// Benchmarks of the InferenceEngine against PyTorch; see run.sh. Build from this folder:
//   swift build -c release
import PackageDescription

let package = Package(
  name: "EngineBenchmarks",
  platforms: [.macOS(.v14)],
  dependencies: [.package(path: "../..")],
  targets: [
    .executableTarget(
      name: "engine-bench",
      dependencies: [.product(name: "InferenceEngine", package: "main")],
      swiftSettings: [.unsafeFlags(["-Ounchecked", "-Xcc", "-mavx2", "-Xcc", "-mfma"])])
  ]
)
