/// One file inside a zip archive, as described by the central directory and confirmed by its
/// local header.
package struct ZipEntry: Sendable, Equatable {
  package enum Method: UInt16, Sendable {
    case stored = 0
    case deflate = 8
  }

  /// The name exactly as stored (validated: relative, no `..`, no backslash, no NUL).
  package var name: String
  package var method: Method
  package var crc32: UInt32
  package var compressedSize: Int
  package var uncompressedSize: Int
  /// Offset of the local file header.
  var headerOffset: Int
  /// Offset of the first data byte (after the local header, its name and extra field).
  var dataOffset = 0
  /// Whether the local header defers CRC and sizes to a data descriptor (flag bit 3).
  var hasDataDescriptor = false

  /// One past the last byte of compressed data.
  var dataEnd: Int { dataOffset + compressedSize }

  /// A folder entry (name ending in `/`, no data).
  package var isFolder: Bool { name.hasSuffix("/") }
}

extension ZipEntry {
  /// Rejects a name that could escape a folder or be confused with another (reliability.md 2.4,
  /// rules 1 and 4): empty names, absolute paths, drive letters, backslashes, NUL or control
  /// characters, and `.`, `..` or empty components. A single trailing `/` marks a folder entry.
  /// Names are rejected, never rewritten.
  static func validate(name: String, path: String) throws {
    func reject(_ why: String) -> CheckpointError {
      CheckpointError(
        .unsafeEntry, "unsafe zip entry name \(name.debugDescription): \(why); the archive is damaged or malicious",
        path: path, context: "entry \(name.debugDescription)")
    }
    guard !name.isEmpty else { throw reject("empty name") }
    if name.hasPrefix("/") { throw reject("absolute path") }
    let scalars = Array(name.unicodeScalars)
    if scalars.count >= 2, scalars[1] == ":", scalars[0].isASCII, scalars[0].properties.isAlphabetic {
      throw reject("drive letter")
    }
    for scalar in scalars {
      if scalar == "\\" { throw reject("backslash") }
      if scalar.value < 0x20 || scalar.value == 0x7F { throw reject("control character") }
    }
    var components = name.split(separator: "/", omittingEmptySubsequences: false)
    if name.hasSuffix("/") { components.removeLast() }
    for component in components {
      if component.isEmpty { throw reject("empty path component") }
      if component == ".." { throw reject("parent-directory component (zip slip)") }
      if component == "." { throw reject("'.' component") }
    }
  }
}
