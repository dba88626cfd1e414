import Foundation

/// Writes one file under a temporary name in the destination folder, flushes it, then renames it
/// into place (reliability.md 3.2), replacing an existing file: readers see the old file or the
/// complete new one, never half. On any error the temporary file is removed. A one-output
/// `OutputTransaction` with `overwrite`; commands that must not replace files, or write several
/// files that belong together, use `OutputTransaction` directly.
package enum AtomicFile {
  static func write(to path: String, _ body: (FileDescriptor) throws -> Void) throws {
    let url = URL(fileURLWithPath: path)
    let transaction = try OutputTransaction(outputs: [url], overwrite: true)
    try transaction.stage(url, body)
    try transaction.commit()
  }

  /// Writes `bytes` atomically to `url`; throws `NiftiError` (`.cannotCreateOutput` when the folder
  /// is missing or the file cannot be created or renamed, `.ioFailure` when writing fails).
  package static func write(_ bytes: [UInt8], to url: URL) throws(NiftiError) {
    do {
      try write(to: url.path) { file in try bytes.withUnsafeBytes { try file.write($0) } }
    } catch let error as NiftiError {
      throw error
    } catch {
      throw NiftiError(.ioFailure, "\(error)", path: url.path)
    }
  }
}
