// swift-tools-version:6.0
import PackageDescription

/// The numerical modules are compiled with optimisation even in debug builds: the test suite runs
/// real resampling and network passes, which take minutes unoptimised and seconds optimised.
let optimizedEvenInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
  name: "VibeSeg",
  platforms: [.macOS(.v14)],
  products: [
    .library(name: "VolumeCore", targets: ["VolumeCore"]),
    .library(name: "VolumeTransforms", targets: ["VolumeTransforms"]),
    .library(name: "NiftiIO", targets: ["NiftiIO"]),
    .library(name: "TorchCheckpoint", targets: ["TorchCheckpoint"]),
    .library(name: "InferenceEngine", targets: ["InferenceEngine"]),
    .library(name: "NNUNetRuntime", targets: ["NNUNetRuntime"]),
    .library(name: "Morphology", targets: ["Morphology"]),
    .library(name: "VolumeStitching", targets: ["VolumeStitching"]),
    .library(name: "Evaluation", targets: ["Evaluation"]),
    .library(name: "ModelZoo", targets: ["ModelZoo"]),
    .library(name: "DICOMCore", targets: ["DICOMCore"]),
    .library(name: "DICOMInput", targets: ["DICOMInput"]),
    .library(name: "VibeSegKit", targets: ["VibeSegKit"]),
    .library(name: "Cohort", targets: ["Cohort"]),
    .executable(name: "vibeseg", targets: ["vibeseg"]),
  ],
  dependencies: [
    // Command-line parsing for `vibeseg` (only the executable imports it).
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    // SHA-256 of files: downloaded model archives, cohort inputs and outputs (ModelZoo.FileDigest).
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    // The per-output-folder manifest of cohort runs in SQLite (Cohort).
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
  ],
  targets: [
    // C shims: one header of static inline wrappers per Debian C library.
    .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
    .systemLibrary(name: "CDeflate", path: "Sources/CDeflate"),
    .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
    .systemLibrary(name: "CPNG", path: "Sources/CPNG"),

    .target(name: "VolumeCore", swiftSettings: optimizedEvenInDebug),
    .target(name: "VolumeTransforms", dependencies: ["VolumeCore"], swiftSettings: optimizedEvenInDebug),
    .target(name: "NiftiIO", dependencies: ["VolumeCore", "CZlib", "CDeflate"], swiftSettings: optimizedEvenInDebug),
    .target(name: "TorchCheckpoint", dependencies: ["CZlib"], swiftSettings: optimizedEvenInDebug),
    .target(
      name: "InferenceEngine", dependencies: ["CDNNL"],
      swiftSettings: [.unsafeFlags(["-Ounchecked", "-Xcc", "-mavx2", "-Xcc", "-mfma"])]),
    .target(
      name: "NNUNetRuntime", dependencies: ["VolumeCore", "VolumeTransforms", "TorchCheckpoint", "InferenceEngine"],
      // F16C turns float16 <-> float32 conversions (every accumulator update) into one instruction
      // instead of a library call; every AVX2 CPU (which the engine requires) has it.
      swiftSettings: optimizedEvenInDebug + [.unsafeFlags(["-Xcc", "-mf16c", "-Xcc", "-mavx2", "-Xcc", "-mfma"])]),
    .target(name: "Morphology", dependencies: ["VolumeCore"]),
    .target(name: "Evaluation", dependencies: ["VolumeCore", "Morphology"]),
    // Multi-station stitching (TPTBox `stitching()`): resampling from VolumeTransforms, opening and
    // distance transform from Morphology; its own module so neither of those depends on the other.
    .target(name: "VolumeStitching", dependencies: ["VolumeCore", "VolumeTransforms", "Morphology"], swiftSettings: optimizedEvenInDebug),
    .target(
      name: "ModelZoo",
      dependencies: ["TorchCheckpoint", .product(name: "Crypto", package: "swift-crypto")]),
    // DICOM: a bounded Part-10 header reader (Foundation only), then the series index on top;
    // zip inputs (UK Biobank) go through TorchCheckpoint's validating zip reader, the project's one.
    .target(name: "DICOMCore"),
    .target(name: "DICOMInput", dependencies: ["DICOMCore", "TorchCheckpoint"]),
    // DICOM-SEG output: a native BINARY Segmentation writer on the DICOMCore element encoder.
    .target(name: "DICOMSeg", dependencies: ["DICOMCore", "CDeflate"], swiftSettings: optimizedEvenInDebug),
    .target(
      name: "VibeSegKit",
      dependencies: [
        "VolumeCore", "VolumeTransforms", "NiftiIO", "TorchCheckpoint", "NNUNetRuntime", "Morphology", "Evaluation", "ModelZoo",
        "DICOMCore", "DICOMInput", "DICOMSeg", "VolumeStitching", "CPNG", "CZlib",
      ]),
    .target(
      name: "Cohort",
      dependencies: [
        "VolumeCore", "NiftiIO", "NNUNetRuntime", "VibeSegKit", "ModelZoo", .product(name: "GRDB", package: "GRDB.swift"),
      ]),
    .executableTarget(
      name: "vibeseg",
      dependencies: [
        "VolumeCore", "VolumeTransforms", "NiftiIO", "TorchCheckpoint", "InferenceEngine", "NNUNetRuntime", "Evaluation", "ModelZoo", "VibeSegKit", "Cohort",
        "DICOMCore", "DICOMInput", "VolumeStitching", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    .target(name: "_TestSupport", dependencies: ["VolumeCore", "NiftiIO"], path: "Tests/_TestSupport"),
    .testTarget(name: "VolumeCoreTests", dependencies: ["VolumeCore", "_TestSupport"]),
    .testTarget(name: "VolumeTransformsTests", dependencies: ["VolumeTransforms", "_TestSupport"]),
    .testTarget(name: "NiftiIOTests", dependencies: ["NiftiIO", "_TestSupport"]),
    .testTarget(name: "TorchCheckpointTests", dependencies: ["TorchCheckpoint", "_TestSupport"]),
    .testTarget(name: "InferenceEngineTests", dependencies: ["InferenceEngine", "_TestSupport"]),
    .testTarget(name: "NNUNetRuntimeTests", dependencies: ["NNUNetRuntime", "TorchCheckpoint", "NiftiIO", "_TestSupport"]),
    .testTarget(name: "MorphologyTests", dependencies: ["Morphology", "_TestSupport"]),
    .testTarget(name: "VolumeStitchingTests", dependencies: ["VolumeStitching", "Morphology", "NiftiIO", "_TestSupport"]),
    .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Morphology", "_TestSupport"]),
    .testTarget(name: "VibeSegKitTests", dependencies: ["VibeSegKit", "NiftiIO", "DICOMSeg", "_TestSupport"]),
    .testTarget(name: "DICOMCoreTests", dependencies: ["DICOMCore", "_TestSupport"]),
    .testTarget(name: "DICOMSegTests", dependencies: ["DICOMSeg", "DICOMCore", "DICOMInput", "CZlib", "_TestSupport"]),
    .testTarget(name: "DICOMInputTests", dependencies: ["DICOMInput", "DICOMCore", "NiftiIO", "VolumeCore", "_TestSupport"]),
    .testTarget(name: "ModelZooTests", dependencies: ["ModelZoo", "_TestSupport"]),
    // GRDB: the manifest tests rebuild a manifest of the previous schema to test its migration.
    .testTarget(
      name: "CohortTests",
      dependencies: [
        "Cohort", "VibeSegKit", "ModelZoo", "NiftiIO", "_TestSupport", .product(name: "GRDB", package: "GRDB.swift"),
      ]),
    .testTarget(
      name: "CommandLineTests", dependencies: ["vibeseg", "NiftiIO", "VolumeTransforms", "DICOMCore", "DICOMInput", "DICOMSeg", "_TestSupport"]),
  ]
)
