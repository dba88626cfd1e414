import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The install marker `Dataset{ID:03}/INSTALLED.json`, written atomically as the very last step
/// of an install (reliability.md 2.4 rule 13). A `Dataset{ID:03}` folder in the cache without it
/// is never used and is replaced by the next install.
public struct InstallRecord: Codable, Sendable, Equatable {
  public struct Asset: Codable, Sendable, Equatable {
    /// `100.zip`, `100_1.zip`.
    public var name: String
    /// Where it came from: a URL, or `file://...` for `import`.
    public var source: String
    public var size: Int64
    public var sha256: String
    /// Whether `sha256` was checked against a published digest (or only recorded).
    public var publishedDigestVerified: Bool
  }

  public struct File: Codable, Sendable, Equatable {
    /// Relative to the `Dataset{ID:03}` folder.
    public var path: String
    public var size: Int64
    public var sha256: String
  }

  public static let fileName = "INSTALLED.json"
  public static let currentSchemaVersion = 1

  public var schemaVersion: Int
  public var id: Int
  /// The `<Trainer>__<Plans>__<configuration>` folder inside `Dataset{ID:03}`.
  public var folder: String
  /// The suffixes from the archive's `other_downloads.json` (fold addenda), kept here instead of
  /// being deleted as upstream does; empty when the archive had none.
  public var otherDownloads: [String]
  public var assets: [Asset]
  public var files: [File]
  /// ISO 8601.
  public var installedAt: String
  public var installedBy: String
}

/// Writes `data` to `url` atomically: a temporary file in the same folder, fsync, rename, fsync
/// of the folder.
func writeAtomically(_ data: Data, to url: URL) throws {
  let folder = url.deletingLastPathComponent()
  let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString)")
  let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
  guard fd >= 0 else {
    throw ModelZooError(.ioFailure, "cannot create: \(String(cString: strerror(errno)))", path: temporary.path)
  }
  var ok = data.withUnsafeBytes { raw -> Bool in
    var done = 0
    while done < raw.count {
      let n = write(fd, raw.baseAddress! + done, raw.count - done)
      if n < 0 {
        if errno == EINTR { continue }
        return false
      }
      done += n
    }
    return true
  }
  ok = ok && fsync(fd) == 0
  close(fd)
  guard ok, rename(temporary.path, url.path) == 0 else {
    let message = String(cString: strerror(errno))
    unlink(temporary.path)
    throw ModelZooError(.ioFailure, "cannot write: \(message)", path: url.path)
  }
  syncFolder(folder)
}

/// fsync of a folder, so a rename in it is durable.
func syncFolder(_ folder: URL) {
  let fd = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
  guard fd >= 0 else { return }
  _ = fsync(fd)
  close(fd)
}
