import Crypto
import Foundation

/// SHA-256 of files, streamed: the package's one file hash. Model downloads and imports, the
/// reuse of verified downloads and `models verify` (here, through `sha256(of:)`), and the cohort
/// manifest's input, output and model hashes (`Cohort.FileHash`) all read files through it.
///
/// A file is read in blocks of `blockSize` bytes and never held in memory whole (checkpoints
/// are hundreds of MB). Digests are lowercase hex, 64 characters.
package enum FileDigest {
  /// Bytes read per step (1 MiB).
  package static let blockSize = 1 << 20

  /// The lowercase hex SHA-256 of the file's bytes, read in `blockSize` blocks. The caller names
  /// the errors, in its module's error type: `cannotOpen` when the file cannot be opened for
  /// reading (missing, no permission), `cannotRead` with the underlying error when reading fails
  /// part-way.
  package static func sha256(
    of url: URL, cannotOpen: @autoclosure () -> any Error, cannotRead: (any Error) -> any Error
  ) throws -> String {
    guard let handle = FileHandle(forReadingAtPath: url.path) else { throw cannotOpen() }
    defer { try? handle.close() }
    var hasher = SHA256()
    while true {
      let block: Data
      do {
        guard let read = try handle.read(upToCount: blockSize), !read.isEmpty else { break }
        block = read
      } catch {
        throw cannotRead(error)
      }
      hasher.update(data: block)
    }
    return hex(hasher.finalize())
  }

  /// The lowercase hex SHA-256 of `text`'s UTF-8 bytes.
  package static func sha256(_ text: String) -> String { hex(SHA256.hash(data: Data(text.utf8))) }

  /// SHA-256 of bytes in memory, hex.
  package static func sha256(bytes: [UInt8]) -> String { hex(SHA256.hash(data: Data(bytes))) }

  /// Lowercase hex, two digits per byte.
  package static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
    digest.map { byte in
      let digits = String(byte, radix: 16)
      return digits.count == 1 ? "0" + digits : digits
    }.joined()
  }
}

/// `FileDigest.sha256(of:)` with failures as `ModelZooError.ioFailure`.
func sha256(of url: URL) throws -> String {
  try FileDigest.sha256(
    of: url, cannotOpen: ModelZooError(.ioFailure, "cannot open for reading", path: url.path),
    cannotRead: { ModelZooError(.ioFailure, "read failed: \($0.localizedDescription)", path: url.path) })
}
