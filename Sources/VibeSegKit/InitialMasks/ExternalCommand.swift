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
    let pid: pid_t
    do {
      pid = try ChildProcess.spawn(words, output: .stderr, environment: nil)
    } catch {
      throw VibeSegKitError(.toolUnavailable, "cannot start \(words[0]): \(error.reason) (command: \(shown))", option: option)
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
