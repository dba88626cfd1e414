import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The first thing a batch run does, before any case is listed or model loaded: creates the output
/// folder and its `.vibeseg` folder, and proves each writable by creating, writing and removing a
/// probe file (`.vibeseg-probe-<pid>`). So an unwritable folder (read-only mount, permissions,
/// immutable attribute, full disk) ends the run at once with exit 73 naming the folder, instead of
/// after every case was computed.
public enum OutputFolderCheck {
  /// - Throws: `BatchError.cannotCreateOutput` naming the folder and the system's reason.
  public static func prepare(_ outputFolder: URL) throws {
    let meta = Manifest.folder(in: outputFolder)
    for folder in [outputFolder, meta] {
      do {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      } catch {
        throw BatchError(
          .cannotCreateOutput, "cannot create the output folder: \(reason(of: error))", path: folder.path)
      }
      try probe(folder)
    }
  }

  /// Creates, writes one byte to, and removes a probe file in `folder`.
  static func probe(_ folder: URL) throws {
    let path = folder.appendingPathComponent(".vibeseg-probe-\(getpid())").path
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
