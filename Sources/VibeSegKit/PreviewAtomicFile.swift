import Foundation
import NiftiIO

extension PreviewCanvas {
  /// Encodes the canvas as PNG (`PNGEncoder`) and writes it atomically: the complete picture or
  /// nothing appears at `url`.
  ///
  /// - Throws: `VibeSegKitError` `.cannotCreateOutput` (missing folder, no permission, rename failed)
  ///   or `.ioFailure` (disk full, encoder failure).
  public func writePNG(to url: URL, fast: Bool = false, in outputs: OutputTransaction? = nil) throws(VibeSegKitError) {
    let bytes = try PNGEncoder.encode(self, fast: fast)
    try ReportFile.write(bytes, to: url, in: outputs)
  }
}
