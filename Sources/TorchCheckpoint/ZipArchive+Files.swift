import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension ZipArchive {
  /// Writes `entry`'s data (streamed, CRC-32 checked, inflated size capped as `stream` does) to a
  /// NEW file at `path`, created with `O_EXCL | O_NOFOLLOW` (nothing that exists is followed or
  /// replaced), then fsynced. `observe` sees every chunk (model archives hash them). The caller
  /// writes into a staging folder it discards on any error: a failed CRC leaves a partial file.
  ///
  /// - Throws: `CheckpointError` — `.unsafeEntry` when `path` exists already (a duplicate entry),
  ///   `.ioFailure` when creating, writing or syncing fails, or what `stream` throws.
  package func extract(_ entry: ZipEntry, toNewFile path: String, observe: (UnsafeRawBufferPointer) -> Void = { _ in }) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      let err = errno
      if err == EEXIST {
        throw CheckpointError(.unsafeEntry, "entry \(entry.name.debugDescription) exists already (a duplicate entry)", path: self.path)
      }
      throw CheckpointError(.ioFailure, "cannot create \(path): \(String(cString: strerror(err)))", path: self.path)
    }
    defer { close(fd) }
    try stream(entry) { chunk in
      observe(chunk)
      var done = 0
      while done < chunk.count {
        let n = write(fd, chunk.baseAddress! + done, chunk.count - done)
        if n < 0 {
          if errno == EINTR { continue }
          throw CheckpointError(.ioFailure, "write to \(path) failed: \(String(cString: strerror(errno)))", path: self.path)
        }
        done += n
      }
    }
    guard fsync(fd) == 0 else {
      throw CheckpointError(.ioFailure, "fsync of \(path) failed: \(String(cString: strerror(errno)))", path: self.path)
    }
  }

  /// Creates the folder `path` and its missing parents; each component that exists must be a real
  /// folder (an entry's folder colliding with a file, or a symbolic link, is refused).
  ///
  /// - Throws: `CheckpointError` `.unsafeEntry` (collision) or `.ioFailure`.
  package func makeFolders(_ path: String) throws {
    var info = stat()
    if lstat(path, &info) == 0 {
      guard (info.st_mode & S_IFMT) == S_IFDIR else {
        throw CheckpointError(.unsafeEntry, "a folder entry collides with a file of the same name: \(path)", path: self.path)
      }
      return
    }
    try makeFolders((path as NSString).deletingLastPathComponent)
    guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
      throw CheckpointError(.ioFailure, "cannot create folder \(path): \(String(cString: strerror(errno)))", path: self.path)
    }
  }

  /// Extracts every entry under the existing folder `root` (each destination checked to stay under
  /// it), in central-directory order, calling `didWrite(entry, path)` after each file.
  ///
  /// - Throws: `CheckpointError` as `extract(_:toNewFile:)` and `makeFolders(_:)`.
  package func extractAll(into root: URL, didWrite: (ZipEntry, String) throws -> Void = { _, _ in }) throws {
    let rootPath = root.standardizedFileURL.path
    for entry in entries {
      let destination = root.appendingPathComponent(entry.name).standardizedFileURL.path
      guard destination.hasPrefix(rootPath + "/") else {
        throw CheckpointError(.unsafeEntry, "entry \(entry.name.debugDescription) would be written outside the destination", path: path)
      }
      if entry.isFolder {
        try makeFolders(destination)
        continue
      }
      try makeFolders((destination as NSString).deletingLastPathComponent)
      try extract(entry, toNewFile: destination)
      try didWrite(entry, destination)
    }
  }
}
