import ArgumentParser
import Foundation

/// The one image syntax of `--image` (`stats`, `preview`): `PATH`, or `NAME=PATH` to name the
/// intensity column (`water=W.nii.gz`). `NAME` is letters, digits, `_` and `-`; an existing file
/// whose name contains `=` is taken as a path. `prepare-initial-masks merge` reads its `--source`
/// and `--map` (`NAME=FILE`) with it too.
struct ImageArgument: Equatable {
  var name: String
  var path: String

  init(_ text: String, defaultName: String = "image", option: String = "--image") throws {
    let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
    let isName = { (s: Substring) in !s.isEmpty && s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } }
    if parts.count == 2, isName(parts[0]), !FileManager.default.fileExists(atPath: text) {
      guard !parts[1].isEmpty else { throw ValidationError("\(option): '\(text)' names no file after '='") }
      name = String(parts[0])
      path = String(parts[1])
    } else {
      guard !text.isEmpty else { throw ValidationError("\(option) needs a file (PATH or NAME=PATH)") }
      name = defaultName
      path = text
    }
  }
}
