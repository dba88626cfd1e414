import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Starting an external program without a shell (`dcm2niix`, `prepare-initial-masks --exec`):
/// `posix_spawn`, stdin from /dev/null, in its own process group (so a caller can kill the group:
/// children it leaves cannot hold anything open). Foundation's `Process` is not used: it waits
/// for orphaned grandchildren that keep its pipes open.
enum ChildProcess {
  /// Where the child's stdout and stderr go.
  enum Output {
    /// Both into this file (created or truncated, mode 0600).
    case file(String)
    /// Both to our stderr.
    case stderr
  }

  /// Why a program did not start: `strerror` of `posix_spawn`'s result.
  struct StartFailure: Error {
    var reason: String
  }

  /// Starts `words[0]` with arguments `words[1...]` and returns its pid. `environment` nil keeps
  /// ours and looks the program up on our PATH (`posix_spawnp`); otherwise exactly `environment`,
  /// and `words[0]` is a path.
  static func spawn(_ words: [String], output: Output, environment: [String]?) throws(StartFailure) -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    switch output {
    case .file(let path):
      posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
      posix_spawn_file_actions_adddup2(&actions, 1, 2)
    case .stderr:
      posix_spawn_file_actions_adddup2(&actions, 2, 1)
    }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
    posix_spawnattr_setpgroup(&attributes, 0)
    let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var pid: pid_t = 0
    let spawned: Int32
    if let environment {
      let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
      defer { for p in envp { free(p) } }
      spawned = posix_spawn(&pid, words[0], &actions, &attributes, argv, envp)
    } else {
      spawned = posix_spawnp(&pid, words[0], &actions, &attributes, argv, environ)
    }
    guard spawned == 0 else { throw StartFailure(reason: String(cString: strerror(spawned))) }
    return pid
  }
}
