import CDeflate
import Dispatch

/// Writes gzip files as a sequence of members, each compressed independently with libdeflate.
///
/// Splitting the data into fixed `chunkSize` members lets both cores compress at once while
/// keeping the output identical at any thread count (member boundaries do not depend on
/// threads) and memory bounded (`threads · 2` chunks in flight). Multi-member gzip is standard
/// (RFC 1952 §2.2); zlib, Python's gzip/nibabel, ITK and pigz read it. Each member carries its own
/// CRC32 and ISIZE, which VibeSeg's reader verifies.
final class GzipMemberWriter {
  let file: FileDescriptor
  let level: Int32
  let chunkSize: Int
  let threads: Int

  init(file: FileDescriptor, level: Int, chunkSize: Int = 4 << 20, threads: Int) {
    self.file = file
    self.level = Int32(level)
    self.chunkSize = chunkSize
    self.threads = max(1, threads)
  }

  /// Compresses `bytes` as one or more members and appends them to the file.
  func write(_ bytes: UnsafeRawBufferPointer) throws {
    let chunkCount = (bytes.count + chunkSize - 1) / chunkSize
    let batch = threads * 2
    var start = 0
    while start < chunkCount {
      let end = min(chunkCount, start + batch)
      let outputs = try compressBatch(bytes, chunks: start..<end)
      for out in outputs { try out.withUnsafeBytes { try file.write($0) } }
      start = end
    }
  }

  private func compressBatch(_ bytes: UnsafeRawBufferPointer, chunks: Range<Int>) throws -> [[UInt8]] {
    let results = ResultSlots(count: chunks.count)
    let level = self.level
    let chunkSize = self.chunkSize
    let path = file.path
    let threads = self.threads
    let source = SendableBytes(bytes)
    DispatchQueue.concurrentPerform(iterations: min(threads, chunks.count)) { worker in
      guard let compressor = libdeflate_alloc_compressor(level) else {
        results.fail(NiftiError(.ioFailure, "libdeflate could not allocate a compressor", path: path))
        return
      }
      defer { libdeflate_free_compressor(compressor) }
      var n = worker
      while n < chunks.count {
        let lo = (chunks.lowerBound + n) * chunkSize
        let hi = min(source.bytes.count, lo + chunkSize)
        let input = UnsafeRawBufferPointer(rebasing: source.bytes[lo..<hi])
        let bound = libdeflate_gzip_compress_bound(compressor, input.count)
        var out = [UInt8](repeating: 0, count: bound)
        let written = out.withUnsafeMutableBytes {
          libdeflate_gzip_compress(compressor, input.baseAddress, input.count, $0.baseAddress, bound)
        }
        if written == 0 {
          results.fail(NiftiError(.ioFailure, "libdeflate failed to compress a chunk", path: path))
          return
        }
        out.removeLast(bound - written)
        results.set(n, out)
        n += min(threads, chunks.count)
      }
    }
    return try results.collect()
  }
}

/// Read-only input shared by the compressing threads; the caller keeps it alive and unchanged
/// for the whole `concurrentPerform`.
struct SendableBytes: @unchecked Sendable {
  let bytes: UnsafeRawBufferPointer
  init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
}

/// Per-chunk outputs written by worker threads; each slot is written by exactly one worker.
private final class ResultSlots: @unchecked Sendable {
  private var slots: [[UInt8]]
  private var error: Error?
  private let lock = NSLockLike()

  init(count: Int) { slots = Array(repeating: [], count: count) }
  func set(_ index: Int, _ value: [UInt8]) { lock.with { slots[index] = value } }
  func fail(_ e: Error) { lock.with { if error == nil { error = e } } }
  func collect() throws -> [[UInt8]] {
    if let error { throw error }
    return slots
  }
}

/// A minimal mutex over pthread (Foundation-free).
final class NSLockLike: @unchecked Sendable {
  private var mutex = pthread_mutex_t()
  init() { pthread_mutex_init(&mutex, nil) }
  deinit { pthread_mutex_destroy(&mutex) }
  func with<R>(_ body: () throws -> R) rethrows -> R {
    pthread_mutex_lock(&mutex)
    defer { pthread_mutex_unlock(&mutex) }
    return try body()
  }
}

#if canImport(Glibc)
import Glibc
#endif
