import Foundation
import TorchCheckpoint

/// The JSON inputs of this module (label-name files for `stats` and `preview`), read through
/// `RegularFile.contents`: only a regular file (FIFOs and devices refused without blocking) of at
/// most `RegularFile.maxJSONBytes` (64 MiB, checked from `fstat` before reading).
enum JSONInput {
  /// - Throws: `.missingInput` when the file is absent or unreadable; `.invalidLabelFile` when it
  ///   is not a regular file or passes the size cap; `.ioFailure` when reading fails.
  static func data(_ url: URL, option: String? = nil) throws(VibeSegKitError) -> Data {
    do throws(RegularFile.Failure) {
      return Data(try RegularFile.contents(url.path, maxBytes: RegularFile.maxJSONBytes))
    } catch {
      let code: VibeSegKitError.Code =
        switch error.kind {
        case .missing: .missingInput
        case .notRegular, .tooLarge: .invalidLabelFile
        case .ioFailure: .ioFailure
        }
      throw VibeSegKitError(code, error.message, path: url.path, option: option)
    }
  }
}

