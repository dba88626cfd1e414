#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The outputs of one command, written so that they appear together or not at all, and never
/// over a file the user did not allow us to replace (README, "Reliability": the overwrite rule).
///
/// ```swift
/// let outputs = try OutputTransaction(outputs: [map, sidecar], inputs: [image], overwrite: false)
/// // ... long computation ...
/// try labelImage.write(to: map, in: outputs)
/// try outputs.write(sidecarBytes, to: sidecar)
/// try outputs.commit()
/// ```
///
/// - `init` is the preflight, run before any model is loaded: every output's folder must exist
///   and be writable; an output may not be one of the inputs (same device and inode, so also
///   through symbolic or hard links), even with `overwrite`; without `overwrite` an existing
///   output is refused. It first completes commits that a killed run left half done (see
///   `commit`) and removes temporary files whose writer on this host is gone.
/// - `write` stages a file under a temporary name in its destination folder
///   (`.NAME.tmp-HOST-PID-RANDOM`), fsynced. Errors name the output the user asked for.
/// - `commit` publishes every staged file. Without `overwrite` each is hard-linked into place
///   (`link(2)` fails when the name exists, so two runs racing for one output cannot both win:
///   the loser's links are undone and it gets `cannotCreateOutput`); with `overwrite` the old
///   outputs are removed first, then the new ones renamed into place, so a reader sees the old
///   set, a subset of the old, a subset of the new, or the new set, never a mix of two runs (a
///   single output is renamed over the old one: old or new, never absent).
///   With more than one output a journal (`.NAME.commit-HOST-PID`, next to the first output)
///   lists the staged files before the first one is published; a run that finds the journal of
///   a dead writer publishes the rest (roll forward), since every staged file was complete and
///   fsynced before the journal was written.
///
/// Not thread-safe: one transaction per command, used from one thread.
public final class OutputTransaction {
  /// Declared outputs, in commit order (the first one names the journal).
  public private(set) var outputs: [URL] = []
  public let overwrite: Bool
  /// The inputs' paths and identities, as found at `init`.
  private let inputs: [(path: String, identity: FileIdentity)]
  /// Output path -> temporary path, for files staged and not yet published.
  private var staged: [String: String] = [:]
  private var committed = false
  /// Notes for the user (interrupted commits completed, stale temporary files removed).
  public private(set) var notes: [String] = []

  /// The preflight (see the type's documentation).
  ///
  /// - Throws: `NiftiError.cannotCreateOutput` for a missing or unwritable folder, an output
  ///   that exists (without `overwrite`), an output listed twice or one that is an input.
  public init(outputs: [URL], inputs: [URL] = [], overwrite: Bool) throws(NiftiError) {
    self.overwrite = overwrite
    self.inputs = inputs.compactMap { url in FileIdentity(path: url.path).map { (url.path, $0) } }
    try declare(outputs)
  }

  /// Adds outputs known only later (e.g. one mask per structure of a model loaded after the
  /// preflight), with the same checks as `init`.
  public func declare(_ urls: [URL]) throws(NiftiError) {
    precondition(!committed, "OutputTransaction: declaring after commit")
    let urls = urls.map(\.standardizedFileURL)
    var seen = Set(outputs.map(\.path))
    for url in urls {
      guard seen.insert(url.path).inserted else {
        throw NiftiError(.cannotCreateOutput, "named twice as an output", path: url.path)
      }
    }
    var folders = [String: String]()
    for url in urls { folders[url.deletingLastPathComponent().path] = folders[url.deletingLastPathComponent().path] ?? url.path }
    for (folder, output) in folders.sorted(by: { $0.key < $1.key }) { try Self.requireWritableFolder(folder, for: output) }
    var recovered = [String]()
    if outputs.isEmpty, let first = urls.first { recovered = Self.completeInterruptedCommits(of: first) }
    notes += recovered
    for url in urls { notes += Self.removeStaleTemporaries(of: url) }
    for url in urls {
      guard let id = FileIdentity(path: url.path) else { continue }
      if let input = inputs.first(where: { $0.identity == id }) {
        throw NiftiError(
          .cannotCreateOutput, "is the input \(input.path) (the same file); write the output elsewhere", path: url.path)
      }
      if !overwrite {
        let completed = recovered.isEmpty ? "" : " (completed just now from an interrupted run's commit: \(recovered.joined(separator: "; ")))"
        throw NiftiError(.cannotCreateOutput, "exists\(completed); pass --overwrite to replace it", path: url.path)
      }
    }
    outputs += urls
  }

  deinit {
    for temporary in staged.values { unlink(temporary) }
  }

  /// Stages `url` (one of `outputs`): `body` writes the file's bytes to a temporary file in the
  /// destination folder, which is then fsynced. A failure removes the temporary file and is
  /// reported against `url`, the name the user asked for.
  func stage(_ url: URL, _ body: (FileDescriptor) throws -> Void) throws {
    let path = url.standardizedFileURL.path
    precondition(outputs.contains { $0.path == path }, "OutputTransaction: \(path) is not one of the declared outputs")
    precondition(!committed, "OutputTransaction: staging after commit")
    if let old = staged.removeValue(forKey: path) { unlink(old) }
    let temporary = Self.temporaryPath(for: path)
    do {
      let file = try FileDescriptor(creating: temporary)
      if Self.faults.noSpaceFor == url.lastPathComponent { file.injectedWriteError = ENOSPC }
      try body(file)
      try file.sync()
    } catch let error as NiftiError {
      unlink(temporary)
      throw NiftiError(error.code, error.message, path: path, field: error.field)
    } catch {
      unlink(temporary)
      throw NiftiError(.ioFailure, "\(error)", path: path)
    }
    staged[path] = temporary
  }

