import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How much the model-running commands print on stderr/stdout (`-q`, `-v`). Warnings and errors
/// are always printed.
enum Verbosity {
  case quiet, normal, verbose
  /// Set once by the command from its `VerbosityOptions`, before any work starts.
  nonisolated(unsafe) static var level = Verbosity.normal

  /// Progress lines: with `-v` always (logs, Slurm), by default only on a terminal, never with `-q`.
  static var showsProgress: Bool { level == .verbose || (level == .normal && isatty(STDERR_FILENO) != 0) }
}

/// `-q/--quiet` and `-v/--verbose` (segment, spine, combine, predict).
struct VerbosityOptions: ParsableArguments {
  @Flag(name: .shortAndLong, help: "Print only warnings and errors: no progress, no final 'wrote' line.")
  var quiet = false

  @Flag(name: .shortAndLong, help: "Progress lines even when stderr is not a terminal (log files, Slurm).")
  var verbose = false

  func validate() throws {
    guard !(quiet && verbose) else { throw ValidationError("-q and -v exclude each other") }
    Verbosity.level = quiet ? .quiet : verbose ? .verbose : .normal
  }
}
