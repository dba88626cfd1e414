#if os(Linux)
/// glibc's `int malloc_trim(size_t pad)` (declared in malloc.h, which the Glibc module leaves out).
@_silgen_name("malloc_trim") private func glibcMallocTrim(_ pad: Int) -> Int32
#endif

/// Hands memory that was freed back to the operating system.
///
/// glibc keeps freed heap memory mapped for reuse, and raises its mmap threshold after large
/// frees, so that after a checkpoint is read and its plain weights are dropped (once every layer
/// holds them in oneDNN's layout) hundreds of MB stay in the process's resident set although
/// nothing uses them. `malloc_trim(0)` returns them; elsewhere this does nothing.
public enum FreedMemory {
  public static func release() {
    #if os(Linux)
    _ = glibcMallocTrim(0)
    #endif
  }
}

import Foundation
public enum DebugRSS {
  public static func log(_ what: String) {
    guard ProcessInfo.processInfo.environment["VIBESEG_RSS"] != nil else { return }
    let s = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
    let pages = Int(s.split(separator: " ")[1]) ?? 0
    if ProcessInfo.processInfo.environment["VIBESEG_SMAPS"] != nil, let smaps = try? String(contentsOfFile: "/proc/self/smaps", encoding: .utf8) {
      var header = ""
      var out = ""
      for line in smaps.split(separator: "\n") {
        if line.first?.isHexDigit == true && line.contains("-") { header = String(line.prefix(80)) }
        if line.hasPrefix("Rss:") {
          let kb = Int(line.split(separator: " ")[1]) ?? 0
          if kb > 8000 { out += "   \(kb / 1000) MB \(header)\n" }
        }
      }
      FileHandle.standardError.write(out.data(using: .utf8)!)
    }
    FileHandle.standardError.write("\(String(format: "%.2f", Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 1000))) RSS \(what): \(pages * 4096 / 1_000_000) MB\n".data(using: .utf8)!)
  }
}
