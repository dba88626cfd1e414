#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Names of staged files and journals, and the clean-up of what killed runs leave behind.
///
/// A staged file is `.NAME.tmp-HOST-PID-RANDOM` beside the output `NAME`, a journal
/// `.NAME.commit-HOST-PID` beside the first output. HOST is an 8-hex-digit FNV-1a hash of the
/// host name, so that on a folder shared between machines (NFS, a cluster's scratch) only files
/// of this host are judged, by whether their PID is still alive (`kill(pid, 0)`). A PID that was
/// reused by another process counts as alive: its files are left alone (never a live writer's).
extension OutputTransaction {
  /// This host's tag in temporary names.
  static let hostTag: String = {
    var buffer = [CChar](repeating: 0, count: 256)
    gethostname(&buffer, buffer.count - 1)
    var hash: UInt32 = 0x811c_9dc5
    for byte in buffer.prefix(while: { $0 != 0 }) {
      hash = (hash ^ UInt32(UInt8(bitPattern: byte))) &* 0x0100_0193
    }
    return String(hash, radix: 16).leftPadded(to: 8)
  }()

  static func temporaryPath(for output: String) -> String {
    let url = URL(fileURLWithPath: output)
    return url.deletingLastPathComponent().path + "/." + url.lastPathComponent
      + ".tmp-\(hostTag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
  }

  static func isAlive(_ pid: Int32) -> Bool {
    pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
  }

  /// The PID in `name` after `prefix` + this host's tag and a dash, when the name is ours.
  static func writerPID(_ name: String, prefix: String) -> Int32? {
    let head = prefix + hostTag + "-"
    guard name.hasPrefix(head) else { return nil }
    return Int32(name.dropFirst(head.count).prefix { $0.isNumber })
  }

  static func entries(of folder: String) -> [String] {
    (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
  }

  /// Removes `.NAME.tmp-HOST-PID-*` files of `output` whose writer on this host is gone.
  static func removeStaleTemporaries(of output: URL) -> [String] {
    let folder = output.deletingLastPathComponent().path
    let prefix = "." + output.lastPathComponent + ".tmp-"
    var notes = [String]()
    for name in entries(of: folder) {
      guard let pid = writerPID(name, prefix: prefix), !isAlive(pid) else { continue }
      if unlink(folder + "/" + name) == 0 {
        notes.append("\(folder)/\(name): removed a temporary file left by an interrupted run (process \(pid))")
      }
    }
    return notes
  }

  struct Journal: Codable {
    var overwrite: Bool
    var temporaries: [String]
    var outputs: [String]
  }

  /// Writes and fsyncs the journal of a commit beside `first`; returns its path.
  static func writeJournal(_ entries: [(String, String)], overwrite: Bool, first: String) throws(NiftiError) -> String {
    let url = URL(fileURLWithPath: first)
    let folder = url.deletingLastPathComponent().path
    let path = folder + "/." + url.lastPathComponent + ".commit-\(hostTag)-\(getpid())"
    let journal = Journal(overwrite: overwrite, temporaries: entries.map(\.0), outputs: entries.map(\.1))
    let bytes: Data
    do { bytes = try JSONEncoder().encode(journal) } catch {
      throw NiftiError(.ioFailure, "cannot encode the commit journal: \(error)", path: first)
    }
    do {
      let file = try FileDescriptor(creating: path)
      try bytes.withUnsafeBytes { try file.write($0) }
      try file.sync()
    } catch {
      unlink(path)
      throw NiftiError(.cannotCreateOutput, "cannot write the commit journal \(path): \(error)", path: first)
    }
    syncFolder(folder)
    return path
  }

  /// Rolls forward the commits of `first`'s journals whose writer on this host is gone: every
  /// staged file still present is published as that run would have published it.
  static func completeInterruptedCommits(of first: URL) -> [String] {
    let folder = first.deletingLastPathComponent().path
    let prefix = "." + first.lastPathComponent + ".commit-"
    var notes = [String]()
    for name in entries(of: folder) {
      guard let pid = writerPID(name, prefix: prefix), !isAlive(pid) else { continue }
      let path = folder + "/" + name
      // An unreadable journal: its writer died while writing it, before publishing anything.
      if let data = FileManager.default.contents(atPath: path),
        let journal = try? JSONDecoder().decode(Journal.self, from: data), journal.temporaries.count == journal.outputs.count
      {
        var published = 0
        for (temporary, output) in zip(journal.temporaries, journal.outputs) where access(temporary, F_OK) == 0 {
          if journal.overwrite {
            if rename(temporary, output) == 0 { published += 1 }
          } else {
            if link(temporary, output) == 0 { published += 1 }
            unlink(temporary)
          }
        }
        for output in Set(journal.outputs.map { ($0 as NSString).deletingLastPathComponent }) { syncFolder(output) }
        notes.append(
          "\(first.path): completed the commit of an interrupted run (process \(pid)): \(published) of \(journal.outputs.count) files published now")
      }
      unlink(path)
    }
    return notes
  }

  /// The folder must exist, be a folder and take a new file (a probe file is created and
  /// removed: this also catches read-only mounts, where `access(2)` says yes to root).
  static func requireWritableFolder(_ folder: String, for output: String) throws(NiftiError) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw NiftiError(.cannotCreateOutput, "the output folder \(folder) does not exist", path: output)
    }
    // Probes of killed runs (a kill between create and remove) go too.
    for name in entries(of: folder) {
      if let pid = writerPID(name, prefix: ".vibeseg-probe-"), !isAlive(pid) { unlink(folder + "/" + name) }
    }
    let probe = folder + "/.vibeseg-probe-\(hostTag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw NiftiError(
        .cannotCreateOutput, "cannot create files in the output folder \(folder): \(String(cString: strerror(errno)))", path: output)
    }
    close(fd)
    unlink(probe)
  }

  /// Persists renames and links in `folder` (best effort: some file systems refuse fsync on folders).
  static func syncFolder(_ folder: String) {
    let dir = open(folder, O_RDONLY | O_CLOEXEC)
    if dir >= 0 {
      fsync(dir)
      close(dir)
    }
  }
}

extension String {
  fileprivate func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}
