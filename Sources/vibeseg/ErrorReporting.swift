import ArgumentParser
import Foundation
import NiftiIO
import VolumeTransforms
import NNUNetRuntime
import TorchCheckpoint
import InferenceEngine
import Evaluation
import VibeSegKit
import ModelZoo
import Cohort
import DICOMCore

/// The exit code for an error, following reliability.md's house decisions (BSD sysexits).
func exitCode(for error: Error) -> Int32 {
  switch error {
  case let e as NiftiError:
    switch e.code {
    case .fileNotFound: 66
    case .notNifti, .invalidHeader, .truncated, .corruptCompression, .tooLarge, .unsupported: 65
    case .ioFailure: 74
    case .cannotCreateOutput: 73
    }
  case is OrientationError: 65
  // A flag (`convert --spacing`) that asks for an impossible grid is a usage error; a header or
  // plans geometry is rejected input.
  case let e as ResamplingError: (e.field?.hasPrefix("--") ?? false) ? 64 : 65
  case let e as PlansError: e.code == .missingFile ? 69 : 65
  case is CheckpointError: 65
  case is EngineError: 65
  case let e as EvaluationError:
    switch e.code {
    case .missingInput: 66
    case .nonIntegerLabels, .gridMismatch, .invalidSample: 65
    case .cannotCreateOutput: 73
    }
  case let e as VibeSegKitError:
    switch e.code {
    case .missingInput: 66
    case .invalidInput, .notALabelMap, .gridMismatch, .unsupportedImage, .invalidLabelFile: 65
    case .invalidOption, .unknownLabel: 64
    case .modelUnavailable, .toolUnavailable: 69
    case .internalError: 70
    case .cannotCreateOutput: 73
    case .ioFailure: 74
    }
  case let e as ModelZooError:
    switch e.code {
    case .unknownModel, .downloadFailed, .verificationFailed, .invalidArchive: 69
    case .missingFile: 66
    case .ioFailure: 74
    }
  case let e as DICOMError:
    switch e.code {
    case .fileNotFound, .notDICOM, .unsupportedInput: 66
    case .truncated, .malformed, .invalidValue, .unsupported, .tooLarge: 65
    case .ioFailure: 74
    }
  case let e as BatchError:
    switch e.code {
    case .invalidArgument: 64
    case .missingInput: 66
    case .manifestFailure: 74
    case .cannotCreateOutput: 73
    case .locked: 75
    }
  default: 70
  }
}

/// Runs a command body: on error prints one line `vibeseg: error: <message>` to stderr and
/// exits with the mapped code. Warnings go to stderr as `vibeseg: warning: ...`.
func reportingErrors(_ body: () throws -> Void) throws {
  do {
    try body()
  } catch let error as ExitCode {
    throw error
  } catch let error as ValidationError {
    throw error
  } catch {
    printError("vibeseg: error: \(error)")
    throw ExitCode(exitCode(for: error))
  }
}

func printError(_ line: String) {
  FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Reader and job warnings (`InputImage.warnings` lines already name their file).
func printWarnings(_ warnings: [String]) {
  for w in warnings { printError("vibeseg: warning: \(w)") }
}

/// Prints a report as pretty, key-sorted JSON (the `--json` form of `info` and `model-info`).
func printJSON(_ value: some Encodable) throws {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
  // Reports encode non-finite statistics as null themselves; this is the backstop, so that a
  // NaN that slips through becomes a string instead of an encoding failure (exit 70).
  encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
  print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
