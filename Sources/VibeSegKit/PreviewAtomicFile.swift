import Foundation
import NiftiIO

/// Atomic writes for previews and reports: NiftiIO's `AtomicFile` (temporary file in the same
/// folder, fsync, rename, folder fsync; nothing left behind on failure), its errors as
/// `VibeSegKitError`.
enum PreviewAtomicFile {
  static func write(_ bytes: [UInt8], to url: URL) throws(VibeSegKitError) {
    do {
      try AtomicFile.write(bytes, to: url)
    } catch {
      throw VibeSegKitError(error.code == .cannotCreateOutput ? .cannotCreateOutput : .ioFailure, error.message, path: url.path)
    }
  }
}

extension PreviewCanvas {
  /// Encodes the canvas as PNG (`PNGEncoder`) and writes it atomically: the complete picture or
  /// nothing appears at `url`.
  ///
  /// - Throws: `VibeSegKitError` `.cannotCreateOutput` (missing folder, no permission, rename failed)
  ///   or `.ioFailure` (disk full, encoder failure).
  public func writePNG(to url: URL, fast: Bool = false) throws(VibeSegKitError) {
    let bytes = try PNGEncoder.encode(self, fast: fast)
    try PreviewAtomicFile.write(bytes, to: url)
  }
}