  /// Stages `bytes` as the file `url` (a sidecar, a report).
  public func write(_ bytes: [UInt8], to url: URL) throws(NiftiError) {
    do {
      try stage(url) { file in try bytes.withUnsafeBytes { try file.write($0) } }
    } catch let error as NiftiError {
      throw error
    } catch {
      throw NiftiError(.ioFailure, "\(error)", path: url.path)
    }
  }

  /// Publishes every staged file (see the type's documentation). Outputs that were declared but
  /// never staged are left alone. After an error nothing of this transaction is visible.
  public func commit() throws(NiftiError) {
    precondition(!committed, "OutputTransaction: committed twice")
    committed = true
    let entries = outputs.compactMap { url in staged[url.path].map { (temporary: $0, output: url.path) } }
    staged = [:]
    defer { for e in entries { unlink(e.temporary) } }
    guard !entries.isEmpty else { return }
    var journal: String? = nil
    if entries.count > 1 {
      journal = try Self.writeJournal(entries.map { ($0.temporary, $0.output) }, overwrite: overwrite, first: outputs[0].path)
    }
    defer { if let journal { unlink(journal) } }
    if overwrite {
      // Old outputs go first, so no reader pairs an old file with a new one (one output is
      // simply renamed over the old: readers see the old file or the new one, never none).
      for e in entries where entries.count > 1 && unlink(e.output) != 0 && errno != ENOENT {
        throw NiftiError(.cannotCreateOutput, "cannot remove the old file: \(String(cString: strerror(errno)))", path: e.output)
      }
      for (n, e) in entries.enumerated() {
        guard rename(e.temporary, e.output) == 0 else {
          throw NiftiError(.cannotCreateOutput, "cannot move the finished file into place: \(String(cString: strerror(errno)))", path: e.output)
        }
        Self.faults.published(n + 1)
      }
    } else {
      var linked: [(output: String, identity: FileIdentity?)] = []
      for e in entries {
        var err: Int32 = link(e.temporary, e.output) == 0 ? 0 : errno
        if [EPERM, EOPNOTSUPP, ENOSYS, EMLINK].contains(err) {
          // A file system without hard links (FAT, some network shares): check, then rename.
          // Not atomic against a run racing for the same name; everything else holds.
          err = access(e.output, F_OK) == 0 ? EEXIST : (rename(e.temporary, e.output) == 0 ? 0 : errno)
        }
        guard err == 0 else {
          // Undo this run's publications (only names that still are the file we published).
          for l in linked where l.identity != nil && FileIdentity(path: l.output) == l.identity { unlink(l.output) }
          let reason = err == EEXIST
            ? "exists (another run wrote it while this one was computing); pass --overwrite to replace it"
            : "cannot move the finished file into place: \(String(cString: strerror(err)))"
          throw NiftiError(.cannotCreateOutput, reason, path: e.output)
        }
        linked.append((e.output, FileIdentity(path: e.output)))
        Self.faults.published(linked.count)
      }
    }
    for folder in Set(entries.map { ($0.output as NSString).deletingLastPathComponent }) { Self.syncFolder(folder) }
  }
}

/// A file's device and inode (after following symbolic links): two names of one file compare equal.
struct FileIdentity: Equatable {
  let device: UInt64
  let inode: UInt64

  init?(path: String) {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    device = UInt64(info.st_dev)
    inode = UInt64(info.st_ino)
  }
}

extension OutputTransaction {
  /// Fault injection for the crash tests (`CommandLineTests`), so that they can stop a real
  /// `vibeseg` process at a chosen point of a commit. Only the CLI sets it, from the environment
  /// variable `VIBESEG_TEST_FAULT` (`kill-after-publish=N`, `no-space=FILENAME`); never set in
  /// normal use.
  package struct Faults: Sendable {
    /// The process kills itself (SIGKILL) right after publishing this many files of a commit.
    package var killAfterPublishing: Int? = nil
    /// Every write to this output (file name) fails with ENOSPC, as on a full disk.
    package var noSpaceFor: String? = nil

    package init() {}

    /// Parses `kill-after-publish=N` or `no-space=FILENAME`; nil for anything else.
    package init?(_ text: String) {
      let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
      guard parts.count == 2 else { return nil }
      switch parts[0] {
      case "kill-after-publish": guard let n = Int(parts[1]) else { return nil }; killAfterPublishing = n
      case "no-space": noSpaceFor = parts[1]
      default: return nil
      }
    }

    func published(_ count: Int) {
      if count == killAfterPublishing { kill(getpid(), SIGKILL) }
    }
  }

  nonisolated(unsafe) package static var faults = Faults()
}
