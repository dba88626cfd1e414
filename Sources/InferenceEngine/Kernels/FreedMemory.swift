#if canImport(Glibc)
import Glibc
#endif
#if os(Linux)
/// glibc's `int malloc_trim(size_t pad)` (declared in malloc.h, which the Glibc module leaves out).
@_silgen_name("malloc_trim") private func glibcMallocTrim(_ pad: Int) -> Int32
/// glibc's `int mallopt(int param, int value)` (malloc.h).
@_silgen_name("mallopt") private func glibcMallopt(_ param: Int32, _ value: Int32) -> Int32
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

  /// Hands the `count` bytes of pages at `start` (page-aligned, inside a live private mapping
  /// whose contents no longer matter) back to the system (`MADV_DONTNEED`): true when done, and
  /// they then read as zeros when touched again. Linux only: elsewhere (where BSD/Darwin's
  /// `MADV_DONTNEED` keeps the contents) nothing happens and the answer is false.
  public static func discard(_ start: UnsafeMutableRawPointer, _ count: Int) -> Bool {
    #if os(Linux)
    return madvise(start, count, Int32(MADV_DONTNEED)) == 0
    #else
    return false
    #endif
  }

  /// Makes every thread allocate from glibc's main arena (`M_ARENA_MAX = 1`). Worker threads
  /// otherwise get arenas of their own, whose free memory at the top of each arena heap stays
  /// resident (tens of MB after the sliding window's per-class blocks) where `malloc_trim` does
  /// not reach it. Call once at process start, before other threads allocate; a command-line
  /// program's choice, not a library's.
  public static func useOneArena() {
    #if os(Linux)
    _ = glibcMallopt(-8, 1)  // M_ARENA_MAX
    #endif
  }
}
