import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The first thing a batch run does, before any case is listed or model loaded: creates the output
/// folder and its `.vibeseg` folder, and proves each writable by creating, writing and removing a
/// probe file (`.vibeseg-probe-shard-I-of-N`: one name per shard, so that a probe left behind by a
/// process killed in between is reused and removed by the shard's next run; two processes of one
/// shard probing at once only truncate and unlink the same file). So an unwritable folder (read-only mount, permissions,
/// immutable attribute, full disk) ends the run at once with exit 73 naming the folder, instead of
/// after every case was computed.
public enum OutputFolderCheck {
  /// - Throws: `BatchError.cannotCreateOutput` naming the folder and the system's reason.
  public static func prepare(_ outputFolder: URL, shard index: Int, of count: Int) throws {
    let meta = Manifest.folder(in: outputFolder)
    for folder in [outputFolder, meta] {
      do {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      } catch {
        throw BatchError(
          .cannotCreateOutput, "cannot create the output folder: \(reason(of: error))", path: folder.path)
      }
      try probe(folder, name: ".vibeseg-probe-shard-\(index)-of-\(count)")
    }
  }

  /// Creates, writes one byte to, and removes a probe file in `folder`.
  static func probe(_ folder: URL, name: String) throws {
    let path = folder.appendingPathComponent(name).path
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw BatchError(
        .cannotCreateOutput,
        "the output folder is not writable (\(String(cString: strerror(errno)))); give a folder you can write to",
        path: folder.path)
    }
    var byte: UInt8 = 0
    let written = write(fd, &byte, 1)
    let writeError = errno
    close(fd)
    unlink(path)
    guard written == 1 else {
      throw BatchError(
        .cannotCreateOutput, "cannot write into the output folder (\(String(cString: strerror(writeError))))",
        path: folder.path)
    }
  }

  private static func reason(of error: any Error) -> String {
    if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError,
      underlying.domain == NSPOSIXErrorDomain, let code = POSIXErrorCode(rawValue: Int32(underlying.code))
    {
      return String(cString: strerror(code.rawValue))
    }
    return error.localizedDescription
  }
}
