import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Float16 accumulators for `channels` channels over a ring of `rows` rows of `rowLength` values
/// (padded row `x` lives in ring row `x % rows`), in anonymous memory that the system maps in as
/// zero pages when first written: untouched parts cost nothing, and `clear` sets finished parts
/// back to zero for the ring's next use. On Linux whole pages are handed back with
/// `MADV_DONTNEED` (a private anonymous page then reads as zeros); elsewhere, or if `madvise`
/// fails, they are zeroed by hand (BSD/Darwin's `MADV_DONTNEED` keeps the contents).
///
/// Each ring row starts on a page boundary (its stride is `rowLength·2` rounded up to the page
/// size), so a finished run of a row's values is released page by page; the partial pages at its
/// ends are zeroed by hand and stay resident until their other values are cleared too.
final class AccumulatorRing: @unchecked Sendable {
  let channels: Int
  let rows: Int
  let rowLength: Int
  /// Elements from one ring row to the next (page multiple in bytes).
  let rowStride: Int
  private let base: UnsafeMutablePointer<Float16>
  private let byteCount: Int
  private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

  init(channels: Int, rows: Int, rowLength: Int) throws {
    self.channels = channels
    self.rows = rows
    self.rowLength = rowLength
    let page = Self.pageSize
    rowStride = ((rowLength * 2 + page - 1) / page * page) / 2
    byteCount = max(page, channels * rows * rowStride * 2)
    #if os(Linux)
    // Reserve no swap for the whole mapping up front: only touched pages are ever resident.
    let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE
    #else
    let flags = MAP_PRIVATE | MAP_ANONYMOUS
    #endif
    let mapped = mmap(nil, byteCount, PROT_READ | PROT_WRITE, flags, -1, 0)
    guard let mapped, mapped != MAP_FAILED else {
      throw PlansError(.unsupported, "cannot map \(byteCount) bytes for the float16 accumulators", path: "memory")
    }
    base = mapped.assumingMemoryBound(to: Float16.self)
  }

  deinit { munmap(UnsafeMutableRawPointer(base), byteCount) }

  /// The values of padded row `x` of `channel`.
  @inline(__always)
  func row(_ channel: Int, _ x: Int) -> UnsafeMutablePointer<Float16> {
    base + (channel * rows + x % rows) * rowStride
  }

  /// Whether the pages at `address` (page-aligned) were handed back and now read as zeros.
  private static func releasePages(_ address: Int, _ count: Int) -> Bool {
    #if os(Linux)
    return madvise(UnsafeMutableRawPointer(bitPattern: address), count, Int32(MADV_DONTNEED)) == 0
    #else
    return false
    #endif
  }

  /// Sets values `range` of padded row `x` of every channel back to zero, releasing whole pages.
  func clear(row x: Int, _ range: Range<Int>) {
    guard !range.isEmpty else { return }
    let page = Self.pageSize
    for channel in 0..<channels {
      let start = UnsafeMutableRawPointer(row(channel, x) + range.lowerBound)
      let end = UnsafeMutableRawPointer(row(channel, x) + range.upperBound)
      let address = Int(bitPattern: start), endAddress = Int(bitPattern: end)
      let alignedStart = (address + page - 1) / page * page
      let alignedEnd = endAddress / page * page
      if alignedEnd > alignedStart && Self.releasePages(alignedStart, alignedEnd - alignedStart) {
        memset(start, 0, alignedStart - address)
        memset(UnsafeMutableRawPointer(bitPattern: alignedEnd)!, 0, endAddress - alignedEnd)
      } else {
        memset(start, 0, endAddress - address)
      }
    }
  }
}
