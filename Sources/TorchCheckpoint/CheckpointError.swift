/// Why a PyTorch checkpoint was rejected.
///
/// Every failure of this module is a `CheckpointError`: malformed or hostile input never traps
/// and is never "repaired". `message` says what is wrong and, where it helps, what to do; `path`
/// names the file; `context` pinpoints the place: a zip entry (`entry checkpoint_final/data/3`),
/// a pickle position (`data.pkl@118 REDUCE`), a global (`global os.system`) or a tensor key.
public struct CheckpointError: Error, CustomStringConvertible, Sendable, Equatable {
  public enum Code: String, Sendable, CaseIterable {
    /// The file does not exist or cannot be opened.
    case fileNotFound
    /// Reading failed at the operating-system level.
    case ioFailure
    /// Not a zip archive (empty, garbage, or missing end-of-central-directory record).
    case notZip
    /// A zip entry whose name or kind could escape a folder or hide data: absolute names, `..`,
    /// backslashes, NUL, duplicates, symlinks, encrypted entries.
    case unsafeEntry
    /// The zip structure is inconsistent: headers disagree, sizes or offsets outside the file,
    /// overlapping entries, damaged deflate data.
    case corruptArchive
    /// An entry's CRC-32 does not match its data: the file is damaged or was altered.
    case checksumMismatch
    /// A declared or actual size passes a cap in `CheckpointLimits` (zip bomb, memo, nesting...).
    case limitExceeded
    /// Valid input we do not read: legacy/TorchScript formats, compression methods, dtypes.
    case unsupported
    /// The pickle stream is structurally invalid (bad opcode, stack underflow, MARK misuse,
    /// missing memo key, truncation, invalid UTF-8, wrong argument types).
    case malformedPickle
    /// The pickle names a global that is not on the allow-list (`os.system`, `builtins.eval`...).
    case forbiddenGlobal
    /// Tensor metadata disagrees with its storage (size, view out of bounds, missing storage).
    case invalidTensor
    /// The checkpoint lacks a value we need, or it has the wrong type (e.g. `network_weights`).
    case missingValue
  }

  public var code: Code
  public var message: String
  public var path: String
  public var context: String?

  public init(_ code: Code, _ message: String, path: String, context: String? = nil) {
    self.code = code
    self.message = message
    self.path = path
    self.context = context
  }

  public var description: String {
    "\(path): \(context.map { "\($0): " } ?? "")\(message)"
  }
}
