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
enum FreedMemory {
  static func release() {
    #if os(Linux)
    _ = glibcMallocTrim(0)
    #endif
  }
}
