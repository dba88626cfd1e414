import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One external network run the user asked for explicitly (`prepare-initial-masks merge --exec
/// NAME=COMMAND`): TotalSegmentator, SPINEPS or any tool that writes a label map.
///
/// `COMMAND` is split into words at unquoted white space; `'...'` and `"..."` group words (no
/// escapes, no variables, no globbing: no shell runs). `{output}` in a word is replaced by the
/// source's file. The program (the first word) is found on `PATH` (`posix_spawnp`), runs with the
/// user's environment, standard input from /dev/null and its standard output and error on
/// VibeSeg's standard error (so its progress is seen), in its own process group. VibeSeg waits
/// for it; a non-zero exit or a signal is an error. Afterwards the source file must exist and be
/// modified since the command started (a stale file from an earlier run is refused). Which
/// values it holds is checked by the merge's mapping (unmapped values refused).
public struct ExternalCommand: Sendable, Equatable {
  /// argv, `{output}` already replaced.
  public var words: [String]

  /// - Throws: `VibeSegKitError(.invalidOption)` for an empty command or an unclosed quote.
  public init(_ text: String, output: String, option: String = "--exec") throws(VibeSegKitError) {
    var words = [String](), word = "", inWord = false
    var quote: Character?
    for c in text {
      if let q = quote {
        if c == q { quote = nil } else { word.append(c) }
      } else if c == "'" || c == "\"" {
        quote = c
        inWord = true
      } else if c.isWhitespace {
        if inWord { words.append(word) }
        word = ""
        inWord = false
      } else {
        word.append(c)
        inWord = true
      }
    }
    guard quote == nil else { throw VibeSegKitError(.invalidOption, "unclosed quote in the command: \(text)", option: option) }
    if inWord { words.append(word) }
    guard !words.isEmpty else { throw VibeSegKitError(.invalidOption, "the command is empty", option: option) }
    self.words = words.map { $0.replacingOccurrences(of: "{output}", with: output) }
  }

  /// Runs the command and checks that it wrote `output` (see the type).
  ///
  /// - Throws: `VibeSegKitError` `.toolUnavailable` (cannot start, non-zero exit, killed by a
  ///   signal), `.missingInput` (no `output` afterwards, or not modified by the run).
  public func run(expecting output: URL, option: String = "--exec") throws(VibeSegKitError) {
    let started = Date()
    let shown = words.joined(separator: " ")
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, 2, 1)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
    posix_spawnattr_setpgroup(&attributes, 0)
    let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var pid: pid_t = 0
    let spawned = posix_spawnp(&pid, words[0], &actions, &attributes, argv, environ)
    guard spawned == 0 else {
      throw VibeSegKitError(.toolUnavailable, "cannot start \(words[0]): \(String(cString: strerror(spawned))) (command: \(shown))",
        option: option)
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let signal = status & 0x7f, code = (status >> 8) & 0xff
    guard signal == 0 else {
      throw VibeSegKitError(.toolUnavailable, "\(words[0]) was killed by signal \(signal) (command: \(shown))", option: option)
    }
    guard code == 0 else {
      throw VibeSegKitError(.toolUnavailable, "\(words[0]) failed with exit status \(code) (command: \(shown))", option: option)
    }
    let modified = (try? FileManager.default.attributesOfItem(atPath: output.path))?[.modificationDate] as? Date
    guard let modified else {
      throw VibeSegKitError(.missingInput, "the command finished but wrote no file here (command: \(shown))",
        path: output.path, option: option)
    }
    // File systems keep modification times at a second's resolution at worst.
    guard modified >= started.addingTimeInterval(-1) else {
      throw VibeSegKitError(.missingInput,
        "the command finished but did not write this file (it is older than the run: from an earlier run?) (command: \(shown))",
        path: output.path, option: option)
    }
  }
}
