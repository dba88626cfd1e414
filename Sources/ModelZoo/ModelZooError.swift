/// Why a model could not be listed, downloaded, verified, imported or found.
///
/// `message` says what is wrong and how to fix it; `path` names the file or URL involved.
public struct ModelZooError: Error, CustomStringConvertible, Sendable {
  public enum Code: String, Sendable, CaseIterable {
    /// A model id or folder is unknown or not installed.
    case unknownModel
    /// A download failed (network, HTTP status, timeout, truncated body).
    case downloadFailed
    /// A downloaded or imported archive does not match its published size or sha256.
    case verificationFailed
    /// An archive is malformed or unsafe (zip-slip, bomb, symlink, wrong layout).
    case invalidArchive
    /// The cache folder could not be written.
    case ioFailure
    /// A file the user named (a zip to import) does not exist.
    case missingFile
  }

  public var code: Code
  public var message: String
  public var path: String?
  public var underlying: (any Error & Sendable)?

  public init(_ code: Code, _ message: String, path: String? = nil, underlying: (any Error & Sendable)? = nil) {
    self.code = code
    self.message = message
    self.path = path
    self.underlying = underlying
  }

  public var description: String { (path.map { "\($0): " } ?? "") + message }
}
